package cluster

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestMetaRoundTripAndLimit(t *testing.T) {
	m := nodeMeta{Fingerprint: 1, RingVersion: 2, InternalAddr: strings.Repeat("a", 255), Leaving: true}
	b := m.encode()
	if len(b) > metaMaxLen || metaMaxLen >= 512 {
		t.Fatalf("metadata %d bytes (max %d), memberlist limit 512", len(b), metaMaxLen)
	}
	got, err := decodeMeta(b)
	if err != nil || got != m {
		t.Fatalf("decode = %+v, %v; want %+v", got, err, m)
	}
	for _, bad := range [][]byte{nil, {2}, append([]byte{metaFormat, 0x80}, make([]byte, 17)...), b[:len(b)-1]} {
		if _, err := decodeMeta(bad); !errors.Is(err, ErrMeta) {
			t.Errorf("decodeMeta(%x) err = %v, want ErrMeta", bad, err)
		}
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(nodeMeta{Fingerprint: 9, RingVersion: 3, InternalAddr: "10.0.0.1:8081"}.encode())
	f.Add([]byte{})
	f.Add([]byte{1, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			if !errors.Is(err, ErrMeta) {
				t.Fatalf("error %v does not wrap ErrMeta", err)
			}
			return
		}
		if again := m.encode(); !bytes.Equal(again, b) {
			t.Fatalf("re-encode %x != input %x", again, b)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add(encodeMessage(msgID{1, 2, 3}, []byte("purge acme/cats")))
	f.Add([]byte{msgMagic})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, payload, err := decodeMessage(b)
		if err != nil {
			if !errors.Is(err, ErrMessage) {
				t.Fatalf("error %v does not wrap ErrMessage", err)
			}
			return
		}
		if again := encodeMessage(id, payload); !bytes.Equal(again, b) {
			t.Fatalf("re-encode %x != input %x", again, b)
		}
	})
}

func TestDedupWindow(t *testing.T) {
	d := newDedup(2)
	ids := newIDSource()
	a, b, c := ids.id(), ids.id(), ids.id()
	steps := []struct {
		id   msgID
		want bool
	}{{a, true}, {a, false}, {b, true}, {a, false}, {c, true}, {a, true}, {c, false}}
	for i, s := range steps {
		if got := d.firstTime(s.id); got != s.want {
			t.Fatalf("step %d: firstTime = %v, want %v", i, got, s.want)
		}
	}
}
