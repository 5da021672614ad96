// The console's router: sign-in, then one view per location hash
// (#/ gallery, #/image/ID, #/upload).
import { $, api, APIError, clearSession, loadSettings, saveSession, session } from './api.js';
import { showGallery } from './gallery.js';
import { showImage } from './image.js';
import { showUpload, startUploads } from './upload.js';

const views = ['signin', 'gallery', 'image', 'upload'];

function show(name) {
  for (const v of views) $('view-' + v).hidden = v !== name;
  $('nav').hidden = name === 'signin';
  const s = session();
  $('who').textContent = s ? 'tenant ' + s.tenant + (s.role ? ' (' + s.role + ')' : '') : '';
  // Controls marked needs-write are hidden for keys that may only read.
  document.body.dataset.write = s && s.write ? 'yes' : 'no';
}

export function notice(msg) {
  $('notice').textContent = msg || '';
  $('notice').hidden = !msg;
}

async function route() {
  notice('');
  if (!session()) {
    show('signin');
    return;
  }
  const hash = location.hash || '#/';
  try {
    if (hash.startsWith('#/image/')) {
      show('image');
      await showImage(decodeURIComponent(hash.slice('#/image/'.length)));
    } else if (hash === '#/upload' && !session().write) {
      show('gallery');
      notice('This key may only read: uploads need an editor or admin key.');
      await showGallery();
    } else if (hash === '#/upload') {
      show('upload');
      await showUpload();
    } else {
      show('gallery');
      await showGallery();
    }
  } catch (err) {
    if (err instanceof APIError && err.status === 401) {
      clearSession();
      show('signin');
      $('signin-error').textContent = 'The key was refused: sign in again.';
      $('signin-error').hidden = false;
      return;
    }
    notice(err.message);
  }
}

async function signIn(event) {
  event.preventDefault();
  const tenant = $('signin-tenant').value.trim();
  const key = $('signin-key').value.trim();
  $('signin-error').hidden = true;
  let info;
  try {
    // What the key may do on the tenant; viewers may read.
    info = await api('GET', '/key', undefined, { tenant, key });
  } catch (err) {
    $('signin-error').textContent = err.status === 401 || err.status === 403
      ? 'This key cannot read tenant ' + tenant + '.' : err.message;
    $('signin-error').hidden = false;
    return;
  }
  saveSession(tenant, key, info.role, info.write);
  $('signin-key').value = '';
  route();
}

async function main() {
  try {
    await loadSettings();
  } catch (err) {
    notice(err.message);
  }
  $('signin-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => {
    clearSession();
    location.hash = '#/';
    route();
  });
  startUploads();
  window.addEventListener('hashchange', route);
  route();
}

main();
