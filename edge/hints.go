package edge

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"pixcdn/transform"
)

// Client hints (dpr=auto, w=auto) and Save-Data.
//
// Only a URL whose options say dpr=auto or w=auto reads the hint headers;
// every other URL is parsed and memoised as before. The hints are rounded
// (dprSteps, widthStep) and written into the option query as concrete
// values before the codec parses it, so the variant key holds only rounded
// values and a handful of variants per URL exist.
//
//   - dpr=auto takes Sec-CH-DPR, else DPR, rounded up to the next of
//     dprSteps; missing or unusable: 1.
//   - w=auto takes Sec-CH-Width, else Width: the image's width in device
//     pixels, so dpr (auto or given) is already in it and is not applied
//     to w again; h, if given, is scaled by dpr instead. The width is
//     rounded up the ladder of widthStep. Missing: w is dropped, so the
//     URL's other options (h, or the original width) decide.
//   - Save-Data: on, on such a URL without q, asks for q=saveDataQuality.
//     A URL with q keeps it: its author chose.
//
// Such responses carry Accept-CH (valAcceptCH) and a Vary naming the hint
// headers the URL used (hintVary); the memo keys them by the rounded hints
// as well as the URI and Accept (hintMemoKey).

// dprSteps are the device pixel ratios a dpr hint is rounded up to.
var dprSteps = [...]float64{1, 1.5, 2, 3, 4}

// dprSlack lets a hint a little above a step (2.0001) round down to it.
const dprSlack = 0.05

// saveDataQuality is the encoder quality asked for under Save-Data: 80
// (the default of the JPEG, WebP and JPEG XL encoders) lowered by a
// quarter. AVIF's default is 60 already, so AVIF does not get smaller.
const saveDataQuality = 60

var (
	hdrSecCHDPR   = []byte("Sec-Ch-Dpr")
	hdrDPR        = []byte("Dpr")
	hdrSecCHWidth = []byte("Sec-Ch-Width")
	hdrWidth      = []byte("Width")
	hdrSaveData   = []byte("Save-Data")
	hdrAcceptCH   = []byte("Accept-CH")
	// valAcceptCH asks browsers for the hints dpr=auto and w=auto use.
	valAcceptCH = []byte("Sec-CH-DPR, Sec-CH-Width, DPR, Width")
)

// clientHints are a request's hints, rounded: dpr one of dprSteps or 0
// (absent), width on the widthStep ladder or 0 (absent).
type clientHints struct {
	dpr      float64
	width    int
	saveData bool
}

// hintUse says which hints a URL asked for.
type hintUse uint8

const (
	useDPR      hintUse = 1 << iota // dpr=auto
	useWidth                        // w=auto
	useSaveData                     // dpr=auto or w=auto, and no q
)

// readClientHints reads and rounds the hint headers of h.
func readClientHints(h *fasthttp.RequestHeader) clientHints {
	dpr := h.PeekCanonical(hdrSecCHDPR)
	if len(dpr) == 0 {
		dpr = h.PeekCanonical(hdrDPR)
	}
	width := h.PeekCanonical(hdrSecCHWidth)
	if len(width) == 0 {
		width = h.PeekCanonical(hdrWidth)
	}
	sd, _, _ := bytes.Cut(h.PeekCanonical(hdrSaveData), []byte(";"))
	return clientHints{
		dpr:      roundDPR(parseHintNumber(dpr)),
		width:    widthStep(parseHintNumber(width)),
		saveData: bytes.EqualFold(bytes.TrimSpace(sd), []byte("on")),
	}
}

// parseHintNumber parses a structured-field number; 0 when absent or not
// a finite positive number.
func parseHintNumber(b []byte) float64 {
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return 0
	}
	return v
}

// roundDPR rounds v up to the next of dprSteps (within dprSlack), bounded
// by the first and last; 0 stays 0.
func roundDPR(v float64) float64 {
	if v == 0 {
		return 0
	}
	for _, s := range dprSteps {
		if v <= s+dprSlack {
			return s
		}
	}
	return dprSteps[len(dprSteps)-1]
}

