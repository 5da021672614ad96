package cachestore

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestCodecRoundTrip(t *testing.T) {
	now := time.Unix(1_700_000_000, 123456789)
	tests := []struct {
		name string
		rec  record
	}{
		{"empty", record{}},
		{"full", record{key: []byte("acme/cats/tom.jpg?w=400"), stamp: 42, entry: Entry{
			Body: []byte("\x89PNG body"), ContentType: "image/png", ETag: `"abc"`,
			LastModified: now, Created: now, FreshUntil: now.Add(time.Hour), StaleUntil: now.Add(2 * time.Hour),
			Image: ImageRef{Tenant: "acme", PublicID: "cats/tom.jpg", Version: -7, Tags: []string{"a", "", "ü"}},
		}}},
		{"meta", record{key: []byte("k"), stamp: 3, entry: Entry{Body: []byte("body"), Meta: []byte{0xE1, 0, 1}}}},
		{"binary key, zero times", record{key: []byte{0, 255, 0}, stamp: 1 << 63, entry: Entry{Body: make([]byte, 70000)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(encode(tt.rec))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.key, tt.rec.key) || got.stamp != tt.rec.stamp {
				t.Fatalf("key %q stamp %d, want %q %d", got.key, got.stamp, tt.rec.key, tt.rec.stamp)
			}
			assertSameEntry(t, got.entry, tt.rec.entry)
		})
	}
}

// TestCodecDetectsDamage flips every bit of a small record in turn: each
// must be reported as corrupt.
func TestCodecDetectsDamage(t *testing.T) {
	enc := encode(record{key: []byte("k"), stamp: 3, entry: testEntry("t", "i", []string{"x"}, []byte("body"))})
	for i := range enc {
		for bit := 0; bit < 8; bit++ {
			b := bytes.Clone(enc)
			b[i] ^= 1 << bit
			if _, err := decode(b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("flipping bit %d of byte %d: err = %v, want ErrCorrupt", bit, i, err)
			}
		}
	}
	for n := 0; n < len(enc); n++ {
		if _, err := decode(enc[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: err = %v, want ErrCorrupt", n, err)
		}
	}
}

// FuzzDecode: no input crashes decode, and whatever decodes re-encodes to
// the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add(encode(record{}))
	f.Add(encode(record{key: []byte("k"), stamp: 9, entry: testEntry("t", "i", []string{"a", "b"}, []byte("body"))}))
	f.Add(encode(record{key: []byte("k"), entry: Entry{Body: []byte("body"), Meta: []byte("meta")}}))
	f.Add([]byte{codecVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if again := encode(rec); !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", again, b)
		}
	})
}

// FuzzParseScopeKey: no input crashes the generation-key parser, and what
// parses round-trips.
func FuzzParseScopeKey(f *testing.F) {
	f.Add(scopeKey(scope{kind: scopePrefix, tenant: "acme", value: "cats/"}))
	f.Add([]byte{prefixGen, 1, 0})
	f.Fuzz(func(t *testing.T, k []byte) {
		s, err := parseScopeKey(k)
		if err != nil {
			return
		}
		if got, err := parseScopeKey(scopeKey(s)); err != nil || got != s {
			t.Fatalf("round trip of %+v: %+v, %v", s, got, err)
		}
	})
}
