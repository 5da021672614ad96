package dirorigin

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"pixcdn/edge"
)

// tomPNG is a valid 2×1 PNG.
var tomPNG = func() []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 1))); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

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
	must(os.WriteFile(filepath.Join(root, "acme", "cats", "tom.png"), tomPNG, 0o644))
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
	if err != nil || got.ContentType != "image/png" || !bytes.Equal(got.Body, tomPNG) || len(got.ETag) != 34 || got.Version == 0 {
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

// TestFetchTakesContentTypeFromTheBytes: a raster image under any name
// is served with the type of its sniffed format, never its extension's.
func TestFetchTakesContentTypeFromTheBytes(t *testing.T) {
	o, root := setup(t)
	var g bytes.Buffer
	if err := gif.Encode(&g, image.NewGray(image.Rect(0, 0, 3, 3)), nil); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"gif-named.jpg": g.Bytes(), "png-named.svg": tomPNG, "noext": tomPNG} {
		if err := os.WriteFile(filepath.Join(root, "acme", name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{"gif-named.jpg": "image/gif", "png-named.svg": "image/png", "noext": "image/png"} {
		got, err := o.Fetch(context.Background(), "acme", name, "")
		if err != nil || got.ContentType != want {
			t.Errorf("Fetch(%q) = %q, %v; want %q", name, got.ContentType, err, want)
		}
	}
}

// TestFetchRefusesWhatIsNotARasterImage: documents that a browser could
// run (SVG, HTML, XML) and other unknown bytes are refused whatever their
// name, as are broken image headers; a conditional fetch does not bypass
// the check.
func TestFetchRefusesWhatIsNotARasterImage(t *testing.T) {
	o, root := setup(t)
	svg := `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`
	files := []struct {
		name, body string
		want       error
	}{
		{"evil.svg", svg, edge.ErrUnsupported},
		{"evil-svg.png", svg, edge.ErrUnsupported},
		{"evil.jpg", "<!doctype html><script>alert(1)</script>", edge.ErrUnsupported},
		{"evil.gif", "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></html>", edge.ErrUnsupported},
		{"bom.webp", "\xef\xbb\xbf<svg onload=\"alert(1)\"/>", edge.ErrUnsupported},
		{"notes.txt", "plain text", edge.ErrUnsupported},
		{"image.bmp", "BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00", edge.ErrUnsupported},
		{"empty.png", "", edge.ErrUndecodable},
		{"truncated.png", "\x89PNG\r\n\x1a\nrest", edge.ErrUndecodable},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(root, "acme", f.name), []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, f := range files {
		got, err := o.Fetch(ctx, "acme", f.name, "")
		if !errors.Is(err, f.want) || got.Body != nil || got.ContentType != "" {
			t.Errorf("Fetch(%q) = %q %q, %v; want %v", f.name, got.ContentType, got.Body, err, f.want)
		}
		if _, err := o.Fetch(ctx, "acme", f.name, `"any"`); !errors.Is(err, f.want) {
			t.Errorf("conditional Fetch(%q) = %v; want %v", f.name, err, f.want)
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
