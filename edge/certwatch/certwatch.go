// Package certwatch serves a TLS certificate from a pair of PEM files and
// picks up a new pair when the files change, without a restart.
//
// A Watch polls the files' modification time and size every interval (no
// file-notification dependency, and it works the same on every file system
// and with the symlink swaps Kubernetes does for mounted secrets). When
// either changed it loads the pair again; a pair that does not load (a
// half-written file, a key that does not match the certificate, an expired
// certificate) is logged and the certificate in use is kept, and the
// load is tried again at the next change. The certificate in use sits
// behind an atomic pointer: a handshake reads it without a lock.
//
// It knows nothing of HTTP servers or of which TLS settings use it.
package certwatch

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultInterval is how often a Watch looks at its files by default.
const DefaultInterval = 2 * time.Second

// Watch holds the certificate loaded from its files and reloads it when
// they change. Safe for concurrent use; Close stops it.
type Watch struct {
	certFile, keyFile string
	interval          time.Duration
	log               *slog.Logger
	now               func() time.Time

	current atomic.Pointer[tls.Certificate]
	seen    [2]fileStamp // the cert and key files as last loaded or tried
	reloads atomic.Int64
	failed  atomic.Int64

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// fileStamp is what a Watch compares to tell that a file changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

// New loads the pair certFile/keyFile and starts watching it every
// interval (≤ 0: DefaultInterval). It fails if the pair does not load
// now: a server must not start without a certificate.
func New(certFile, keyFile string, interval time.Duration, log *slog.Logger) (*Watch, error) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if log == nil {
		log = slog.Default()
	}
	w := &Watch{certFile: certFile, keyFile: keyFile, interval: interval, log: log, now: time.Now,
		stop: make(chan struct{}), done: make(chan struct{})}
	w.seen = w.stamps()
	cert, err := w.load()
	if err != nil {
		return nil, err
	}
	w.current.Store(cert)
	go w.poll()
	return w, nil
}

// GetCertificate returns the certificate in use, for tls.Config's
// GetCertificate. It never fails and never blocks.
func (w *Watch) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return w.current.Load(), nil
}

// Certificate returns the leaf certificate in use.
func (w *Watch) Certificate() *x509.Certificate { return w.current.Load().Leaf }

// Reloads counts the new pairs put in use since New.
func (w *Watch) Reloads() int64 { return w.reloads.Load() }

// Failures counts the changed pairs that did not load (the previous one
// was kept).
func (w *Watch) Failures() int64 { return w.failed.Load() }

// Close stops watching; the certificate in use stays. Idempotent.
func (w *Watch) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

func (w *Watch) poll() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.check()
		}
	}
}

// check reloads the pair if either file changed since it was last seen.
// A file being written may be seen twice in a row with the same stamp
// while its content is incomplete: check then loads a pair that fails,
// and the next stamp change (the writer finishing) tries again.
func (w *Watch) check() {
	stamps := w.stamps()
	if stamps == w.seen {
		return
	}
	w.seen = stamps
	cert, err := w.load()
	if err != nil {
		w.failed.Add(1)
		w.log.Error("TLS certificate files changed but do not load; keeping the certificate in use",
			"cert", w.certFile, "key", w.keyFile, "err", err, "in_use_serial", w.Certificate().SerialNumber.String())
		return
	}
	w.current.Store(cert)
	w.reloads.Add(1)
	w.log.Info("TLS certificate reloaded", "cert", w.certFile, "serial", cert.Leaf.SerialNumber.String(),
		"names", cert.Leaf.DNSNames, "not_after", cert.Leaf.NotAfter)
}

// stamps returns the files' current stamps; a file that cannot be read
// has a zero stamp (a change, once it is back).
func (w *Watch) stamps() [2]fileStamp {
	var s [2]fileStamp
	for i, name := range []string{w.certFile, w.keyFile} {
		if fi, err := os.Stat(name); err == nil {
			s[i] = fileStamp{mod: fi.ModTime(), size: fi.Size()}
		}
	}
	return s
}

// errExpired reports a certificate past its NotAfter.
var errExpired = errors.New("certificate has expired")

// load reads and checks the pair: the key matches the certificate and the
// leaf is within its validity period.
func (w *Watch) load() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(w.certFile, w.keyFile)
	if err != nil {
		return nil, fmt.Errorf("certwatch: %w", err)
	}
	// LoadX509KeyPair fills Leaf (Go ≥ 1.23).
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("certwatch: %s: %w", w.certFile, err)
		}
	}
	if w.now().After(cert.Leaf.NotAfter) {
		return nil, fmt.Errorf("certwatch: %s: %w (%s)", w.certFile, errExpired, cert.Leaf.NotAfter.Format(time.RFC3339))
	}
	return &cert, nil
}
