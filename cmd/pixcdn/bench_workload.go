package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"pixcdn/bench"
)

// originalVariant names the empty variant (the image without options) in
// the --variants flag.
const originalVariant = "original"

func joinVariants(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		if v == "" {
			v = originalVariant
		}
		out[i] = v
	}
	return strings.Join(out, ";")
}

func splitVariants(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ";") {
		v = strings.TrimSpace(v)
		if v == originalVariant {
			v = ""
		} else if v == "" {
			continue
		}
		out = append(out, v)
	}
	return out
}

func browserFlags(bs []bench.Browser) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Name + "=" + strconv.FormatFloat(b.Weight, 'g', -1, 64)
	}
	return out
}

// parseBrowsers reads NAME=WEIGHT items naming the default profiles.
func parseBrowsers(items []string) ([]bench.Browser, error) {
	known := map[string]bench.Browser{}
	var names []string
	for _, b := range bench.DefaultBrowsers() {
		known[b.Name] = b
		names = append(names, b.Name)
	}
	var out []bench.Browser
	for _, item := range items {
		name, weight, ok := strings.Cut(item, "=")
		b, found := known[strings.TrimSpace(name)]
		w, err := strconv.ParseFloat(strings.TrimSpace(weight), 64)
		if !ok || !found || err != nil || !(w > 0) {
			return nil, fmt.Errorf("browsers: %q, want NAME=WEIGHT with NAME one of %s and WEIGHT > 0", item, strings.Join(names, ", "))
		}
		b.Weight = w
		out = append(out, b)
	}
	return out, nil
}

// workload builds the trace replay or the synthetic workload.
func (s *benchWorkloadSettings) workload() (bench.Workload, error) {
	if s.Trace != "" {
		f, err := os.Open(s.Trace)
		if err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
		defer f.Close()
		reqs, err := bench.ParseTrace(f)
		if err != nil {
			return nil, fmt.Errorf("trace %s: %w", s.Trace, err)
		}
		return bench.NewTrace(filepath.Base(s.Trace), reqs)
	}
	browsers, err := parseBrowsers(s.Browsers)
	if err != nil {
		return nil, err
	}
	cfg := bench.DefaultSyntheticConfig()
	cfg.Seed, cfg.Tenant, cfg.Images, cfg.Ext = uint64(s.Seed), s.Tenant, s.Images, s.Ext
	cfg.ImageSkew, cfg.Variants, cfg.VariantSkew = s.ImageSkew, splitVariants(s.Variants), s.VariantSkew
	cfg.Browsers, cfg.RevisitShare = browsers, s.Revisit
	return bench.NewSynthetic(cfg)
}
