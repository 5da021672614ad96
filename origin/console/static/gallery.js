// The gallery: the tenant's images as edge thumbnails (1x and 2x through
// srcset) over a placeholder from the edge's image info, filtered by tag and id prefix, a page at a time. Pages follow
// the origin's keyset cursor (the last public id shown), so images added
// meanwhile never shift what "Load more" brings: no duplicates, no gaps.
import { $, api, edgeURLs, el } from './api.js';

const PAGE = 24;
const THUMB = 'w=240&h=240&fit=cover';

const state = { tag: '', prefix: '', cursor: '', seen: new Set(), loading: false, bound: false };

export async function showGallery() {
  if (!state.bound) bind();
  await reload();
}

function bind() {
  state.bound = true;
  $('filter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.tag = $('filter-tag').value.trim();
    state.prefix = $('filter-prefix').value.trim();
    reload();
  });
  $('filter-clear').addEventListener('click', () => {
    $('filter-tag').value = '';
    $('filter-prefix').value = '';
    state.tag = state.prefix = '';
    reload();
  });
  $('load-more').addEventListener('click', () => loadPage());
}

async function reload() {
  state.cursor = '';
  state.seen = new Set();
  $('gallery').replaceChildren();
  await loadPage();
}

async function loadPage() {
  if (state.loading) return;
  state.loading = true;
  $('load-more').disabled = true;
  try {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (state.tag) q.set('tag', state.tag);
    if (state.prefix) q.set('prefix', state.prefix);
    if (state.cursor) q.set('cursor', state.cursor);
    const page = await api('GET', '/images?' + q);
    const fresh = page.images.filter((im) => !state.seen.has(im.public_id));
    for (const im of fresh) state.seen.add(im.public_id);
    const cards = await Promise.all(fresh.map(card));
    $('gallery').append(...cards);
    state.cursor = page.next_cursor || '';
    $('load-more').hidden = !state.cursor;
    $('gallery-empty').hidden = state.seen.size > 0;
  } finally {
    state.loading = false;
    $('load-more').disabled = false;
  }
}

async function card(im) {
  const img = el('img', { alt: im.public_id, loading: 'lazy', width: 240, height: 240 });
  try {
    const [x1, x2, info] = await edgeURLs(im, [THUMB, THUMB + '&dpr=2', 'info']);
    img.src = x1;
    img.srcset = x1 + ' 1x, ' + x2 + ' 2x';
    placeholder(img, info);
  } catch (err) {
    img.alt = im.public_id + ' (signed: ' + err.message + ')';
  }
  const badge = el('span', { class: 'badge' }, im.visibility === 'signed' ? 'signed' : '');
  return el('li', { 'data-id': im.public_id },
    el('a', { href: '#/image/' + encodeURIComponent(im.public_id) },
      img, el('span', { class: 'caption' }, badge, im.public_id)));
}

// placeholder shows the image's average colour and blurred placeholder
// (the edge's ?info) behind the thumbnail until it has loaded.
async function placeholder(img, infoURL) {
  try {
    const resp = await fetch(infoURL, { credentials: 'omit' });
    if (!resp.ok) return;
    const info = await resp.json();
    if (info.average) img.style.backgroundColor = info.average;
    if (info.placeholder && info.placeholder.data_uri) {
      img.style.backgroundImage = 'url("' + info.placeholder.data_uri + '")';
      img.dataset.placeholder = 'shown';
    }
  } catch {
    // No placeholder: the grey background stays.
  }
}
