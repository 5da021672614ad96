package cachestore

import (
	"fmt"
	"testing"
)

// TestAdvance: after a short pwritev, the rest of the buffers is what is
// left to write, whatever buffer the write stopped in.
func TestAdvance(t *testing.T) {
	bufs := [][]byte{[]byte("abc"), []byte("de"), []byte("fghi")}
	want := []string{"[abc de fghi]", "[bc de fghi]", "[c de fghi]", "[de fghi]", "[e fghi]",
		"[fghi]", "[ghi]", "[hi]", "[i]", "[]"}
	for n, w := range want {
		got := advance(bufs, n)
		if s := fmt.Sprintf("%s", got); s != w {
			t.Errorf("advance(%d) = %s, want %s", n, s, w)
		}
	}
	if fmt.Sprintf("%s", bufs) != "[abc de fghi]" {
		t.Fatalf("advance modified its input: %s", bufs)
	}
}
