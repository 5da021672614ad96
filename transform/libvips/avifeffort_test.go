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
// 0..9) picks the efforts and PIXCDN_TRADEOFF_WIDTH (default 800) the width.
// See docs/benchmarks.md, "Miss path", and bench/miss/run.sh.
func BenchmarkAVIFEffort(b *testing.B) {
	width, efforts := 800, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	if v := os.Getenv("PIXCDN_TRADEOFF_WIDTH"); v != "" {
		w, err := strconv.Atoi(v)
		if err != nil || w < 1 || w > transform.MaxSide {
			b.Fatalf("PIXCDN_TRADEOFF_WIDTH=%q: want 1..%d", v, transform.MaxSide)
		}
		width = w
	}
	if v := os.Getenv("PIXCDN_AVIF_EFFORTS"); v != "" {
		efforts = nil
		for _, f := range strings.Split(v, ",") {
			e, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || e < 0 || e > 9 {
				b.Fatalf("PIXCDN_AVIF_EFFORTS=%q: want efforts 0..9, comma-separated", v)
			}
			efforts = append(efforts, e)
		}
	}
	newTestProcessor(b, nil)
	refs, imgs := tradeoffSources(b, width)
	def := DefaultConfig()
	settings := []tradeoffSetting{{transform.WebP, def.WebPQuality, def.WebPEffort}}
	for _, e := range efforts {
		settings = append(settings, tradeoffSetting{transform.AVIF, def.AVIFQuality, e})
	}
	for _, s := range settings {
		b.Run(fmt.Sprintf("w=%d/fm=%v/q=%d/effort=%d", width, s.format, s.quality, s.effort), func(b *testing.B) {
			benchTradeoff(b, s, refs, imgs)
		})
	}
}
