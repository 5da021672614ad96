package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
)

// ErrBadMissWorkload reports invalid miss-path workload parameters.
var ErrBadMissWorkload = errors.New("bench: invalid miss workload")

// maxMissVariants bounds the variants a miss-path workload enumerates.
const maxMissVariants = 10_000_000

// Variant is one resized rendition of an original: a width in pixels and an
// output format name (as in fm=). It is a plain value.
type Variant struct {
	// Image is the original's public id under the tenant, e.g. "rhythm.jpg".
	Image  string
	Width  int
	Format string
}

// Path returns the variant's URL path and query on an edge's public port:
// /TENANT/IMAGE?w=WIDTH&fm=FORMAT, the image id path-escaped.
func (v Variant) Path(tenant string) string {
	return "/" + url.PathEscape(tenant) + "/" + (&url.URL{Path: v.Image}).EscapedPath() +
		"?w=" + strconv.Itoa(v.Width) + "&fm=" + url.QueryEscape(v.Format)
}

// ColdWidths is the "every request a new variant" workload: every pair of
// an image and a width in minWidth..maxWidth, each exactly once, in an order
// shuffled by seed (the same on every run). It comes in blocks of
// len(images) requests, each block asking for every image once (in a
// shuffled order, at a width not asked before), so that consecutive rounds
// of a multiple of len(images) requests carry the same mix of sizes and
// their rates are comparable.
func ColdWidths(images []string, minWidth, maxWidth int, format string, seed uint64) ([]Variant, error) {
	if len(images) == 0 || minWidth < 1 || maxWidth < minWidth || format == "" {
		return nil, fmt.Errorf("%w: want images, 1 <= min width <= max width and a format", ErrBadMissWorkload)
	}
	widths := maxWidth - minWidth + 1
	if len(images) > maxMissVariants/widths {
		return nil, fmt.Errorf("%w: more than %d variants", ErrBadMissWorkload, maxMissVariants)
	}
	rng := rand.New(rand.NewPCG(seed, 0x636f6c64)) // "cold"
	perImage := make([][]int, len(images))
	for i := range perImage {
		perImage[i] = rng.Perm(widths)
	}
	order := make([]int, len(images))
	out := make([]Variant, 0, len(images)*widths)
	for block := range widths {
		for i := range order {
			order[i] = i
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, img := range order {
			out = append(out, Variant{Image: images[img], Width: minWidth + perImage[img][block], Format: format})
		}
	}
	return out, nil
}

// ZipfVariants is the "Zipf mix" workload: n requests drawn with Zipf
// exponent s over every combination of images × widths × formats. Ranks
// are assigned to the combinations in an order shuffled by seed, so
// popularity does not follow the order of the arguments; the draws are the
// same on every run for the same arguments.
func ZipfVariants(images []string, widths []int, formats []string, s float64, n int, seed uint64) ([]Variant, error) {
	if len(images) == 0 || len(widths) == 0 || len(formats) == 0 || n < 1 || n > MaxTraceEntries {
		return nil, fmt.Errorf("%w: want images, widths, formats and 1..%d requests", ErrBadMissWorkload, MaxTraceEntries)
	}
	if len(images) > maxMissVariants/len(widths)/len(formats) {
		return nil, fmt.Errorf("%w: more than %d variants", ErrBadMissWorkload, maxMissVariants)
	}
	var all []Variant
	for _, img := range images {
		for _, w := range widths {
			if w < 1 {
				return nil, fmt.Errorf("%w: width %d", ErrBadMissWorkload, w)
			}
			for _, f := range formats {
				all = append(all, Variant{Image: img, Width: w, Format: f})
			}
		}
	}
	z, err := NewZipf(len(all), s)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x7a697066)) // "zipf"
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	out := make([]Variant, n)
	for i := range out {
		out[i] = all[z.Sample(rng)]
	}
	return out, nil
}
