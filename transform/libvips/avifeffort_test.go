package libvips

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"pixcdn/transform"
)

// BenchmarkAVIFEffort measures the AV1 encoder's effort (0 fastest, aom
// speed 9 .. 9 slowest) at the default AVIF quality, beside WebP with its
// defaults, over the corpus JPEGs resized to a typical page width and held
// in memory, so only the encoder is timed: mean output bytes, encode CPU ms,
// PSNR and bytes × ms, as BenchmarkFormatTradeoff reports them. Run it with
// -benchtime Nx, N = the number of corpus JPEGs (21), so each photo is
// encoded once per setting. PIXCDN_AVIF_EFFORTS (comma-separated, default
// 0..9) picks the efforts, PIXCDN_AVIF_QUALITIES (default: the default
// quality) the qualities, to compare efforts at matched PSNR, and
// PIXCDN_TRADEOFF_WIDTH (default 800) the width.
// See docs/benchmarks.md, "Miss path", and bench/miss/run.sh.
func BenchmarkAVIFEffort(b *testing.B) {
	def := DefaultConfig()
	width := envInts(b, "PIXCDN_TRADEOFF_WIDTH", []int{800}, 1, transform.MaxSide)[0]
	efforts := envInts(b, "PIXCDN_AVIF_EFFORTS", []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, 9)
	qualities := envInts(b, "PIXCDN_AVIF_QUALITIES", []int{def.AVIFQuality}, 1, 100)
	newTestProcessor(b, nil)
	refs, imgs := tradeoffSources(b, width)
	settings := []tradeoffSetting{{transform.WebP, def.WebPQuality, def.WebPEffort}}
	for _, e := range efforts {
		for _, q := range qualities {
			settings = append(settings, tradeoffSetting{transform.AVIF, q, e})
		}
	}
	for _, s := range settings {
		b.Run(fmt.Sprintf("w=%d/fm=%v/q=%d/effort=%d", width, s.format, s.quality, s.effort), func(b *testing.B) {
			benchTradeoff(b, s, refs, imgs)
		})
	}
}

// envInts reads the comma-separated integers in the environment variable
// name, each within lo..hi, or returns def when it is unset.
func envInts(b *testing.B, name string, def []int, lo, hi int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < lo || n > hi {
			b.Fatalf("%s=%q: want integers %d..%d, comma-separated", name, v, lo, hi)
		}
		out = append(out, n)
	}
	return out
}
