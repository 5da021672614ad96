// Signs pixcdn image URLs with Node.js alone (no npm packages).
//
//   PIXCDN_SIGN_KEY=... node sign.js '/acme/cats/tom.jpg?w=400&fm=auto' [EXP_UNIX_SECONDS]
//   PIXCDN_SIGN_KEY=... node sign.js < urls.txt     (one 'PATH?QUERY [EXP]' a line)
//
// or, from your code: const { signURL } = require('./sign.js').
'use strict';
const crypto = require('node:crypto');

// signURL returns path?query&exp=EXPIRES&s=SIGNATURE. path and query are
// exactly as they will be sent (percent-encoded, parameters in the order
// sent); query must contain neither s nor exp. expires (Unix seconds) is
// optional: edges answer 403 from then on.
function signURL(key, path, query = '', expires = undefined) {
  if (expires !== undefined) {
    query = (query ? query + '&' : '') + 'exp=' + Math.floor(expires);
  }
  const message = query ? path + '?' + query : path;
  const signature = crypto.createHmac('sha256', key).update(message).digest('base64url'); // unpadded
  return path + '?' + (query ? query + '&' : '') + 's=' + signature;
}

module.exports = { signURL };

// As a command, signs its argument, or else each line of standard input:
// PATH?QUERY [EXP_UNIX_SECONDS].
function signLine(key, line) {
  const [url, expires] = line.trim().split(/\s+/);
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  return signURL(key, path, query, expires === undefined ? undefined : Number(expires));
}

if (require.main === module) {
  const key = process.env.PIXCDN_SIGN_KEY;
  if (!key) {
    console.error("usage: PIXCDN_SIGN_KEY=KEY node sign.js ['/TENANT/ID?OPTIONS' [EXP_UNIX_SECONDS]]");
    process.exit(2);
  }
  if (process.argv.length > 2) {
    console.log(signLine(key, process.argv.slice(2).join(' ')));
  } else {
    const lines = require('node:fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '');
    for (const line of lines) console.log(signLine(key, line));
  }
}
