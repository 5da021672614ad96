package cachestore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"
)

// testFrames returns n frames of key hashes 1..n with bodies of varied
// sizes, some bigger than 256 KiB.
func testFrames(n int) [][]byte {
	frames := make([][]byte, n)
	for i := range frames {
		size := 100 + (i*7919)%40000
		if i%10 == 9 {
			size = 300 << 10
		}
		key := []byte(fmt.Sprintf("k%d", i))
		frames[i] = encodeFrame(uint64(i+1), record{key: key, entry: testEntry("t", "i", nil, body(i, 0, size))})
	}
	return frames
}

// checkFrames reads every frame back through ptrs and compares it.
func checkFrames(t *testing.T, segs *segments, frames [][]byte, ptrs []pointer) {
	t.Helper()
	for i, p := range ptrs {
		got, err := segs.read(p)
		if err != nil {
			t.Fatalf("frame %d at %+v: %v", i, p, err)
		}
		if string(got) != string(frames[i]) {
			t.Fatalf("frame %d at %+v differs", i, p)
		}
		if _, err := decodeFrame(got, uint64(i+1)); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
}

// appendAll appends frames in batches of 7, as the writer would.
func appendAll(t *testing.T, segs *segments, frames [][]byte) []pointer {
	t.Helper()
	var ptrs []pointer
	for i := 0; i < len(frames); i += 7 {
		p, err := segs.append(frames[i:min(i+7, len(frames))])
		if err != nil {
			t.Fatal(err)
		}
		ptrs = append(ptrs, p...)
	}
	return ptrs
}

func TestSegmentsAppendReadReopen(t *testing.T) {
	for _, dir := range []string{t.TempDir(), ""} {
		t.Run(fmt.Sprintf("dir=%q", dir), func(t *testing.T) {
			segs, err := openSegments(dir, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			frames := testFrames(60)
			ptrs := appendAll(t, segs, frames)
			checkFrames(t, segs, frames, ptrs)
			n, size := segs.stats()
			if n < 3 {
				t.Fatalf("%d segments for %d bytes of 1 MiB segments", n, size)
			}
			if dir == "" {
				return
			}
			if err := segs.close(); err != nil {
				t.Fatal(err)
			}
			segs, err = openSegments(dir, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			defer segs.close()
			checkFrames(t, segs, frames, ptrs)
			var walked []pointer
			for id := uint32(1); id < segs.nextID; id++ {
				if err := segs.walk(id, func(p pointer, h uint64) bool {
					if h != uint64(len(walked)+1) {
						t.Fatalf("walk: frame %d has hash %d", len(walked), h)
					}
					walked = append(walked, p)
					return true
				}); err != nil {
					t.Fatal(err)
				}
			}
			if fmt.Sprint(walked) != fmt.Sprint(ptrs) {
				t.Fatalf("walk found %v, want %v", walked, ptrs)
			}
		})
	}
}

// TestSegmentTornTail cuts the last segment inside its last frame and
// zeroes a header, as a power cut can: the cut frame reads as missing, a
// walk stops before the damage, and appends go to a new segment.
func TestSegmentTornTail(t *testing.T) {
	dir := t.TempDir()
	segs, err := openSegments(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	frames := testFrames(8)[:8]
	ptrs := appendAll(t, segs, frames)
	last := ptrs[len(ptrs)-1]
	segs.close()
	if err := os.Truncate(segs.path(last.seg), last.off+last.n/2); err != nil {
		t.Fatal(err)
	}
	if segs, err = openSegments(dir, 1<<20); err != nil {
		t.Fatal(err)
	}
	defer segs.close()
	if _, err := segs.read(last); !errors.Is(err, errShortFrame) {
		t.Fatalf("read of a cut frame: %v, want errShortFrame", err)
	}
	count := func() int {
		n := 0
		_ = segs.walk(last.seg, func(pointer, uint64) bool { n++; return true })
		return n
	}
	before := 0
	for _, p := range ptrs {
		if p.seg == last.seg {
			before++
		}
	}
	if got := count(); got != before-1 {
		t.Fatalf("walk found %d frames, want %d", got, before-1)
	}
	f, err := os.OpenFile(segs.path(last.seg), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, frameHeaderLen), ptrs[len(ptrs)-2].off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := count(); got != before-2 {
		t.Fatalf("walk found %d frames after a zeroed header, want %d", got, before-2)
	}
	p, err := segs.append(frames[:1])
	if err != nil {
		t.Fatal(err)
	}
	if p[0].seg <= last.seg {
		t.Fatalf("append after reopen went to segment %d, not a new one", p[0].seg)
	}
}

func TestFrameRejectsOtherBytes(t *testing.T) {
	f := encodeFrame(7, record{key: []byte("k"), entry: testEntry("t", "i", nil, body(1, 0, 100))})
	if _, err := decodeFrame(f, 8); !errors.Is(err, errBadFrame) {
		t.Fatalf("frame of another hash: %v, want errBadFrame", err)
	}
	if _, err := decodeFrame(f[:len(f)-1], 7); !errors.Is(err, errBadFrame) {
		t.Fatalf("short frame: %v, want errBadFrame", err)
	}
	g := append([]byte(nil), f...)
	g[len(g)-1] ^= 1
	if _, err := decodeFrame(g, 7); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged body: %v, want ErrCorrupt", err)
	}
	g = append([]byte(nil), f...)
	g[2] ^= 1
	if _, err := decodeFrame(g, 7); !errors.Is(err, errBadFrame) {
		t.Fatalf("damaged header: %v, want errBadFrame", err)
	}
	p := pointer{seg: 3, off: 1 << 40, n: 12345}
	got, idx, err := decodePointer(encodePointer(p, []byte("idx")))
	if err != nil || got != p || string(idx) != "idx" {
		t.Fatalf("pointer round trip: %+v %q %v", got, idx, err)
	}
}

// FuzzDecodeFrame: no input crashes the frame or pointer decoders; what
// decodes as a frame re-encodes to the same bytes, and what decodes as a
// pointer round-trips.
func FuzzDecodeFrame(f *testing.F) {
	f.Add(encodeFrame(7, record{key: []byte("k"), stamp: 3, entry: testEntry("t", "i", []string{"a"}, []byte("body"))}), uint64(7))
	f.Add(make([]byte, frameHeaderLen), uint64(0))
	f.Add(encodePointer(pointer{seg: 1, off: 2, n: 300}, []byte("idx")), uint64(1))
	f.Fuzz(func(t *testing.T, b []byte, h uint64) {
		if rec, err := decodeFrame(b, h); err == nil {
			if again := encodeFrame(h, rec); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs:\n%x\n%x", again, b)
			}
		} else if !errors.Is(err, errBadFrame) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v wraps neither errBadFrame nor ErrCorrupt", err)
		}
		if p, idx, err := decodePointer(b); err == nil {
			if again := encodePointer(p, idx); !bytes.Equal(again, b) {
				t.Fatalf("pointer re-encoding differs:\n%x\n%x", again, b)
			}
		}
	})
}
