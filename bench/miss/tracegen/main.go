// Command tracegen writes the miss-path benchmark's request traces (one URL
// per line, for pixcdn bench --trace and bench/miss/ceiling) over the
// originals in a dir: origin's tenant folder:
//
//	tracegen -dir ORIGIN/bench -kind cold -rounds 5 -per-round 42 -out W/cold
//	    W/cold-1.txt … W/cold-5.txt: every request a new width in -min..-max
//	    (default 300..799) as -format (webp), no variant in two rounds
//	tracegen -dir ORIGIN/bench -kind zipf -n 200000 -out W/zipf.txt
//	    Zipf(-skew, 0.9) over images × -widths (50 widths, 200..1180) × -formats (webp,jpeg)
//
// See bench/miss/run.sh.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"pixcdn/bench"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tracegen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("tracegen", flag.ContinueOnError)
	dir := fs.String("dir", "", "tenant folder of the originals (every regular file in it is an image)")
	tenant := fs.String("tenant", "", "tenant in the URLs (default: the folder's name)")
	kind := fs.String("kind", "cold", "cold or zipf")
	out := fs.String("out", "", "cold: file prefix (PREFIX-ROUND.txt); zipf: the file")
	seed := fs.Uint64("seed", 1, "random seed")
	rounds := fs.Int("rounds", 5, "cold: rounds (files)")
	perRound := fs.Int("per-round", 42, "cold: requests per round")
	minW := fs.Int("min", 300, "cold: smallest width")
	maxW := fs.Int("max", 799, "cold: largest width")
	format := fs.String("format", "webp", "cold: output format")
	n := fs.Int("n", 200000, "zipf: requests")
	skew := fs.Float64("skew", 0.9, "zipf: exponent")
	widths := fs.String("widths", "200:1180:20", "zipf: widths FROM:TO:STEP or a comma-separated list")
	formats := fs.String("formats", "webp,jpeg", "zipf: formats, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *out == "" {
		return fmt.Errorf("-dir and -out are required")
	}
	if *tenant == "" {
		*tenant = filepath.Base(*dir)
	}
	images, err := listImages(*dir)
	if err != nil {
		return err
	}
	switch *kind {
	case "cold":
		if *rounds < 1 || *perRound < 1 {
			return fmt.Errorf("-rounds and -per-round must be positive")
		}
		all, err := bench.ColdWidths(images, *minW, *maxW, *format, *seed)
		if err != nil {
			return err
		}
		if *rounds**perRound > len(all) {
			return fmt.Errorf("%d rounds of %d requests need more than the %d variants", *rounds, *perRound, len(all))
		}
		for r := range *rounds {
			name := fmt.Sprintf("%s-%d.txt", *out, r+1)
			if err := writeTrace(name, *tenant, all[r**perRound:(r+1)**perRound]); err != nil {
				return err
			}
		}
		return nil
	case "zipf":
		ws, err := parseWidths(*widths)
		if err != nil {
			return err
		}
		vs, err := bench.ZipfVariants(images, ws, strings.Split(*formats, ","), *skew, *n, *seed)
		if err != nil {
			return err
		}
		return writeTrace(*out, *tenant, vs)
	}
	return fmt.Errorf("-kind %q: want cold or zipf", *kind)
}

// listImages returns the names of the regular files in dir, sorted.
func listImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no files in %s", dir)
	}
	sort.Strings(names)
	return names, nil
}

// parseWidths reads FROM:TO:STEP or W1,W2,….
func parseWidths(s string) ([]int, error) {
	if parts := strings.Split(s, ":"); len(parts) == 3 {
		var v [3]int
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("-widths %q: %v", s, err)
			}
			v[i] = n
		}
		if v[0] < 1 || v[1] < v[0] || v[2] < 1 || (v[1]-v[0])/v[2] >= 10000 {
			return nil, fmt.Errorf("-widths %q: want 1 <= FROM <= TO, STEP >= 1, at most 10000 widths", s)
		}
		var out []int
		for w := v[0]; w <= v[1]; w += v[2] {
			out = append(out, w)
		}
		return out, nil
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("-widths %q: %v", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func writeTrace(name, tenant string, vs []bench.Variant) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, v := range vs {
		w.WriteString(v.Path(tenant))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
