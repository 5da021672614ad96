package origin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"pixcdn/contract"
	"pixcdn/transform"
)

func addImageSeeds(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10})
	f.Add([]byte("GIF89a\x10\x00\x10\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8X"))
	for _, name := range []string{"alpha.avif", "still.heic", "lossy.webp"} {
		if b, err := os.ReadFile("../transform/testdata/" + name); err == nil {
			f.Add(b)
		}
	}
}

// FuzzProbeImage: sniffing and probing never panic, and a probe that
// succeeds agrees with the sniffer and reports positive dimensions.
func FuzzProbeImage(f *testing.F) {
	addImageSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, sniffed := transform.Sniff(b)
		info, err := probeImage(b)
		if err != nil {
			if !errors.Is(err, ErrUnsupportedType) && !errors.Is(err, ErrUndecodable) && !errors.Is(err, ErrTooManyPixels) {
				t.Fatalf("probe error %v wraps no origin sentinel", err)
			}
			return
		}
		if !sniffed || info.Width <= 0 || info.Height <= 0 || info.ContentType == "" {
			t.Fatalf("probe %+v but sniff %v", info, sniffed)
		}
	})
}

// FuzzSpool: the spool holds exactly the bytes given, with their SHA-256,
// and refuses more than the cap.
func FuzzSpool(f *testing.F) {
	addImageSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		const limit = 4096
		sp, err := newSpool(t.TempDir(), bytes.NewReader(b), limit, func([]byte) bool { return true })
		if len(b) > limit {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%d bytes over a %d cap: %v", len(b), limit, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer sp.Close()
		sum := sha256.Sum256(b)
		if sp.size != int64(len(b)) || sp.sha != hex.EncodeToString(sum[:]) || !bytes.Equal(sp.Bytes(), b) {
			t.Fatalf("spool holds %d bytes sha %s, want %d", sp.size, sp.sha, len(b))
		}
	})
}

// FuzzValidatePublicID: accepted ids are safe path material.
func FuzzValidatePublicID(f *testing.F) {
	for _, s := range []string{"cats/tom.jpg", "a/../b", "", "/x", "ü/ö", "a\x00", "%2e%2e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidatePublicID(id) != nil {
			return
		}
		if !utf8.ValidString(id) || len(id) > contract.MaxPublicIDLen || strings.HasPrefix(id, "/") || strings.HasSuffix(id, "/") ||
			strings.Contains(id, "//") || strings.ContainsAny(id, "\\?#%\x00\n") {
			t.Fatalf("accepted %q", id)
		}
		for _, seg := range strings.Split(id, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted dot segment in %q", id)
			}
		}
	})
}

// FuzzParseTags: parsing never panics and yields no empty or duplicate tag.
func FuzzParseTags(f *testing.F) {
	f.Add("a,b, c,,a")
	f.Fuzz(func(t *testing.T, s string) {
		seen := map[string]bool{}
		for _, tag := range ParseTags(s) {
			if tag == "" || seen[tag] || strings.Contains(tag, ",") {
				t.Fatalf("ParseTags(%q) gave %q", s, tag)
			}
			seen[tag] = true
		}
	})
}
