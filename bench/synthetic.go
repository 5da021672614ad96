package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
)

// ErrBadWorkload reports an invalid workload configuration.
var ErrBadWorkload = errors.New("bench: invalid workload")

// SyntheticConfig describes a synthetic workload: Zipf-popular images, each
// requested in one of several variants, by a mix of browsers, a share of
// them revalidating an image they already have.
type SyntheticConfig struct {
	// Seed makes the request sequence reproducible. Default 1.
	Seed uint64 `json:"seed"`
	// Tenant is the first path segment. Default "bench".
	Tenant string `json:"tenant"`
	// Images is the number of distinct images N, named ImageID(0..N-1).
	// Default 1000, at most MaxZipfItems.
	Images int `json:"images"`
	// Ext is the image file extension, as written by Seed. Default "jpg".
	Ext string `json:"ext"`
	// ImageSkew is the Zipf exponent of image popularity (0 = uniform).
	// Default 0.9.
	ImageSkew float64 `json:"image_skew"`
	// Variants are the M query strings an image is requested with ("" is
	// the original). Default DefaultVariants().
	Variants []string `json:"variants"`
	// VariantSkew is the Zipf exponent over Variants in list order.
	// Default 1.0.
	VariantSkew float64 `json:"variant_skew"`
	// Browsers is the client mix. Default DefaultBrowsers().
	Browsers []Browser `json:"browsers"`
	// RevisitShare is the share (0..1) of requests marked Revisit, sent
	// with If-None-Match once an ETag for them has been seen. Default 0.2.
	RevisitShare float64 `json:"revisit_share"`
}

// DefaultVariants is a mix of responsive widths, a retina size, a crop and
// an explicit format, most popular first.
func DefaultVariants() []string {
	return []string{
		"w=320", "w=640", "w=160", "w=1024",
		"w=320&dpr=2", "w=200&h=200&fit=cover", "w=640&fm=jpeg&q=75", "",
	}
}

// DefaultSyntheticConfig returns the defaults documented on the fields.
func DefaultSyntheticConfig() SyntheticConfig {
	return SyntheticConfig{
		Seed: 1, Tenant: "bench", Images: 1000, Ext: "jpg", ImageSkew: 0.9,
		Variants: DefaultVariants(), VariantSkew: 1.0,
		Browsers: DefaultBrowsers(), RevisitShare: 0.2,
	}
}

// ImageID is the public id of synthetic image i, shared by Seed and the
// synthetic workload: "img-000042.jpg".
func ImageID(i int, ext string) string {
	return fmt.Sprintf("img-%06d.%s", i, ext)
}

// Validate reports the first invalid field.
func (c SyntheticConfig) Validate() error {
	switch {
	case !validSegment(c.Tenant):
		return fmt.Errorf("%w: tenant %q must be a non-empty path segment of [A-Za-z0-9._-]", ErrBadWorkload, c.Tenant)
	case c.Images < 1 || c.Images > MaxZipfItems:
		return fmt.Errorf("%w: images %d, want 1..%d", ErrBadWorkload, c.Images, MaxZipfItems)
	case !validSegment(c.Ext):
		return fmt.Errorf("%w: ext %q", ErrBadWorkload, c.Ext)
	case len(c.Variants) == 0:
		return fmt.Errorf("%w: no variants", ErrBadWorkload)
	case len(c.Browsers) == 0:
		return fmt.Errorf("%w: no browsers", ErrBadWorkload)
	case !(c.RevisitShare >= 0 && c.RevisitShare <= 1):
		return fmt.Errorf("%w: revisit share %v, want 0..1", ErrBadWorkload, c.RevisitShare)
	}
	for _, v := range c.Variants {
		if _, err := url.ParseQuery(v); err != nil || strings.ContainsAny(v, "?# \t\r\n") {
			return fmt.Errorf("%w: variant %q is not a query string", ErrBadWorkload, v)
		}
	}
	for _, b := range c.Browsers {
		if !(b.Weight > 0) || !validHeaderValue(b.Accept) {
			return fmt.Errorf("%w: browser %q needs a positive weight and a valid Accept", ErrBadWorkload, b.Name)
		}
	}
	return nil
}

func validSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// Synthetic is the Workload built from a SyntheticConfig. It is immutable
// and safe for concurrent use.
type Synthetic struct {
	cfg      SyntheticConfig
	images   *Zipf
	variants *Zipf
	browsers []float64 // cumulative weights, last == 1
	prefix   []string  // "/tenant/img-000042.jpg" per image
}

// NewSynthetic validates cfg and precomputes its tables.
func NewSynthetic(cfg SyntheticConfig) (*Synthetic, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	images, err := NewZipf(cfg.Images, cfg.ImageSkew)
	if err != nil {
		return nil, err
	}
	variants, err := NewZipf(len(cfg.Variants), cfg.VariantSkew)
	if err != nil {
		return nil, err
	}
	s := &Synthetic{cfg: cfg, images: images, variants: variants}
	s.browsers = cumulative(cfg.Browsers)
	s.prefix = make([]string, cfg.Images)
	for i := range s.prefix {
		s.prefix[i] = "/" + cfg.Tenant + "/" + ImageID(i, cfg.Ext)
	}
	return s, nil
}

func cumulative(bs []Browser) []float64 {
	var total float64
	for _, b := range bs {
		total += b.Weight
	}
	out := make([]float64, len(bs))
	var sum float64
	for i, b := range bs {
		sum += b.Weight
		out[i] = sum / total
	}
	out[len(out)-1] = 1
	return out
}

// Name describes the workload.
func (s *Synthetic) Name() string {
	return "zipf images=" + strconv.Itoa(s.cfg.Images) + " variants=" + strconv.Itoa(len(s.cfg.Variants)) +
		" skew=" + strconv.FormatFloat(s.cfg.ImageSkew, 'g', -1, 64) +
		" revisit=" + strconv.FormatFloat(s.cfg.RevisitShare, 'g', -1, 64) +
		" seed=" + strconv.FormatUint(s.cfg.Seed, 10)
}

// NewSource returns worker n's deterministic request sequence.
func (s *Synthetic) NewSource(worker int) Source {
	return &syntheticSource{s: s, r: rand.New(rand.NewPCG(s.cfg.Seed, 0x9e3779b97f4a7c15^uint64(worker)))}
}

type syntheticSource struct {
	s   *Synthetic
	r   *rand.Rand
	hdr [1]Header
}

// Draw returns the ranks of one request: image, variant and browser.
func (src *syntheticSource) draw() (image, variant, browser int) {
	image = src.s.images.Sample(src.r)
	variant = src.s.variants.Sample(src.r)
	u := src.r.Float64()
	for browser < len(src.s.browsers)-1 && src.s.browsers[browser] < u {
		browser++
	}
	return image, variant, browser
}

func (src *syntheticSource) Next(r *Request) {
	image, variant, browser := src.draw()
	r.Path = src.s.prefix[image]
	if q := src.s.cfg.Variants[variant]; q != "" {
		r.Path += "?" + q
	}
	src.hdr[0] = Header{Name: "Accept", Value: src.s.cfg.Browsers[browser].Accept}
	r.Header = src.hdr[:]
	r.Revisit = src.r.Float64() < src.s.cfg.RevisitShare
}
