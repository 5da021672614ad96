package edge

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestRoundDPRGoesUpToTheNextStep(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 0}, {0.5, 1}, {1, 1}, {1.04, 1}, {1.1, 1.5}, {1.5, 1.5}, {1.75, 2},
		{2, 2}, {2.0001, 2}, {2.625, 3}, {3, 3}, {3.5, 4}, {4, 4}, {7, 4},
	} {
		if got := roundDPR(tc.in); got != tc.want {
			t.Errorf("roundDPR(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestWidthStepRoundsUpTheLadder(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want int
	}{
		{0, 0}, {1, 100}, {100, 100}, {101, 200}, {412.5, 500}, {1000, 1000}, {1001, 1200},
		{1999, 2000}, {2001, 2500}, {4000, 4000}, {4001, 5000}, {8000, 8000}, {8001, 8192}, {1e9, 8192},
	} {
		if got := widthStep(tc.in); got != tc.want {
			t.Errorf("widthStep(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestReadClientHintsPrefersSecCHAndIgnoresJunk(t *testing.T) {
	for _, tc := range []struct {
		headers []string
		want    clientHints
	}{
		{nil, clientHints{}},
		{[]string{"Sec-CH-DPR", "2", "DPR", "3"}, clientHints{dpr: 2}},
		{[]string{"DPR", "2.625"}, clientHints{dpr: 3}},
		{[]string{"Sec-CH-Width", "412", "Width", "900"}, clientHints{width: 500}},
		{[]string{"Width", "900"}, clientHints{width: 900}},
		{[]string{"Sec-CH-DPR", "NaN", "Sec-CH-Width", "-5"}, clientHints{}},
		{[]string{"Sec-CH-DPR", "Inf", "Sec-CH-Width", "wide"}, clientHints{}},
		{[]string{"Save-Data", "on"}, clientHints{saveData: true}},
		{[]string{"Save-Data", "On; x=1"}, clientHints{saveData: true}},
		{[]string{"Save-Data", "off"}, clientHints{}},
	} {
		var h fasthttp.RequestHeader
		for i := 0; i+1 < len(tc.headers); i += 2 {
			h.Set(tc.headers[i], tc.headers[i+1])
		}
		if got := readClientHints(&h); got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.headers, got, tc.want)
		}
	}
}

func TestResolveHintsWritesConcreteOptions(t *testing.T) {
	for _, tc := range []struct {
		query   string
		headers []string
		want    string
		use     hintUse
	}{
		{"w=200&fm=auto", []string{"Sec-CH-DPR", "2"}, "w=200&fm=auto", 0},
		{"dpr=auto&w=200", []string{"Sec-CH-DPR", "2"}, "w=200&dpr=2", useDPR | useSaveData},
		{"dpr=auto&w=200", []string{"Sec-CH-DPR", "2", "Save-Data", "on"}, "w=200&dpr=2&q=60", useDPR | useSaveData},
		{"dpr=auto&w=200&q=90", []string{"Sec-CH-DPR", "1.3", "Save-Data", "on"}, "w=200&q=90&dpr=1.5", useDPR},
		{"dpr=auto&w=200", nil, "w=200&dpr=1", useDPR | useSaveData},
		{"w=auto&h=100", []string{"Sec-CH-Width", "730"}, "h=100&w=800", useWidth | useSaveData},
		{"w=auto&h=100&dpr=2", []string{"Sec-CH-Width", "730"}, "h=200&w=800", useWidth | useSaveData},
		{"w=auto&h=100&dpr=auto", []string{"Sec-CH-Width", "730", "Sec-CH-DPR", "2"}, "h=200&w=800", useWidth | useDPR | useSaveData},
		{"w=auto&h=100&dpr=auto", []string{"Sec-CH-DPR", "2"}, "h=100&dpr=2", useWidth | useDPR | useSaveData},
		{"w=auto&fm=webp", nil, "fm=webp", useWidth | useSaveData},
		{"w=auto&h=8000&dpr=auto", []string{"Width", "9000", "DPR", "4"}, "h=8192&w=8192", useWidth | useDPR | useSaveData},
	} {
		var h fasthttp.RequestHeader
		for i := 0; i+1 < len(tc.headers); i += 2 {
			h.Set(tc.headers[i], tc.headers[i+1])
		}
		got, use, _ := resolveHints(tc.query, &h)
		if got != tc.want || use != tc.use {
			t.Errorf("%q with %q: %q (use %b), want %q (use %b)", tc.query, tc.headers, got, use, tc.want, tc.use)
		}
	}
}

// TestClientHintsPickTheVariant: dpr=auto and w=auto answers are made for
// the rounded hints, name them in Vary, carry Accept-CH, and requests with
// hints that round alike share one variant (and one memo entry).
func TestClientHintsPickTheVariant(t *testing.T) {
	n := newTestNode(t)
	const uri = "/acme/cat.jpg?dpr=auto&w=200&fm=webp"
	wantVary := "Sec-CH-DPR, DPR, Save-Data"
	wantCH := "Sec-CH-DPR, Sec-CH-Width, DPR, Width"

	dpr2 := n.get(uri, "Sec-CH-DPR", "2")
	if dpr2.code != 200 || dpr2.body != catJPEG+"|w=400|webp" || dpr2.h("X-Cache") != "MISS" {
		t.Fatalf("Sec-CH-DPR 2: %d %q %s", dpr2.code, dpr2.body, dpr2.h("X-Cache"))
	}
	if dpr2.h("Vary") != wantVary || dpr2.h("Accept-CH") != wantCH {
		t.Errorf("Vary %q, Accept-CH %q; want %q, %q", dpr2.h("Vary"), dpr2.h("Accept-CH"), wantVary, wantCH)
	}
	// 1.9 rounds up to 2: the same variant, a hit; legacy DPR counts too.
	for _, hdr := range [][]string{{"Sec-CH-DPR", "1.9"}, {"DPR", "2"}, {"Sec-CH-DPR", "2"}} {
		r := n.get(uri, hdr...)
		if r.body != dpr2.body || r.h("X-Cache") != "HIT" || r.h("ETag") != dpr2.h("ETag") || r.h("Vary") != wantVary {
			t.Errorf("%q: %q %s %s, want the DPR 2 variant as a hit", hdr, r.body, r.h("X-Cache"), r.h("Vary"))
		}
	}
	if none := n.get(uri); none.body != catJPEG+"|w=200|webp" {
		t.Errorf("no hint: %q, want dpr 1", none.body)
	}
	if three := n.get(uri, "Sec-CH-DPR", "2.625"); three.body != catJPEG+"|w=600|webp" {
		t.Errorf("DPR 2.625: %q, want dpr 3", three.body)
	}
	if got := n.codec.transforms.Load(); got != 3 {
		t.Errorf("%d transforms, want 3 (dpr 1, 2, 3)", got)
	}

	width := n.get("/acme/cat.jpg?w=auto&fm=auto", "Sec-CH-Width", "333", "Accept", "image/webp")
	if width.body != catJPEG+"|w=400|webp" || width.h("Vary") != "Accept, Sec-CH-Width, Width, Save-Data" || width.h("Accept-CH") != wantCH {
		t.Errorf("w=auto, Width 333: %q, Vary %q, Accept-CH %q", width.body, width.h("Vary"), width.h("Accept-CH"))
	}
	// Without a width hint and other options, the original is served, and
	// says it depends on the hint.
	orig := n.get("/acme/cat.jpg?w=auto")
	if orig.body != catJPEG || orig.h("Vary") != "Sec-CH-Width, Width, Save-Data" || orig.h("Accept-CH") != wantCH {
		t.Errorf("w=auto without a hint: %q, Vary %q, Accept-CH %q", orig.body, orig.h("Vary"), orig.h("Accept-CH"))
	}
}

// TestSaveDataLowersQualityOnlyWhereTheURLAllows: Save-Data: on makes its
// own variant at q=saveDataQuality for a hinted URL without q; a URL with q,
// or without client hints, ignores it and says nothing of it in Vary.
func TestSaveDataLowersQualityOnlyWhereTheURLAllows(t *testing.T) {
	n := newTestNode(t)
	const uri = "/acme/cat.jpg?dpr=auto&w=100&fm=webp"
	full := n.get(uri, "Sec-CH-DPR", "1")
	saving := n.get(uri, "Sec-CH-DPR", "1", "Save-Data", "on")
	if full.body != catJPEG+"|w=100|webp" || saving.body != catJPEG+"|w=100&q=60|webp" || saving.h("X-Cache") != "MISS" {
		t.Errorf("without Save-Data %q, with %q (%s)", full.body, saving.body, saving.h("X-Cache"))
	}
	if full.h("ETag") == saving.h("ETag") || !strings.Contains(saving.h("Vary"), "Save-Data") {
		t.Errorf("the two variants mix: ETags %s %s, Vary %q", full.h("ETag"), saving.h("ETag"), saving.h("Vary"))
	}
	if again := n.get(uri, "Sec-CH-DPR", "1"); again.body != full.body || again.h("X-Cache") != "HIT" {
		t.Errorf("after Save-Data, a request without it: %q %s", again.body, again.h("X-Cache"))
	}

	explicit := n.get("/acme/cat.jpg?dpr=auto&w=100&q=90&fm=webp", "Save-Data", "on")
	if explicit.body != catJPEG+"|w=100&q=90|webp" || explicit.h("Vary") != "Sec-CH-DPR, DPR" {
		t.Errorf("explicit q under Save-Data: %q, Vary %q", explicit.body, explicit.h("Vary"))
	}
	plain := n.get("/acme/cat.jpg?w=100&fm=webp", "Save-Data", "on", "Sec-CH-DPR", "2")
	if plain.body != catJPEG+"|w=100|webp" || plain.h("Vary") != "" || plain.h("Accept-CH") != "" {
		t.Errorf("a URL without auto: %q, Vary %q, Accept-CH %q", plain.body, plain.h("Vary"), plain.h("Accept-CH"))
	}
}

// TestHintedRequestsAreMemoisedByTheirRoundedHints: the memo keeps one
// request per URI, Accept and rounded hints, and finds it again for hints
// that round alike.
func TestHintedRequestsAreMemoisedByTheirRoundedHints(t *testing.T) {
	n := newTestNode(t)
	const uri = "/acme/cat.jpg?dpr=auto&w=200&fm=webp"
	n.get(uri, "Sec-CH-DPR", "2")
	if r := n.srv.memo.Get([]byte(uri), nil); r != usesHints {
		t.Fatalf("lookup by Accept alone: %+v, want usesHints", r)
	}
	key := hintMemoKey(nil, nil, clientHints{dpr: 2})
	r2 := n.srv.memo.Get([]byte(uri), key)
	if r2 == nil || !r2.hinted || string(r2.varyHeader) != "Sec-CH-DPR, DPR, Save-Data" {
		t.Fatalf("memoised request for DPR 2: %+v", r2)
	}
	n.get(uri, "Sec-CH-DPR", "1.8")
	if got := n.srv.memo.Get([]byte(uri), key); got != r2 {
		t.Errorf("DPR 1.8 parsed anew (%p, want %p)", got, r2)
	}
	key1 := hintMemoKey(nil, nil, clientHints{dpr: 1})
	if r1 := n.srv.memo.Get([]byte(uri), key1); r1 != usesHints {
		t.Errorf("a DPR never sent is memoised: %+v", r1)
	}
	n.get(uri, "Sec-CH-DPR", "1")
	if r1 := n.srv.memo.Get([]byte(uri), key1); r1 == nil || r1 == usesHints || r1 == r2 {
		t.Errorf("DPR 1 after DPR 2: memo holds %+v", r1)
	}
	if got := n.srv.memo.Get([]byte(uri), key); got != r2 {
		t.Errorf("DPR 2 lost after DPR 1 was memoised")
	}
}
