package tusclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"pixcdn/contract"
)

// Options tune Upload.
type Options struct {
	// ChunkSize is the bytes sent per PATCH (default 8 MiB). A failed PATCH
	// costs at most one chunk.
	ChunkSize int
	// Retries is how many consecutive failures are retried (default 5),
	// with a pause doubling from RetryDelay (default 500ms).
	Retries    int
	RetryDelay time.Duration
	// ResumeURL continues that upload instead of creating one.
	ResumeURL string
	// OnURL is called once the upload's URL is known (to save it for a
	// later resume). Optional.
	OnURL func(url string)
	// OnProgress is called with the server's offset when a resumed upload
	// learns it, and after each acknowledged chunk. Optional.
	OnProgress func(sent, total int64)
}

func (o Options) withDefaults() Options {
	if o.ChunkSize <= 0 {
		o.ChunkSize = 8 << 20
	}
	if o.Retries <= 0 {
		o.Retries = 5
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 500 * time.Millisecond
	}
	return o
}

// Result is a completed upload.
type Result struct {
	URL     string
	ETag    string // the image's strong ETag
	Version int64  // the image version the upload became
}

// Upload sends size bytes of src to endpoint (or continues
// opts.ResumeURL) and returns once the server acknowledged every byte. It
// asks the server for its offset after any failure, so bytes the server
// already holds are not sent again.
func (c *Client) Upload(ctx context.Context, endpoint string, src io.ReaderAt, size int64, meta map[string]string, opts Options) (Result, error) {
	opts = opts.withDefaults()
	url := opts.ResumeURL
	if url == "" {
		var err error
		if url, err = c.Create(ctx, endpoint, size, meta); err != nil {
			return Result{}, err
		}
	}
	if opts.OnURL != nil {
		opts.OnURL(url)
	}
	s := &session{c: c, url: url, src: src, size: size, opts: opts, buf: make([]byte, opts.ChunkSize)}
	return s.run(ctx)
}

type session struct {
	c      *Client
	url    string
	src    io.ReaderAt
	size   int64
	opts   Options
	buf    []byte
	offset int64
	last   http.Header
}

func (s *session) run(ctx context.Context) (Result, error) {
	failures := 0
	resync := s.opts.ResumeURL != ""
	for resync || s.offset < s.size || s.last == nil {
		err := s.step(ctx, resync)
		resync = err != nil
		if err == nil {
			failures = 0
			continue
		}
		if failures++; failures > s.opts.Retries || !retryable(err) || ctx.Err() != nil {
			return Result{URL: s.url}, err
		}
		select {
		case <-ctx.Done():
			return Result{URL: s.url}, ctx.Err()
		case <-time.After(s.opts.RetryDelay << (failures - 1)):
		}
	}
	version, _ := strconv.ParseInt(s.last.Get(contract.HeaderVersion), 10, 64)
	return Result{URL: s.url, ETag: s.last.Get("ETag"), Version: version}, nil
}

// step asks for the offset (after a failure or on resume) or sends the
// next chunk.
func (s *session) step(ctx context.Context, resync bool) error {
	if resync {
		offset, length, err := s.c.Offset(ctx, s.url)
		if err != nil {
			return err
		}
		if length != s.size {
			return fmt.Errorf("%w: upload is %d bytes on the server, the file %d", ErrProtocol, length, s.size)
		}
		s.offset = offset
		if s.opts.OnProgress != nil {
			s.opts.OnProgress(offset, s.size)
		}
		if offset == s.size {
			s.last = http.Header{} // completed earlier: no ETag to report
		}
		return nil
	}
	n := int(min(int64(len(s.buf)), s.size-s.offset))
	if _, err := s.src.ReadAt(s.buf[:n], s.offset); err != nil && !errors.Is(err, io.EOF) {
		return &localError{err}
	}
	next, hdr, err := s.c.Patch(ctx, s.url, s.offset, s.buf[:n])
	if err != nil {
		return err
	}
	s.offset, s.last = next, hdr
	if s.opts.OnProgress != nil {
		s.opts.OnProgress(next, s.size)
	}
	return nil
}

// localError is a failure reading the source: never retried.
type localError struct{ err error }

func (e *localError) Error() string { return "tus: read source: " + e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var local *localError
	if errors.As(err, &local) || errors.Is(err, ErrProtocol) {
		return false
	}
	var status *StatusError
	if errors.As(err, &status) {
		return status.Temporary()
	}
	return true // network errors
}
