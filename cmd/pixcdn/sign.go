package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"pixcdn/edge/imgurl"
)

// signSettings configure `pixcdn sign`; urlSettings embed them.
type signSettings struct {
	Key  string        `flag:"key" secret:"true" help:"URL signing key: one of the edges' --sign-key (≥ 16 bytes)"`
	Exp  time.Duration `flag:"exp" help:"the URL expires this long from now (exp=UNIX, covered by the signature; edges answer 403 after it); 0 never expires"`
	Base string        `flag:"base" help:"print full URLs on this base, e.g. https://cdn.example (default: path and query only)"`
}

func signCommand() command {
	return command{
		name:    "sign",
		summary: "sign image URLs with an edge's signing key",
		usage:   "--key-file F [--exp 1h] [--base URL] PATH?QUERY…",
		description: `Prints each URL signed the way edges verify it (s=, HMAC-SHA256 of the path and
query as given, docs/signing.md), one per line. A URL is a path and query such as
'/acme/cats/tom.jpg?w=400&fm=auto', or a full http(s) URL, whose base is kept.
With --exp the URL carries exp=UNIX-SECONDS and edges refuse it with 403 from then
on. Flags go before the URLs.

Example: pixcdn sign --key-file sign.key --exp 24h '/acme/cats/tom.jpg?w=400'`,
		newSettings: func() any { return &signSettings{} },
		run: func(_ context.Context, s any, args []string) error {
			return runSign(s.(*signSettings), args, time.Now(), os.Stdout)
		},
	}
}

func runSign(s *signSettings, args []string, now time.Time, stdout io.Writer) error {
	if err := s.validate(); err != nil {
		return badUsage(err)
	}
	if len(args) == 0 {
		return badUsage(errors.New("no URL to sign: give PATH?QUERY, e.g. '/acme/cats/tom.jpg?w=400'"))
	}
	var out strings.Builder
	for _, arg := range args {
		base, rawPath, rawQuery, err := splitURLArg(arg)
		if err != nil {
			return badUsage(err)
		}
		if base == "" {
			base = s.Base
		}
		out.WriteString(s.sign(base, rawPath, rawQuery, now) + "\n")
	}
	_, err := io.WriteString(stdout, out.String())
	return err
}

func (s *signSettings) validate() error {
	switch {
	case s.Key == "":
		return errors.New("--key (or --key-file, PIXCDN_KEY, PIXCDN_KEY_FILE) is required")
	case len(s.Key) < 16:
		return errors.New("--key is shorter than 16 bytes: edges refuse such keys")
	case s.Exp < 0:
		return errors.New("--exp must not be negative")
	}
	if s.Base != "" {
		if _, err := parseBase(s.Base); err != nil {
			return err
		}
	}
	return nil
}

// sign returns base + the signed rawPath?rawQuery, expiring s.Exp after
// now when s.Exp is set, or unsigned when s has no key.
func (s *signSettings) sign(base, rawPath, rawQuery string, now time.Time) string {
	var signed string
	switch {
	case s.Key == "":
		signed = rawPath
		if rawQuery != "" {
			signed += "?" + rawQuery
		}
	case s.Exp > 0:
		signed = imgurl.SignURLUntil([]byte(s.Key), rawPath, rawQuery, now.Add(s.Exp))
	default:
		signed = imgurl.SignURL([]byte(s.Key), rawPath, rawQuery)
	}
	return strings.TrimSuffix(base, "/") + signed
}

// splitURLArg splits a URL argument into its base (scheme and host of a full
// URL, else ""), raw path and raw query. The path must be one edges accept,
// and the query must not already carry s or exp.
func splitURLArg(arg string) (base, rawPath, rawQuery string, err error) {
	rest := arg
	if strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://") {
		u, err := url.Parse(arg)
		if err != nil || u.Host == "" {
			return "", "", "", fmt.Errorf("%q: not a URL", arg)
		}
		base = u.Scheme + "://" + u.Host
		rest = strings.TrimPrefix(arg, base)
	}
	rawPath, rawQuery, _ = strings.Cut(rest, "?")
	if _, _, err := imgurl.Split(rawPath); err != nil {
		return "", "", "", fmt.Errorf("%q: %w (want /TENANT/PUBLIC_ID?OPTIONS)", arg, err)
	}
	for _, part := range strings.Split(rawQuery, "&") {
		if k, _, _ := strings.Cut(part, "="); k == "s" || k == "exp" {
			return "", "", "", fmt.Errorf("%q: already carries %s=; give the URL without it", arg, k)
		}
	}
	return base, rawPath, rawQuery, nil
}

// parseBase checks a --base URL: http(s), a host, nothing after the path.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--base %q: want http(s)://HOST[:PORT][/PREFIX]", raw)
	}
	return u, nil
}
