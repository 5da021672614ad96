package certwatch

import (
	"crypto/tls"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pixcdn/internal/testca"

	"pixcdn/internal/testenv"
)

const interval = 20 * time.Millisecond

func start(t *testing.T, leaf *testca.Leaf) (*Watch, string) {
	t.Helper()
	dir := t.TempDir()
	cert, key := leaf.WriteFiles(t, dir)
	w, err := New(cert, key, interval, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w, dir
}

// served is the serial number of the certificate w hands a handshake.
func served(t *testing.T, w *Watch) string {
	t.Helper()
	c, err := w.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil || c == nil {
		t.Fatalf("GetCertificate: %v, %v", c, err)
	}
	return c.Leaf.SerialNumber.String()
}

func TestChangedFilesAreServedWithoutRestart(t *testing.T) {
	ca := testca.New(t)
	first, second := ca.Issue(t, "a.example"), ca.Issue(t, "b.example")
	w, dir := start(t, first)
	if got := served(t, w); got != first.Cert.SerialNumber.String() {
		t.Fatalf("serving %s, want the first certificate", got)
	}
	second.WriteFiles(t, dir)
	testenv.WaitFor(t, 5*time.Second, "new certificate", func() bool { return served(t, w) == second.Cert.SerialNumber.String() })
	if w.Reloads() != 1 || w.Failures() != 0 {
		t.Fatalf("reloads %d, failures %d", w.Reloads(), w.Failures())
	}
	if names := w.Certificate().DNSNames; len(names) != 1 || names[0] != "b.example" {
		t.Fatalf("names %v", names)
	}
}

func TestBadNewFilesKeepTheCertificateInUse(t *testing.T) {
	ca := testca.New(t)
	first := ca.Issue(t, "a.example")
	w, dir := start(t, first)
	want := first.Cert.SerialNumber.String()
	cases := []struct {
		name  string
		write func()
	}{
		{"garbage certificate", func() { os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("not a certificate"), 0o600) }},
		{"key of another certificate", func() {
			other := ca.Issue(t, "c.example")
			first.WriteFiles(t, dir)
			os.WriteFile(filepath.Join(dir, "key.pem"), other.KeyPEM, 0o600)
		}},
		{"expired certificate", func() { ca.IssueUntil(t, time.Now().Add(-time.Minute), "a.example").WriteFiles(t, dir) }},
		{"files removed", func() { os.Remove(filepath.Join(dir, "cert.pem")) }},
	}
	for i, c := range cases {
		c.write()
		testenv.WaitFor(t, 5*time.Second, c.name+": failure counted", func() bool { return w.Failures() == int64(i+1) })
		if got := served(t, w); got != want {
			t.Fatalf("%s: serving %s, want the certificate in use %s", c.name, got, want)
		}
	}
	// A good pair after bad ones is taken.
	good := ca.Issue(t, "d.example")
	good.WriteFiles(t, dir)
	testenv.WaitFor(t, 5*time.Second, "good pair after bad ones", func() bool { return served(t, w) == good.Cert.SerialNumber.String() })
}

func TestNewFailsWithoutAUsablePair(t *testing.T) {
	ca := testca.New(t)
	dir := t.TempDir()
	if _, err := New(filepath.Join(dir, "none.pem"), filepath.Join(dir, "none.key"), interval, nil); err == nil {
		t.Fatal("missing files: no error")
	}
	cert, key := ca.IssueUntil(t, time.Now().Add(-time.Minute), "a.example").WriteFiles(t, dir)
	if _, err := New(cert, key, interval, nil); err == nil {
		t.Fatal("expired certificate: no error")
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	w, _ := start(t, testca.New(t).Issue(t, "a.example"))
	w.Close()
	w.Close()
}
