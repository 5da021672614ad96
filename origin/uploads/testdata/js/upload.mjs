// Drives pixcdn's tus endpoint with the real tus-js-client, for the Go tests
// in origin/uploads. One JSON argument:
//   endpoint     creation URL, e.g. http://127.0.0.1:PORT/v1/acme/uploads/
//   uploadUrl    resume this upload instead of creating one (optional)
//   file         path of the bytes to upload
//   key          Bearer key
//   metadata     Upload-Metadata map (public_id, tags, filetype)
//   chunkSize    bytes per PATCH (optional; default: the whole file at once)
//   abortAt      byte counts at which to abort the upload mid-request and
//                resume it (a new tus.Upload on the same URL), in order: the
//                PATCH crossing the count sends exactly that many bytes of
//                the file, stalls until the server has them, and is aborted
//   exitAfterAbort  stop after the first abort instead of resuming
//   badChecksum  send a wrong Upload-Checksum (sha1) with every PATCH
//   trace        also print {"event":"response",...} for every response
// It prints one JSON object per line: {"event":"url"|"aborted"|"success"|
// "error", ...} and exits 0 unless an error occurred.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';

const opts = JSON.parse(process.argv[2]);
const data = fs.readFileSync(opts.file);
let uploadUrl = opts.uploadUrl || null;

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// StallingHttpStack is tus-js-client's own HTTP stack, except that the
// PATCH whose body crosses byte stopAt of the file sends only the bytes
// before it and keeps the request open, as a connection that dies
// mid-upload does. Once the socket has taken those bytes, and a moment
// later the server too, it calls onStalled(stopAt). (Aborting from
// onProgress instead is a race: tus-js-client reports progress at most
// every 100 ms, and a fast loopback takes the whole file in less.)
class StallingHttpStack {
  constructor(stopAt, onStalled) {
    this.inner = new tus.DefaultHttpStack();
    this.stopAt = stopAt;
    this.onStalled = onStalled;
  }

  createRequest(method, url) {
    const req = this.inner.createRequest(method, url);
    if (method === 'PATCH') {
      const send = req.send.bind(req);
      req.send = (body) => this.send(req, send, body);
    }
    return req;
  }

  getName() {
    return 'StallingHttpStack';
  }

  send(req, send, body) {
    const offset = Number(req.getHeader('Upload-Offset'));
    if (!(body instanceof Uint8Array) || offset >= this.stopAt || offset + body.length <= this.stopAt) {
      return send(body);
    }
    const part = Buffer.from(body.buffer, body.byteOffset, this.stopAt - offset);
    const stream = new Readable({ read() {} }); // never ends
    stream.size = body.length; // Content-Length announces the whole body
    stream.push(part);
    const sent = send(stream);
    const poll = setInterval(() => {
      const socket = req.getUnderlyingObject()?.socket;
      if (socket && socket.bytesWritten >= part.length) {
        clearInterval(poll);
        // The server reads them from its socket buffer before the abort
        // resets the connection (a reset drops what it has not read). It
        // may first be storing a full part in MinIO, which can take over a
        // second on a loaded machine, so it gets three.
        setTimeout(() => this.onStalled(this.stopAt), 3000);
      }
    }, 10);
    return sent;
  }
}

// attempt runs one tus.Upload until success, error, or, with abortAt, its
// abort once the server has the file's first abortAt bytes.
function attempt(abortAt) {
  return new Promise((resolve, reject) => {
    let upload;
    const stalling = abortAt == null ? undefined : new StallingHttpStack(abortAt, (sent) => {
      upload.abort(false).then(() => resolve({ aborted: true, sent }), reject);
    });
    upload = new tus.Upload(data, {
      ...(stalling && { httpStack: stalling }),
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
