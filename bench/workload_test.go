package bench

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// chiSquare returns the statistic of observed counts against probabilities.
func chiSquare(counts []int, probs []float64, n int) float64 {
	var x float64
	for i, c := range counts {
		exp := probs[i] * float64(n)
		x += (float64(c) - exp) * (float64(c) - exp) / exp
	}
	return x
}

// chiBound is a loose upper bound for a chi-square statistic with df
// degrees of freedom (mean df, sd sqrt(2df)): 6 standard deviations.
func chiBound(df int) float64 { return float64(df) + 6*math.Sqrt(2*float64(df)) }

func TestZipfFollowsDistribution(t *testing.T) {
	for _, s := range []float64{0, 0.7, 1.0, 1.3} {
		z, err := NewZipf(50, s)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(7, uint64(s*10)))
		const n = 200000
		counts := make([]int, z.N())
		for range n {
			counts[z.Sample(r)]++
		}
		probs := make([]float64, z.N())
		for i := range probs {
			probs[i] = z.Prob(i)
		}
		if x := chiSquare(counts, probs, n); x > chiBound(z.N()-1) {
			t.Errorf("s=%v: chi-square %.1f above %.1f", s, x, chiBound(z.N()-1))
		}
		if want := math.Pow(2, s); s > 0 && math.Abs(float64(counts[0])/float64(counts[1])-want) > 0.05*want {
			t.Errorf("s=%v: rank0/rank1 = %.3f, want about %.3f", s, float64(counts[0])/float64(counts[1]), want)
		}
	}
}

func TestZipfRejectsBadParameters(t *testing.T) {
	for _, c := range []struct {
		n int
		s float64
	}{{0, 1}, {MaxZipfItems + 1, 1}, {10, -1}, {10, math.NaN()}, {10, math.Inf(1)}} {
		if _, err := NewZipf(c.n, c.s); err == nil {
			t.Errorf("NewZipf(%d, %v) accepted", c.n, c.s)
		}
	}
}

func drawN(src Source, n int) []Request {
	out := make([]Request, n)
	for i := range out {
		var r Request
		src.Next(&r)
		r.Header = append([]Header(nil), r.Header...)
		out[i] = r
	}
	return out
}

func TestSyntheticDeterministicPerSeedAndWorker(t *testing.T) {
	cfg := DefaultSyntheticConfig()
	a, _ := NewSynthetic(cfg)
	b, _ := NewSynthetic(cfg)
	ra, rb := drawN(a.NewSource(3), 500), drawN(b.NewSource(3), 500)
	for i := range ra {
		if ra[i].Path != rb[i].Path || ra[i].Accept() != rb[i].Accept() || ra[i].Revisit != rb[i].Revisit {
			t.Fatalf("request %d differs for the same seed: %+v vs %+v", i, ra[i], rb[i])
		}
	}
	other := drawN(a.NewSource(4), 500)
	cfg.Seed = 2
	c, _ := NewSynthetic(cfg)
	reseeded := drawN(c.NewSource(3), 500)
	if samePaths(ra, other) || samePaths(ra, reseeded) {
		t.Fatal("another worker or seed yields the same sequence")
	}
}

func samePaths(a, b []Request) bool {
	for i := range a {
		if a[i].Path != b[i].Path {
			return false
		}
	}
	return true
}

func TestSyntheticFollowsMix(t *testing.T) {
	cfg := DefaultSyntheticConfig()
	cfg.Images = 20
	cfg.RevisitShare = 0.25
	wl, err := NewSynthetic(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100000
	images := make([]int, cfg.Images)
	browsers := make([]int, len(cfg.Browsers))
	revisits := 0
	src := wl.NewSource(0)
	var r Request
	for range n {
		src.Next(&r)
		images[imageIndex(t, r.Path, cfg)]++
		browsers[browserIndex(t, r.Accept(), cfg.Browsers)]++
		if r.Revisit {
			revisits++
		}
	}
	if x := chiSquare(images, probsOf(wl.images), n); x > chiBound(cfg.Images-1) {
		t.Errorf("image popularity chi-square %.1f above %.1f", x, chiBound(cfg.Images-1))
	}
	bp := make([]float64, len(cfg.Browsers))
	for i := range bp {
		bp[i] = cfg.Browsers[i].Weight / 100 // default weights sum to 100
	}
	if x := chiSquare(browsers, bp, n); x > chiBound(len(bp)-1) {
		t.Errorf("browser mix %v: chi-square %.1f above %.1f", browsers, x, chiBound(len(bp)-1))
	}
	if share := float64(revisits) / n; math.Abs(share-0.25) > 0.01 {
		t.Errorf("revisit share %.4f, want 0.25", share)
	}
}

func probsOf(z *Zipf) []float64 {
	p := make([]float64, z.N())
	for i := range p {
		p[i] = z.Prob(i)
	}
	return p
}

func imageIndex(t *testing.T, path string, cfg SyntheticConfig) int {
	t.Helper()
	p, _, _ := strings.Cut(path, "?")
	for i := range cfg.Images {
		if p == "/"+cfg.Tenant+"/"+ImageID(i, cfg.Ext) {
			return i
		}
	}
	t.Fatalf("path %q is not a synthetic image", path)
	return 0
}

func browserIndex(t *testing.T, accept string, bs []Browser) int {
	t.Helper()
	for i, b := range bs {
		if b.Accept == accept {
			return i
		}
	}
	t.Fatalf("accept %q is not a profile", accept)
	return 0
}

func TestSyntheticValidate(t *testing.T) {
	bad := []func(*SyntheticConfig){
		func(c *SyntheticConfig) { c.Tenant = "" },
		func(c *SyntheticConfig) { c.Tenant = "a/b" },
		func(c *SyntheticConfig) { c.Images = 0 },
		func(c *SyntheticConfig) { c.Variants = nil },
		func(c *SyntheticConfig) { c.Variants = []string{"w=1 0"} },
		func(c *SyntheticConfig) { c.Browsers = []Browser{{Name: "x", Accept: "a\nb", Weight: 1}} },
		func(c *SyntheticConfig) { c.RevisitShare = 1.5 },
		func(c *SyntheticConfig) { c.ImageSkew = -1 },
	}
	for i, mutate := range bad {
		cfg := DefaultSyntheticConfig()
		mutate(&cfg)
		if _, err := NewSynthetic(cfg); err == nil {
			t.Errorf("case %d: invalid config accepted", i)
		}
	}
	if err := DefaultSyntheticConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}
