package edge

import (
	"strconv"
	"strings"
	"time"
)

// Policy is the caching policy of an image, from the origin's Cache-Control.
type Policy struct {
	MaxAge time.Duration // how long a response is fresh
	SWR    time.Duration // stale-while-revalidate window after MaxAge
	SIE    time.Duration // stale-if-error window after MaxAge
	// Private responses are served with "private" and never shared by
	// downstream caches (the edge still caches them: they are per-URL).
	Private bool
}

// DefaultPolicy is used when the origin sends no usable Cache-Control (for
// example the dir: origin): one hour fresh, one minute revalidating in the
// background, one day of stale-if-error.
var DefaultPolicy = Policy{MaxAge: time.Hour, SWR: time.Minute, SIE: 24 * time.Hour}

// ParsePolicy parses a Cache-Control header. Directives it does not know are
// ignored; without max-age (or s-maxage) def is returned.
func ParsePolicy(cc string, def Policy) Policy {
	p, sawAge := Policy{}, false
	for _, d := range strings.Split(cc, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		secs, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
		dur := time.Duration(min(max(secs, 0), 1<<31)) * time.Second
		switch strings.ToLower(name) {
		case "max-age", "s-maxage":
			if err == nil {
				p.MaxAge, sawAge = dur, true
			}
		case "stale-while-revalidate":
			if err == nil {
				p.SWR = dur
			}
		case "stale-if-error":
			if err == nil {
				p.SIE = dur
			}
		case "private":
			p.Private = true
		case "no-store", "no-cache":
			p.MaxAge, sawAge = 0, true
		}
	}
	if !sawAge {
		return def
	}
	return p
}

// Header renders the policy as a Cache-Control value.
func (p Policy) Header() string {
	b := make([]byte, 0, 96)
	if p.Private {
		b = append(b, "private, max-age="...)
	} else {
		b = append(b, "public, max-age="...)
	}
	b = strconv.AppendInt(b, int64(p.MaxAge/time.Second), 10)
	if p.SWR > 0 {
		b = append(b, ", stale-while-revalidate="...)
		b = strconv.AppendInt(b, int64(p.SWR/time.Second), 10)
	}
	if p.SIE > 0 {
		b = append(b, ", stale-if-error="...)
		b = strconv.AppendInt(b, int64(p.SIE/time.Second), 10)
	}
	return string(b)
}

// stamp sets an entry's times from its policy at now.
func (e *Entry) stamp(now time.Time) {
	e.Created = now
	e.FreshUntil = now.Add(e.Policy.MaxAge)
	e.StaleUntil = e.FreshUntil.Add(max(e.Policy.SWR, e.Policy.SIE))
}

// inheritTimes gives a variant the freshness of the original it was made
// from: its age is the age of the origin's answer.
func (e *Entry) inheritTimes(orig *Entry) {
	e.Created, e.FreshUntil, e.StaleUntil = orig.Created, orig.FreshUntil, orig.StaleUntil
}
