package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"pixcdn/edge/imgurl"
	"pixcdn/transform"
)

// urlSettings configure `pixcdn url`: the image options (ARCHITECTURE.md,
// public URL grammar) and, through signSettings, the key, expiry and base.
type urlSettings struct {
	signSettings
	W       int      `flag:"w" help:"target width in CSS pixels (1..8192)"`
	H       int      `flag:"h" help:"target height in CSS pixels (1..8192)"`
	DPR     string   `flag:"dpr" help:"device pixel ratio 1..4, or auto (from the browser's DPR hint)"`
	Fit     string   `flag:"fit" help:"inside, cover, contain, fill or outside"`
	G       string   `flag:"g" help:"gravity for cover: center, n, s, e, w, ne, nw, se, sw, smart or fp:X,Y"`
	Fm      string   `flag:"fm" help:"output format: auto, jxl, avif, webp, jpeg, png or gif"`
	Q       int      `flag:"q" help:"encoder quality 1..100"`
	Blur    string   `flag:"blur" help:"Gaussian blur sigma 0.3..100"`
	Sharpen string   `flag:"sharpen" help:"sharpen sigma 0.3..100"`
	Rot     int      `flag:"rot" help:"rotation: 90, 180 or 270"`
	Flip    string   `flag:"flip" help:"flip: h or v"`
	Bg      string   `flag:"bg" help:"background colour rrggbb or rrggbbaa"`
	Preset  string   `flag:"p" help:"named preset of the edges' configuration"`
	Srcset  []string `flag:"srcset" help:"widths, e.g. 320,640,1280: print a srcset value (URL 320w, …) with w set to each"`
}

func urlCommand() command {
	return command{
		name:    "url",
		summary: "build an image URL (or a srcset) from options, signed when a key is given",
		usage:   "[--base URL] [--w N] [--fm F] [option flags] [--key-file F [--exp 1h]] /TENANT/PUBLIC_ID",
		description: `Prints the URL of an image variant: /TENANT/PUBLIC_ID with the option flags as
query parameters (checked the way edges check them), on --base if given. With a key
(--key, --key-file, PIXCDN_KEY, PIXCDN_KEY_FILE) the URL is signed, with --exp it
also expires. With --srcset it prints a srcset attribute value instead: one URL per
width, each followed by its width descriptor. Flags go before the path.

Example: pixcdn url --base https://cdn.example --fm auto --srcset 320,640,1280 /acme/cats/tom.jpg`,
		newSettings: func() any { return &urlSettings{} },
		run: func(_ context.Context, s any, args []string) error {
			return runURL(s.(*urlSettings), args, time.Now(), os.Stdout)
		},
	}
}

func runURL(s *urlSettings, args []string, now time.Time, stdout io.Writer) error {
	if len(args) != 1 {
		return badUsage(errors.New("give one image path /TENANT/PUBLIC_ID (flags go before it)"))
	}
	rawPath, err := s.path(args[0])
	if err != nil {
		return badUsage(err)
	}
	if err := s.validate(); err != nil {
		return badUsage(err)
	}
	widths, err := srcsetWidths(s.Srcset)
	if err != nil {
		return badUsage(err)
	}
	if len(widths) == 0 {
		query, err := s.query(s.W)
		if err != nil {
			return badUsage(err)
		}
		_, err = fmt.Fprintln(stdout, s.sign(s.Base, rawPath, query, now))
		return err
	}
	candidates := make([]string, len(widths))
	for i, w := range widths {
		query, err := s.query(w)
		if err != nil {
			return badUsage(err)
		}
		candidates[i] = s.sign(s.Base, rawPath, query, now) + " " + strconv.Itoa(w) + "w"
	}
	_, err = fmt.Fprintln(stdout, strings.Join(candidates, ", "))
	return err
}

func (s *urlSettings) validate() error {
	if s.Key == "" {
		if s.Exp != 0 {
			return errors.New("--exp needs a key: only signed URLs expire")
		}
		if s.Base != "" {
			_, err := parseBase(s.Base)
			return err
		}
		return nil
	}
	return s.signSettings.validate()
}

// path returns the raw path of the image argument, percent-encoded as
// edges expect.
func (s *urlSettings) path(arg string) (string, error) {
	tenant, id, err := imgurl.Split(arg)
	if err != nil {
		return "", fmt.Errorf("%q: %w (want /TENANT/PUBLIC_ID)", arg, err)
	}
	return imgurl.Path(tenant, id)
}

// query returns the option query with width w (0: none), in a fixed
// parameter order, after checking the options the way edges do.
func (s *urlSettings) query(w int) (string, error) {
	params := []struct{ key, value string }{
		{"p", s.Preset}, {"w", positive(w)}, {"h", positive(s.H)}, {"dpr", s.DPR}, {"fit", s.Fit},
		{"g", s.G}, {"fm", s.Fm}, {"q", positive(s.Q)}, {"blur", s.Blur}, {"sharpen", s.Sharpen},
		{"rot", positive(s.Rot)}, {"flip", s.Flip}, {"bg", s.Bg},
	}
	var all, options []string
	for _, p := range params {
		if p.value == "" {
			continue
		}
		kv := p.key + "=" + url.QueryEscape(p.value)
		all = append(all, kv)
		if p.key != "p" {
			options = append(options, kv)
		}
	}
	if _, err := transform.Parse(strings.Join(options, "&")); err != nil {
		return "", err
	}
	return strings.Join(all, "&"), nil
}

func positive(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func srcsetWidths(items []string) ([]int, error) {
	widths := make([]int, 0, len(items))
	for _, item := range items {
		w, err := strconv.Atoi(strings.TrimSpace(item))
		if err != nil || w < 1 || w > 8192 {
			return nil, fmt.Errorf("--srcset %q: want widths 1..8192, e.g. 320,640,1280", item)
		}
		widths = append(widths, w)
	}
	return widths, nil
}
