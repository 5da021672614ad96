package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/valyala/fasthttp"
)

// Sink is a trivial HTTP server that answers every GET or HEAD with the same
// bytes from memory, X-Cache: HIT, a strong ETag and 304 for a matching
// If-None-Match. It is the ceiling a load generator is measured against:
// what the tool can drive when the server costs almost nothing.
type Sink struct {
	srv  *fasthttp.Server
	body []byte
	etag string

	mu     sync.Mutex
	ln     net.Listener
	done   chan struct{}
	closed bool
}

// NewSink returns a sink serving bodySize bytes (0..64 MiB).
func NewSink(bodySize int) (*Sink, error) {
	if bodySize < 0 || bodySize > 64<<20 {
		return nil, fmt.Errorf("%w: sink body size %d, want 0..64MiB", ErrBadConfig, bodySize)
	}
	body := make([]byte, bodySize)
	for i := range body {
		body[i] = byte(i * 7)
	}
	sum := sha256.Sum256(body)
	s := &Sink{body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, done: make(chan struct{})}
	s.srv = &fasthttp.Server{Handler: s.handle, Name: "pixcdn-bench-sink", NoDefaultDate: true}
	return s, nil
}

func (s *Sink) handle(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set("X-Cache", "HIT")
	ctx.Response.Header.Set("ETag", s.etag)
	ctx.Response.Header.SetContentType("image/webp")
	if string(ctx.Request.Header.Peek("If-None-Match")) == s.etag {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.SetBody(s.body)
}

// Serve accepts on ln until Close; it blocks and returns nil after Close.
// Call it once.
func (s *Sink) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed || s.ln != nil {
		s.mu.Unlock()
		ln.Close()
		return errors.New("bench: sink closed or already serving")
	}
	s.ln = ln
	s.mu.Unlock()
	defer close(s.done)
	err := s.srv.Serve(ln)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return err
}

// Close stops the sink and waits for Serve to return. It is idempotent.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return nil
	}
	err := s.srv.Shutdown()
	_ = ln.Close()
	<-s.done
	return err
}
