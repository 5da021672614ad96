// Drives pixcdn's tus endpoint with the real tus-js-client, for the Go tests
// in origin/uploads. One JSON argument:
//   endpoint     creation URL, e.g. http://127.0.0.1:PORT/v1/acme/uploads/
//   uploadUrl    resume this upload instead of creating one (optional)
//   file         path of the bytes to upload
//   key          Bearer key
//   metadata     Upload-Metadata map (public_id, tags, filetype)
//   chunkSize    bytes per PATCH (optional; default: the whole file at once)
//   abortAt      byte counts at which to abort the upload mid-request and
//                resume it (a new tus.Upload on the same URL), in order
//   exitAfterAbort  stop after the first abort instead of resuming
//   badChecksum  send a wrong Upload-Checksum (sha1) with every PATCH
//   trace        also print {"event":"response",...} for every response
// It prints one JSON object per line: {"event":"url"|"aborted"|"success"|
// "error", ...} and exits 0 unless an error occurred.
import fs from 'node:fs';
import * as tus from 'tus-js-client';

const opts = JSON.parse(process.argv[2]);
const data = fs.readFileSync(opts.file);
let uploadUrl = opts.uploadUrl || null;

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// attempt runs one tus.Upload until success, error, or an abort once at
// least abortAt bytes were sent.
function attempt(abortAt) {
  return new Promise((resolve, reject) => {
    let aborting = false;
    const upload = new tus.Upload(data, {
      endpoint: opts.endpoint,
      uploadUrl,
      chunkSize: opts.chunkSize || Infinity,
      retryDelays: [0, 250, 1000],
      headers: { Authorization: `Bearer ${opts.key}` },
      metadata: opts.metadata || {},
      storeFingerprintForResuming: false,
      onBeforeRequest(req) {
        if (opts.trace) {
          emit({ event: 'request', method: req.getMethod(), at: Date.now() });
        }
        if (opts.badChecksum && req.getMethod() === 'PATCH') {
          req.setHeader('Upload-Checksum', 'sha1 ' + Buffer.alloc(20).toString('base64'));
        }
      },
      onAfterResponse(req, res) {
        if (opts.trace) {
          emit({ event: 'response', method: req.getMethod(), status: res.getStatus(), at: Date.now(),
            offset: res.getHeader('Upload-Offset') });
        }
      },
      onUploadUrlAvailable() {
        uploadUrl = upload.url;
        emit({ event: 'url', url: upload.url });
      },
      onProgress(sent) {
        if (abortAt != null && !aborting && sent >= abortAt) {
          aborting = true;
          upload.abort(false).then(() => resolve({ aborted: true, sent }), reject);
        }
      },
      onSuccess() {
        resolve({ aborted: false });
      },
      onError(err) {
        reject(err);
      },
    });
    upload.start();
  });
}

async function main() {
  if (opts.trace) {
    emit({ event: 'start', at: Date.now() });
  }
  const stops = [...(opts.abortAt || []), null];
  for (const stop of stops) {
    const result = await attempt(stop);
    if (!result.aborted) {
      emit({ event: 'success', url: uploadUrl });
      return;
    }
    emit({ event: 'aborted', url: uploadUrl, sent: result.sent });
    if (opts.exitAfterAbort) {
      return;
    }
  }
}

main().catch((err) => {
  const res = err.originalResponse;
  emit({
    event: 'error',
    status: res ? res.getStatus() : 0,
    body: res ? res.getBody() : '',
    message: String(err.message || err),
  });
  process.exit(1);
});
