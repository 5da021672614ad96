// Resumable uploads with tus-js-client (the global `tus`, served from the
// installed npm package): one row per file with a progress bar and
// pause/resume. tus-js-client keeps each unfinished upload's URL in
// localStorage under a fingerprint of the file and its public id, so a
// file chosen again after a reload continues where it stopped. An upload
// cut off by the network waits for the browser to be online again and
// then continues from the offset the origin has.
import { $, el, formatBytes, session, uploadsEndpoint } from './api.js';


const RETRY = [0, 1000, 3000, 5000, 10000, 20000];
const rows = []; // {upload, state, ...}
let bound = false;

export function startUploads() {
  // Uploads stopped by a lost connection continue once it is back.
  window.addEventListener('online', () => {
    for (const r of rows) if (r.state === 'offline') resume(r);
  });
}

export async function showUpload() {
  const ready = typeof window.tus !== 'undefined' && window.tus.isSupported;
  $('upload-unavailable').hidden = ready;
  $('upload-files').disabled = !ready;
  if (!ready) return;
  if (!bound) {
    bound = true;
    $('upload-files').addEventListener('change', (event) => {
      for (const file of event.target.files) add(file);
      event.target.value = '';
    });
  }
  await listPending();
}

// listPending shows the unfinished uploads tus-js-client remembers.
async function listPending() {
  const box = $('upload-pending');
  let stored = [];
  try {
    stored = await window.tus.defaultOptions.urlStorage.findAllUploads();
  } catch {
    stored = [];
  }
  const mine = stored.filter((u) => u.uploadUrl && u.uploadUrl.startsWith(uploadsEndpoint()));
  const active = new Set(rows.filter((r) => r.state !== 'done').map((r) => r.upload.url));
  const waiting = mine.filter((u) => !active.has(u.uploadUrl));
  box.hidden = waiting.length === 0;
  box.replaceChildren(el('strong', {}, 'Unfinished uploads (choose the same file again to continue): '),
    ...waiting.map((u) => el('span', { class: 'pending-item' },
      (u.metadata && u.metadata.public_id) + ' (' + formatBytes(u.size) + ') ')));
}

function publicID(file) {
  let prefix = $('upload-prefix').value.trim();
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  return prefix + file.name;
}

function add(file) {
  const id = publicID(file);
  const bar = el('progress', { max: '100', value: '0' });
  const status = el('span', { class: 'status' }, 'Starting…');
  const toggle = el('button', { type: 'button', class: 'secondary' }, 'Pause');
  const row = { id, bar, status, toggle, state: 'starting', sent: 0, total: file.size };
  const li = el('li', { 'data-id': id }, el('span', { class: 'name' }, id), bar, toggle, status);
  $('uploads').append(li);
  row.li = li;
  row.upload = new window.tus.Upload(file, {
    endpoint: uploadsEndpoint(),
    headers: { Authorization: 'Bearer ' + session().key },
    metadata: { public_id: id, filename: file.name, filetype: file.type, tags: $('upload-tags').value.trim() },
    retryDelays: RETRY,
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    // The public id is part of the fingerprint: the same file under
    // another id is another upload.
    fingerprint: (f, options) => Promise.resolve(
      ['pixcdn', f.name, f.type, f.size, f.lastModified, options.endpoint, id].join('|')),
    onShouldRetry: (err) => {
      const code = err.originalResponse ? err.originalResponse.getStatus() : 0;
      return navigator.onLine && (code === 0 || code >= 500 || code === 409 || code === 423);
    },
    onProgress: (sent, total) => progress(row, sent, total),
    onSuccess: () => done(row),
    onError: (err) => failed(row, err),
  });
  rows.push(row);
  toggle.addEventListener('click', () => (row.state === 'uploading' ? pause(row) : resume(row)));
  row.upload.findPreviousUploads().then((previous) => {
    if (previous.length) {
      row.upload.resumeFromPreviousUpload(previous[0]);
      row.resumed = true;
    }
    setState(row, 'uploading', previous.length ? 'Continuing an earlier upload…' : 'Uploading…');
    row.upload.start();
  });
}

function setState(row, state, text) {
  row.state = state;
  row.li.dataset.state = state;
  row.status.textContent = text;
  row.toggle.textContent = state === 'uploading' ? 'Pause' : 'Resume';
  row.toggle.hidden = state === 'done';
}

function progress(row, sent, total) {
  row.sent = sent;
  const pct = total ? Math.floor((sent / total) * 100) : 0;
  row.bar.value = pct;
  row.li.dataset.sent = String(sent);
  if (row.state === 'uploading') row.status.textContent = formatBytes(sent) + ' of ' + formatBytes(total) + ' (' + pct + '%)';
}

function pause(row) {
  row.upload.abort();
  setState(row, 'paused', 'Paused at ' + formatBytes(row.sent) + '.');
}

function resume(row) {
  setState(row, 'uploading', 'Continuing…');
  row.upload.start();
}

function done(row) {
  row.bar.value = 100;
  setState(row, 'done', 'Done: ');
  row.status.append(el('a', { href: '#/image/' + encodeURIComponent(row.id) }, row.id));
  listPending();
}

function failed(row, err) {
  if (!navigator.onLine) {
    setState(row, 'offline', 'Offline at ' + formatBytes(row.sent) + ': continues when the connection is back.');
    return;
  }
  const code = err.originalResponse ? err.originalResponse.getStatus() : 0;
  const cause = err.originalResponse ? err.originalResponse.getBody() : err.message;
  setState(row, 'failed', 'Failed' + (code ? ' (' + code + ')' : '') + ': ' + String(cause || err).trim().slice(0, 200));
}
