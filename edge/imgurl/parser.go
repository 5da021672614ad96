package imgurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config says how URLs are parsed and which signatures are accepted.
type Config struct {
	// Presets maps a preset name (the `p` parameter) to an option query such
	// as "w=200&h=200&fit=cover". Default: none.
	Presets map[string]string
	// PresetsOnly refuses every option parameter except `p` (and `s`, `exp`), so
	// clients can request only the variants an operator defined. Default false.
	PresetsOnly bool
	// SignKeys are the HMAC-SHA256 keys; a signature made with any of them
	// verifies (rotation: add the new key, re-sign, then drop the old one).
	// Default: none.
	SignKeys [][]byte
	// RequireSignature makes every URL need a valid signature. Default false.
	RequireSignature bool
	// Now returns the current time, which decides whether a signed URL's
	// expiry (exp) has passed. Default (nil): time.Now.
	Now func() time.Time
}

// DefaultConfig returns a config with no presets and no signing.
func DefaultConfig() Config { return Config{} }

// Validate checks the config: preset names and bodies must parse, keys must
// be at least 16 bytes, and signatures cannot be required without keys.
func (c Config) Validate() error {
	if c.RequireSignature && len(c.SignKeys) == 0 {
		return errors.New("imgurl: RequireSignature needs at least one sign key")
	}
	for i, k := range c.SignKeys {
		if len(k) < 16 {
			return fmt.Errorf("imgurl: sign key %d shorter than 16 bytes", i)
		}
	}
	for name, q := range c.Presets {
		if name == "" || strings.ContainsAny(name, "&=?# ") {
			return fmt.Errorf("imgurl: bad preset name %q", name)
		}
		params, err := parseParams(q)
		if err != nil {
			return fmt.Errorf("imgurl: preset %q: %w", name, err)
		}
		for _, p := range params {
			if p.key == "p" || p.key == "s" || p.key == expParam || p.key == InfoParam {
				return fmt.Errorf("imgurl: preset %q: may not set %s", name, p.key)
			}
		}
	}
	return nil
}

// Parser parses public image URLs. It is immutable and safe for concurrent use.
type Parser struct {
	cfg     Config
	presets map[string][]param
}

// New returns a Parser for a valid cfg. The config's maps and slices are
// copied; later changes to them have no effect.
func New(cfg Config) (*Parser, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Parser{cfg: cfg, presets: make(map[string][]param, len(cfg.Presets))}
	p.cfg.SignKeys = make([][]byte, len(cfg.SignKeys))
	for i, k := range cfg.SignKeys {
		p.cfg.SignKeys[i] = append([]byte(nil), k...)
	}
	for name, q := range cfg.Presets {
		p.presets[name], _ = parseParams(q)
	}
	return p, nil
}

// Request is a parsed public URL.
type Request struct {
	Tenant, PublicID string
	// Options is the option query for transform.Parse: presets expanded
	// (explicit parameters override the preset's), `p` and `s` removed,
	// parameters sorted by key. Empty means "serve the original".
	Options string
	// Values are Options as decoded, one value per key, for a caller
	// that would otherwise parse Options again (transform.ParseValues);
	// nil when Options is empty.
	Values url.Values
	// Signed reports that a signature was present and verified.
	Signed bool
	// Expires is when the signed URL stops being valid (its exp parameter);
	// zero for a URL without one.
	Expires time.Time
	// Info reports the info parameter (InfoParam): the client asks for the
	// image's description as JSON instead of an image. Options is then
	// empty: info takes no other option (ErrBadQuery), and is allowed in
	// presets-only mode.
	Info bool
}

// Parse parses a request's raw path and raw query (both as sent) at the
// time given by the config's Now; see ParseAt.
func (p *Parser) Parse(rawPath, rawQuery string) (Request, error) {
	now := time.Now
	if p.cfg.Now != nil {
		now = p.cfg.Now
	}
	return p.ParseAt(rawPath, rawQuery, now())
}

// ParseAt parses a request's raw path and raw query (both as sent) as at
// now. A present but invalid signature is always an error (ErrSignature),
// and so is a signed URL whose expiry (exp, Unix seconds, covered by the
// signature) is not after now; a missing signature is an error only when the
// config requires signatures, otherwise Signed is false and the caller
// decides once it knows the image's visibility. exp without a signature, or
// not a positive integer, wraps ErrBadQuery.
func (p *Parser) ParseAt(rawPath, rawQuery string, now time.Time) (Request, error) {
	tenant, id, err := Split(rawPath)
	if err != nil {
		return Request{}, err
	}
	rest, sig, hasSig := withoutSignature(rawQuery)
	r := Request{Tenant: tenant, PublicID: id}
	if hasSig {
		if !verify(p.cfg.SignKeys, rawPath, rest, sig) {
			return Request{}, fmt.Errorf("%w: signature does not match", ErrSignature)
		}
		r.Signed = true
	} else if p.cfg.RequireSignature {
		return Request{}, fmt.Errorf("%w: signature required", ErrSignature)
	}
	params, err := parseParams(rest)
	if err != nil {
		return Request{}, err
	}
	if r.Expires, err = expiry(params, hasSig); err != nil {
		return Request{}, err
	}
	if !r.Expires.IsZero() && !now.Before(r.Expires) {
		return Request{}, fmt.Errorf("%w: signed URL expired", ErrSignature)
	}
	if r.Info, err = infoOnly(params); err != nil || r.Info {
		return r, err
	}
	options, err := p.expandParams(params)
	if err != nil {
		return Request{}, err
	}
	r.Options, r.Values = encodeParams(options), decodedValues(options)
	return r, nil
}

// expand applies presets and the presets-only rule to a query without `s`.
func (p *Parser) expand(rawQuery string) (string, error) {
	params, err := parseParams(rawQuery)
	if err != nil {
		return "", err
	}
	options, err := p.expandParams(params)
	return encodeParams(options), err
}

// expandParams applies presets and the presets-only rule to the parameters
// of a query without `s`, leaving out `p` and `exp`.
func (p *Parser) expandParams(params []param) ([]param, error) {
	var preset []param
	explicit := params[:0:0]
	for _, pr := range params {
		if pr.key == expParam {
			continue
		}
		if pr.key != "p" {
			explicit = append(explicit, pr)
			continue
		}
		var ok bool
		if preset, ok = p.presets[pr.value]; !ok {
			return nil, fmt.Errorf("%w: p: unknown preset %q", ErrBadQuery, truncate(pr.value))
		}
	}
	if p.cfg.PresetsOnly && len(explicit) > 0 {
		return nil, fmt.Errorf("%w: %s: only presets (p=) are allowed", ErrBadQuery, truncate(explicit[0].key))
	}
	return merge(preset, explicit), nil
}

// merge returns the preset's parameters overridden by the explicit ones.
func merge(preset, explicit []param) []param {
	out := append([]param(nil), explicit...)
	for _, pp := range preset {
		overridden := false
		for _, e := range explicit {
			overridden = overridden || e.key == pp.key
		}
		if !overridden {
			out = append(out, pp)
		}
	}
	return out
}