// widthStep rounds a width in pixels up the ladder: multiples of 100 up to
// 1000, of 200 up to 2000, of 500 up to 4000, of 1000 above, capped at
// transform.MaxSide (8192). 0 stays 0.
func widthStep(v float64) int {
	if v <= 0 {
		return 0
	}
	n := int(math.Min(math.Ceil(v), transform.MaxSide))
	step := 1000
	switch {
	case n <= 1000:
		step = 100
	case n <= 2000:
		step = 200
	case n <= 4000:
		step = 500
	}
	return min((n+step-1)/step*step, transform.MaxSide)
}

// resolveHints returns the option query with dpr=auto and w=auto replaced
// by concrete values from the hint headers of h (see the comment at the
// top of this file), and which hints it used. A query without them is
// returned as it is and h is not read. Values it cannot read (a malformed
// dpr or h) are left for the codec to reject.
func resolveHints(query string, h *fasthttp.RequestHeader) (string, hintUse, clientHints) {
	if !strings.Contains(query, "=auto") {
		return query, 0, clientHints{}
	}
	params := strings.Split(query, "&")
	var use hintUse
	kept := params[:0]
	dpr, dprAt, hasQ := 1.0, -1, false
	for _, p := range params {
		switch {
		case p == "dpr=auto":
			use |= useDPR
			continue
		case p == "w=auto":
			use |= useWidth
			continue
		case strings.HasPrefix(p, "dpr="):
			if v, err := strconv.ParseFloat(p[len("dpr="):], 64); err == nil {
				dpr, dprAt = v, len(kept)
			}
		case strings.HasPrefix(p, "q="):
			hasQ = true
		}
		kept = append(kept, p)
	}
	if use == 0 {
		return query, 0, clientHints{}
	}
	hints := readClientHints(h)
	if use&useDPR != 0 {
		dpr = max(hints.dpr, 1)
	}
	if use&useWidth != 0 && hints.width > 0 {
		// The width hint counts device pixels: fold dpr into h instead.
		kept = foldDPRIntoHeight(kept, dprAt, dpr)
		kept = append(kept, "w="+strconv.Itoa(hints.width))
	} else if use&useDPR != 0 {
		kept = append(kept, "dpr="+strconv.FormatFloat(dpr, 'f', -1, 64))
	}
	if !hasQ {
		use |= useSaveData
		if hints.saveData {
			kept = append(kept, "q="+strconv.Itoa(saveDataQuality))
		}
	}
	return strings.Join(kept, "&"), use, hints
}

// foldDPRIntoHeight drops the dpr parameter at dprAt (-1: none) and scales
// an h parameter by dpr, capped at transform.MaxSide.
func foldDPRIntoHeight(params []string, dprAt int, dpr float64) []string {
	out := params[:0]
	for i, p := range params {
		if i == dprAt {
			continue
		}
		if v, ok := strings.CutPrefix(p, "h="); ok && dpr != 1 {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				p = "h=" + strconv.Itoa(min(int(float64(n)*dpr+0.5), transform.MaxSide))
			}
		}
		out = append(out, p)
	}
	return out
}

// hintVary returns the Vary value of a response to a request that used
// the hints of use, with Accept first when its format was negotiated.
func hintVary(use hintUse, negotiated bool) []byte {
	var names []string
	if negotiated {
		names = append(names, "Accept")
	}
	if use&useDPR != 0 {
		names = append(names, "Sec-CH-DPR", "DPR")
	}
	if use&useWidth != 0 {
		names = append(names, "Sec-CH-Width", "Width")
	}
	if use&useSaveData != 0 {
		names = append(names, "Save-Data")
	}
	return []byte(strings.Join(names, ", "))
}

// hintMemoKey appends to dst the memo's key for a request with hints h
// and Accept header accept: accept, a NUL (no header value holds one),
// then the rounded hints.
func hintMemoKey(dst, accept []byte, h clientHints) []byte {
	dst = append(dst, accept...)
	dst = append(dst, 0)
	dst = strconv.AppendFloat(dst, h.dpr, 'f', -1, 64)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(h.width), 10)
	if h.saveData {
		dst = append(dst, ",sd"...)
	}
	return dst
}
