package uploads

import (
	"context"
	"errors"
	"io"
	"time"

	"pixcdn/origin/postgres"
)

// commitTimeout bounds recording a chunk after its request ended.
const commitTimeout = 30 * time.Second

// chunkWriter carries one PATCH body into parts. buf holds the tail: bytes
// received (old tail first) that do not fill a part yet.
type chunkWriter struct {
	u        *upload
	ctx      context.Context
	buf      []byte
	next     int                   // next part number
	parts    []postgres.UploadPart // parts this chunk completed
	received int64                 // body bytes read
}

// WriteChunk appends the body at offset. Full parts go to MinIO as they
// fill; the remainder becomes the new tail in PostgreSQL; the offset moves
// in the same transaction. With an Upload-Checksum, nothing is recorded
// unless the whole body matches (460 otherwise). When the body is cut
// short, what arrived is kept and its length returned, so the client
// resumes from there.
func (u *upload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	x := exchangeFrom(ctx)
	if x == nil {
		return 0, errNoTenant
	}
	w, release, err := u.newChunkWriter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	if x.checksum != nil {
		src = io.TeeReader(src, x.checksum)
	}
	readErr := w.consume(src)
	if x.checksum != nil && readErr != nil {
		return 0, readErr // all or nothing: the digest covers the whole body
	}
	if x.checksum != nil && !x.checksum.matches() {
		return 0, errChecksumMismatch
	}
	cctx, cancel := detached(ctx, commitTimeout)
	defer cancel()
	if err := w.commit(cctx, offset); err != nil {
		return 0, err
	}
	return w.received, readErr
}

func (u *upload) newChunkWriter(ctx context.Context) (*chunkWriter, func(), error) {
	pooled := u.store.buffers.Get().(*[]byte)
	release := func() { u.store.buffers.Put(pooled) }
	tail, err := u.store.deps.Ledger.Tail(ctx, u.row.Tenant, u.row.ID)
	if err != nil {
		release()
		return nil, nil, err
	}
	w := &chunkWriter{u: u, ctx: ctx, buf: append((*pooled)[:0], tail...), next: u.row.PartCount + 1}
	return w, release, nil
}

// consume reads src to its end, sending each full buffer as a part. It
// stops at the first failed part upload; bytes already read stay counted
// (they are in the buffer or in a sent part).
func (w *chunkWriter) consume(src io.Reader) error {
	size := cap(w.buf)
	for {
		n, err := io.ReadFull(src, w.buf[len(w.buf):size])
		w.buf = w.buf[:len(w.buf)+n]
		w.received += int64(n)
		if len(w.buf) == size {
			if perr := w.sendPart(); perr != nil {
				return perr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// sendPart uploads the buffer as the next part and empties it.
func (w *chunkWriter) sendPart() error {
	if w.next > maxParts {
		return errPartLimit
	}
	row := w.u.row
	etag, err := w.u.store.deps.Staging.PutPart(w.ctx, row.ObjectKey, row.MultipartID, w.next, w.buf)
	if err != nil {
		return err
	}
	w.parts = append(w.parts, postgres.UploadPart{Number: w.next, Size: int64(len(w.buf)), ETag: etag})
	w.next++
	w.buf = w.buf[:0]
	return nil
}

// commit records the chunk. When it completes the upload, the remaining
// tail is sent as the last part first and the upload becomes assembled.
func (w *chunkWriter) commit(ctx context.Context, offset int64) error {
	row := &w.u.row
	newOffset := offset + w.received
	state := postgres.UploadReceiving
	if newOffset == row.Size {
		if len(w.buf) > 0 {
			w.ctx = ctx
			if err := w.sendPart(); err != nil {
				return err
			}
		}
		state = postgres.UploadAssembled
	}
	err := w.u.store.deps.Ledger.CommitChunk(ctx, row.Tenant, row.ID, postgres.UploadChunk{
		FromOffset: offset, ToOffset: newOffset, Parts: w.parts, Tail: w.buf, State: state,
	})
	if err != nil {
		return err
	}
	row.Offset, row.State, row.PartCount = newOffset, state, w.next-1
	return nil
}
