package dirorigin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"pixcdn/edge"
)

func setup(t *testing.T) (*Origin, string) {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "acme", "cats"), 0o755))
	must(os.WriteFile(filepath.Join(root, "acme", "cats", "tom.png"), []byte("\x89PNG\r\n\x1a\nrest"), 0o644))
	must(os.WriteFile(filepath.Join(root, "acme", "big.jpg"), make([]byte, 2048), 0o644))
	must(os.WriteFile(filepath.Join(base, "secret.txt"), []byte("secret"), 0o644))
	must(os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "acme", "link.jpg")))
	cfg := DefaultConfig()
	cfg.Root, cfg.MaxBytes = root, 1024
	o, err := New(cfg)
	must(err)
	t.Cleanup(func() { o.Close() })
	return o, root
}

func TestFetch(t *testing.T) {
	o, _ := setup(t)
	ctx := context.Background()
	got, err := o.Fetch(ctx, "acme", "cats/tom.png", "")
	if err != nil || got.ContentType != "image/png" || string(got.Body) != "\x89PNG\r\n\x1a\nrest" || len(got.ETag) != 34 || got.Version == 0 {
		t.Fatalf("fetch: %+v %v", got, err)
	}
	again, err := o.Fetch(ctx, "acme", "cats/tom.png", got.ETag)
	if err != nil || !again.NotModified || again.Body != nil {
		t.Fatalf("conditional: %+v %v", again, err)
	}
}

func TestFetchRefusesEscapesAndMisses(t *testing.T) {
	o, _ := setup(t)
	ctx := context.Background()
	for _, c := range []struct {
		tenant, id string
		want       error
	}{
		{"acme", "nope.jpg", edge.ErrNotFound},
		{"acme", "cats", edge.ErrNotFound},
		{"acme", "../secret.txt", edge.ErrNotFound},
		{"acme", "../../secret.txt", edge.ErrNotFound},
		{"..", "secret.txt", edge.ErrNotFound},
		{"acme", "link.jpg", edge.ErrNotFound},
		{"acme", "/etc/passwd", edge.ErrNotFound},
		{"acme", "big.jpg", edge.ErrSourceTooLarge},
	} {
		if _, err := o.Fetch(ctx, c.tenant, c.id, ""); !errors.Is(err, c.want) {
			t.Errorf("Fetch(%q, %q) = %v, want %v", c.tenant, c.id, err, c.want)
		}
	}
}

func FuzzFetchStaysInside(f *testing.F) {
	f.Add("acme", "../secret.txt")
	f.Add("acme", "cats/tom.png")
	f.Fuzz(func(t *testing.T, tenant, id string) {
		o, _ := setup(t)
		got, err := o.Fetch(context.Background(), tenant, id, "")
		if err == nil && string(got.Body) == "secret" {
			t.Fatalf("read outside the root with %q %q", tenant, id)
		}
	})
}
