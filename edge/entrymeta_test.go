package edge

import (
	"bytes"
	"testing"
	"time"
)

func TestDecodeMetaReadsEntriesStoredBeforeMeta(t *testing.T) {
	in := Entry{
		OriginETag: `"abc"`, Image: ImageRef{Signed: true},
		Policy: Policy{MaxAge: time.Minute, SWR: 30 * time.Second, SIE: time.Hour, Private: true},
	}
	meta := EncodeMeta(&in)
	var now, legacy Entry
	if !DecodeMeta(meta, []byte("body"), &now) || !DecodeMeta(nil, append(meta, "body"...), &legacy) {
		t.Fatal("DecodeMeta refused what EncodeMeta wrote")
	}
	for _, out := range []Entry{now, legacy} {
		if string(out.Body) != "body" || out.Policy != in.Policy || out.OriginETag != in.OriginETag || !out.Image.Signed {
			t.Fatalf("round trip:\n in  %+v\n out %+v", in, out)
		}
	}
	if DecodeMeta(append(meta, 'x'), []byte("body"), &now) || DecodeMeta(nil, []byte("body"), &now) {
		t.Fatal("DecodeMeta accepted bytes EncodeMeta did not write")
	}
}

// FuzzDecodeMeta: no input crashes DecodeMeta, as meta or as a legacy body,
// and what it accepts encodes again to the same entry.
func FuzzDecodeMeta(f *testing.F) {
	f.Add(append(EncodeMeta(&Entry{OriginETag: `"e"`, Policy: Policy{MaxAge: time.Second}}), 'x'))
	f.Add([]byte{metaMagic, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][2][]byte{{nil, b}, {b, []byte("body")}} {
			var e Entry
			if !DecodeMeta(in[0], in[1], &e) {
				continue
			}
			var e2 Entry
			if !DecodeMeta(EncodeMeta(&e), e.Body, &e2) || e2.Policy != e.Policy || e2.OriginETag != e.OriginETag ||
				e2.Image.Signed != e.Image.Signed || !bytes.Equal(e2.Body, e.Body) {
				t.Fatalf("re-encode differs: %+v vs %+v", e, e2)
			}
		}
	})
}
