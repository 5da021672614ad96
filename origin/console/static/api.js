// The console's only way to the origin: the signed-in session (tenant and
// API key in this tab's sessionStorage, never a cookie), the JSON API with
// the key as a bearer token, and edge URLs (signed by the origin when the
// image is signed).

const SESSION = 'pixcdn.console.session';
let settings = { edge_url: '' };

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION));
    return s && s.tenant && s.key ? s : null;
  } catch {
    return null;
  }
}

// saveSession keeps the signed-in key with its role and whether it may
// change images (GET /v1/{tenant}/key), so the console offers only that.
export function saveSession(tenant, key, role, write) {
  sessionStorage.setItem(SESSION, JSON.stringify({ tenant, key, role, write }));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION);
}

export async function loadSettings() {
  const resp = await fetch('config.json', { cache: 'no-store' });
  if (!resp.ok) throw new Error('console settings: ' + resp.status);
  settings = await resp.json();
  return settings;
}

// api calls /v1/{tenant}{path} with the session's key; body, when given,
// is sent as JSON. It returns the parsed answer (null for 204) or throws
// an APIError with the origin's plain-text cause.
export async function api(method, path, body, s = session()) {
  if (!s) throw new APIError(401, 'not signed in');
  const headers = { Authorization: 'Bearer ' + s.key };
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch('/v1/' + encodeURIComponent(s.tenant) + path, init);
  if (!resp.ok) {
    const text = (await resp.text()).trim();
    throw new APIError(resp.status, text || resp.statusText || 'HTTP ' + resp.status);
  }
  return resp.status === 204 ? null : resp.json();
}

// encodeID percent-encodes each segment of a public id for a URL path.
export function encodeID(id) {
  return id.split('/').map(encodeURIComponent).join('/');
}

export function uploadsEndpoint() {
  return location.origin + '/v1/' + encodeURIComponent(session().tenant) + '/uploads/';
}

// edgeURLs returns the absolute edge URLs of image for each query string
// ("w=240&fit=cover"), signed by the origin when the image is signed
// (expiresIn seconds; 0: never).
export async function edgeURLs(image, queries, expiresIn = 3600) {
  const base = '/' + session().tenant + '/' + encodeID(image.public_id);
  let paths = queries.map((q) => (q ? base + '?' + q : base));
  if (image.visibility === 'signed') {
    const signed = [];
    for (let i = 0; i < paths.length; i += 64) {
      const answer = await api('POST', '/sign', { urls: paths.slice(i, i + 64), expires_in: expiresIn });
      signed.push(...answer.urls);
    }
    paths = signed;
  }
  return paths.map((p) => settings.edge_url + p);
}

export function formatBytes(n) {
  if (n == null || Number.isNaN(n)) return '?';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1024 / 1024).toFixed(2) + ' MiB';
}

// el builds an element: el('a', {href: '#'}, 'text', child…).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) node.append(c);
  return node;
}

export function $(id) {
  return document.getElementById(id);
}
