package uploads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// commitTimeout bounds recording a chunk after its request ended.
const commitTimeout = 30 * time.Second

// chunkWriter carries one PATCH body into parts. buf is the part being
// filled: its first oldTail bytes are the tail buffered in PostgreSQL by
// earlier PATCHes, loaded only when the part is sent; the rest are bytes of
// this body.
type chunkWriter struct {
	u        *upload
	ctx      context.Context
	buf      []byte
	oldTail  int  // bytes of buf that are the stored tail (0 once consumed)
	loaded   bool // the stored tail was read into buf[:oldTail]
	consumed bool // the stored tail went into a part
	next     int  // next part number
	parts    []Part
	received int64 // body bytes read
}

// WriteChunk appends the body at offset. Full parts go to MinIO as they
// fill; the rest is appended to the tail in PostgreSQL; the offset moves in
// the same transaction. With an Upload-Checksum, nothing is recorded unless
// the whole body matches (460 otherwise). When the body is cut short, what
// arrived is kept and its length returned, so the client resumes from
// there.
func (u *upload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (_ int64, err error) {
	defer func() { err = tusError(err) }()
	x := exchangeFrom(ctx)
	if x == nil {
		return 0, errNoTenant
	}
	pooled := u.store.buffers.Get().(*[]byte)
	defer u.store.buffers.Put(pooled)
	w := &chunkWriter{u: u, ctx: ctx, buf: (*pooled)[:u.row.TailLen], oldTail: int(u.row.TailLen),
		next: u.row.PartCount + 1}
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

// loadTail reads the stored tail into the start of the buffer.
func (w *chunkWriter) loadTail() error {
	if w.loaded || w.oldTail == 0 {
		return nil
	}
	row := w.u.row
	tail, err := w.u.store.deps.Ledger.Tail(w.ctx, row.Tenant, row.ID, w.buf[:0])
	if err != nil {
		return err
	}
	if len(tail) != w.oldTail {
		return fmt.Errorf("uploads: tail of %s is %d bytes, the ledger says %d", row.ID, len(tail), w.oldTail)
	}
	w.loaded = true
	return nil
}

// sendPart uploads the buffer as the next part and empties it.
func (w *chunkWriter) sendPart() error {
	if w.next > maxParts {
		return errPartLimit
	}
	if err := w.loadTail(); err != nil {
		return err
	}
	row := w.u.row
	etag, err := w.u.store.deps.Staging.PutPart(w.ctx, row.ObjectKey, row.MultipartID, w.next, w.buf)
	if err != nil {
		return err
	}
	w.parts = append(w.parts, Part{Number: w.next, Size: int64(len(w.buf)), ETag: etag})
	w.next++
	w.buf = w.buf[:0]
	w.consumed = w.consumed || w.oldTail > 0
	w.oldTail, w.loaded = 0, false
	return nil
}

// commit records the chunk. When it completes the upload, the remaining
// bytes (stored tail included) are sent as the last part first and the
// upload becomes assembled.
func (w *chunkWriter) commit(ctx context.Context, offset int64) error {
	row := &w.u.row
	newOffset := offset + w.received
	state := Receiving
	w.ctx = ctx
	if newOffset == row.Size {
		if len(w.buf) > 0 {
			if err := w.sendPart(); err != nil {
				return err
			}
		}
		state = Assembled
	}
	err := w.u.store.deps.Ledger.CommitChunk(ctx, row.Tenant, row.ID, Chunk{
		FromOffset: offset, ToOffset: newOffset, Parts: w.parts, State: state,
		TailConsumed: w.consumed, TailAppend: w.buf[w.oldTail:], TailLen: int64(len(w.buf)),
	})
	if err != nil {
		return err
	}
	row.Offset, row.State, row.PartCount, row.TailLen = newOffset, state, w.next-1, int64(len(w.buf))
	return nil
}
