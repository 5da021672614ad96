package libvips

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pixcdn/transform"
)

// Fidelity and size guards of working masters over the photo corpus (see
// corpusFiles; `make deps` fetches it, and under CI the test fails
// without it): for a sample of the photos larger than the bound and of
// widths 100-1600 with every fit, a variant made from the master is
// compared with the one made from the original.
//
// Fidelity: the two are made as PNGs (lossless, so only the master's own
// loss shows) and their PSNR must be at least minMasterPSNR. 40 dB is a
// difference no one sees side by side (a mean error of about 2.5 levels
// in 255); it is far below what delivery costs anyway: the default WebP
// and JPEG qualities are 32-36 dB from the lossless result
// (TestLossyFidelity). Measured minimum over this sample: see
// docs/benchmarks.md, "Working masters".
//
// Size: the default-quality WebP and JPEG made from the master must be on
// average at most 5 % larger than those made from the original (a noisier
// master would cost bytes on every variant made from it).
func TestMasterFidelityAndSizeOverCorpus(t *testing.T) {
	const (
		minMasterPSNR = 40.0
		maxSizeRatio  = 1.05
	)
	files := largeCorpus(t)
	p := newTestProcessor(t, func(c *Config) { c.PNGCompression = 0 })
	queries := []string{"w=%d", "w=%d&h=%%d&fit=cover", "w=%d&h=%%d&fit=contain", "w=%d&h=%%d&fit=fill", "w=%d&h=%%d&fit=cover&g=ne", "w=%d&h=%%d&fit=outside"}
	widths := []int{100, 400, 800, 1600}
	var ratios, psnrs []float64
	k := 0
	for i := 0; i < len(files); i += 4 { // a quarter of the photos, three widths each: seconds, not minutes
		src := files[i]
		m, _ := transform.Probe(src)
		orig := transform.Size{W: m.Width, H: m.Height}
		master, mm := makeMaster(t, p, src, masterBound)
		for j := range 3 {
			w := widths[(i+j)%len(widths)]
			k++
			q := fmt.Sprintf(queries[k%len(queries)], w)
			if strings.Count(q, "%d") > 0 {
				q = fmt.Sprintf(q, w*2/3)
			}
			o, err := transform.Parse(q)
			if err != nil {
				t.Fatal(err)
			}
			if !p.MasterFits(orig, transform.Size{W: mm.Width, H: mm.Height}, checked(t, o)) {
				continue
			}
			for _, f := range []transform.Format{transform.PNG, transform.WebP, transform.JPEG} {
				if f == transform.JPEG && k%2 == 0 { // every other sample: half the JPEG work
					continue
				}
				o.Format = f
				fromOrig, om, err := p.Process(context.Background(), src, o)
				if err != nil {
					t.Fatal(err)
				}
				fromMaster, mmeta, err := p.ProcessMaster(context.Background(), probed(t, master), orig, checked(t, o))
				if err != nil {
					t.Fatal(err)
				}
				if om.Width != mmeta.Width || om.Height != mmeta.Height {
					t.Errorf("photo %d %s: %d×%d from the master, %d×%d from the original", i, q, mmeta.Width, mmeta.Height, om.Width, om.Height)
				}
				if f != transform.PNG {
					ratios = append(ratios, float64(len(fromMaster))/float64(len(fromOrig)))
					continue
				}
				db := vipsPSNR(t, fromMaster, fromOrig)
				psnrs = append(psnrs, db)
				if db < minMasterPSNR {
					t.Errorf("photo %d (%d×%d) %s: PSNR %.1f dB from the master, want ≥ %.0f", i, orig.W, orig.H, q, db, minMasterPSNR)
				}
			}
		}
	}
	if len(psnrs) == 0 || len(ratios) == 0 {
		t.Fatal("no variant fitted a master")
	}
	slices.Sort(psnrs)
	r := mean(ratios)
	t.Logf("%d variants: PSNR min %.1f, median %.1f, max %.1f dB; size from master / from original: mean %.3f, max %.3f",
		len(psnrs), psnrs[0], psnrs[len(psnrs)/2], psnrs[len(psnrs)-1], r, slices.Max(ratios))
	if r > maxSizeRatio {
		t.Errorf("variants from masters are %.1f %% larger on average, want ≤ %.0f %%", (r-1)*100, (maxSizeRatio-1)*100)
	}
}
