// The image page: details, editable tags/metadata/visibility, the URL
// builder with a live preview (format, bytes and cache result read from the
// preview's Resource Timing entry, which the edge allows with
// Timing-Allow-Origin), delete and purge.
import { $, api, edgeURLs, encodeID, formatBytes } from './api.js';

let current = null; // the image shown
let bound = false;
let previewSeq = 0;
let timer = 0;

export async function showImage(id) {
  if (!bound) bind();
  current = null;
  $('b-url').value = '';
  $('b-stats').textContent = '';
  delete $('b-stats').dataset.format;
  delete $('b-stats').dataset.bytes;
  $('b-preview').removeAttribute('src');
  current = await api('GET', '/images/' + encodeID(id));
  $('image-title').textContent = current.public_id;
  $('image-saved').textContent = '';
  $('image-action-result').textContent = '';
  $('image-delete-confirm').hidden = true;
  render();
  schedulePreview(0);
}

function render() {
  const im = current;
  const rows = [
    ['Version', im.version], ['Format', im.format],
    ['Size', im.width + ' × ' + im.height + ' px'], ['Bytes', formatBytes(im.bytes) + ' (' + im.bytes + ')'],
    ['Visibility', im.visibility], ['Tags', (im.tags || []).join(', ') || '—'],
    ['Created', new Date(im.created_at).toLocaleString()], ['Updated', new Date(im.updated_at).toLocaleString()],
  ];
  $('image-details').replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = String(v);
    return [dt, dd];
  }));
  $('image-tags').value = (im.tags || []).join(', ');
  $('image-visibility').value = im.visibility;
  $('image-metadata').value = JSON.stringify(im.metadata || {}, null, 2);
  $('b-exp-label').hidden = im.visibility !== 'signed';
}

function bind() {
  bound = true;
  $('image-form').addEventListener('submit', save);
  $('builder').addEventListener('input', () => schedulePreview(250));
  $('builder').addEventListener('submit', (event) => event.preventDefault());
  $('b-exp').addEventListener('change', () => schedulePreview(0));
  $('b-copy').addEventListener('click', copy);
  $('b-preview').addEventListener('load', measure);
  $('b-preview').addEventListener('error', () => {
    $('b-stats').textContent = 'The edge refused this URL (check the options, or the signature).';
  });
  $('image-purge').addEventListener('click', purge);
  $('image-delete').addEventListener('click', () => { $('image-delete-confirm').hidden = false; });
  $('image-delete-confirm').addEventListener('click', remove);
}

async function save(event) {
  event.preventDefault();
  const out = $('image-saved');
  let metadata;
  try {
    metadata = JSON.parse($('image-metadata').value || '{}');
  } catch (err) {
    out.textContent = 'Metadata is not JSON: ' + err.message;
    return;
  }
  const tags = $('image-tags').value.split(',').map((t) => t.trim()).filter(Boolean);
  try {
    current = await api('PATCH', '/images/' + encodeID(current.public_id),
      { tags, metadata, visibility: $('image-visibility').value });
    render();
    out.textContent = 'Saved.';
    schedulePreview(0);
  } catch (err) {
    out.textContent = 'Not saved: ' + err.message;
  }
}

// query is the builder's options in the URL grammar's order, empty ones left out.
function query() {
  const q = [];
  for (const name of ['w', 'h', 'fit', 'fm', 'q', 'dpr']) {
    const v = $('b-' + name).value.trim();
    if (v) q.push(name + '=' + encodeURIComponent(v));
  }
  return q.join('&');
}

function schedulePreview(delay) {
  clearTimeout(timer);
  timer = setTimeout(preview, delay);
}

async function preview() {
  const seq = ++previewSeq;
  if (!current) return;
  const expires = current.visibility === 'signed' ? Number($('b-exp').value) : 0;
  let url;
  try {
    [url] = await edgeURLs(current, [query()], expires);
  } catch (err) {
    $('b-stats').textContent = 'No URL: ' + err.message;
    return;
  }
  if (seq !== previewSeq) return; // a newer preview started meanwhile
  $('b-url').value = url;
  $('b-stats').textContent = 'Loading…';
  $('b-preview').dataset.url = url;
  $('b-preview').src = url;
}

// measure reads what the edge answered for the preview from its Resource
// Timing entry: the negotiated format (contentType), the bytes on the wire
// (encodedBodySize) and the cache result (Server-Timing edge;desc=…).
function measure() {
  const img = $('b-preview');
  const entries = performance.getEntriesByName(img.currentSrc || img.src);
  const e = entries[entries.length - 1];
  const parts = [img.naturalWidth + ' × ' + img.naturalHeight + ' px'];
  if (e) {
    parts.push(e.contentType || 'format unknown');
    parts.push(e.encodedBodySize ? formatBytes(e.encodedBodySize) : (e.transferSize === 0 ? 'from the browser cache' : '? bytes'));
    const edge = (e.serverTiming || []).find((t) => t.name === 'edge');
    if (edge) parts.push('edge ' + edge.description + (edge.duration ? ' in ' + edge.duration.toFixed(1) + ' ms' : ''));
  }
  const stats = $('b-stats');
  stats.textContent = parts.join(' · ');
  stats.dataset.format = e ? e.contentType : '';
  stats.dataset.bytes = e ? String(e.encodedBodySize) : '';
}

async function copy() {
  const field = $('b-url');
  try {
    await navigator.clipboard.writeText(field.value);
    $('b-stats').textContent = 'URL copied.';
  } catch {
    field.select();
    $('b-stats').textContent = 'Press Ctrl+C to copy the selected URL.';
  }
}

async function purge() {
  const out = $('image-action-result');
  try {
    // The origin purges by tag or prefix: the id as a prefix drops every
    // cached variant of this image (and of ids that start with it).
    const ev = await api('POST', '/purge', { prefix: current.public_id });
    out.textContent = 'Purge sent to the edges' + (ev && ev.seq ? ' (event ' + ev.seq + ')' : '') + '.';
  } catch (err) {
    out.textContent = 'Purge failed: ' + err.message;
  }
}

async function remove() {
  const out = $('image-action-result');
  try {
    await api('DELETE', '/images/' + encodeID(current.public_id));
    location.hash = '#/';
  } catch (err) {
    out.textContent = 'Not deleted: ' + err.message;
  }
}
