package bench

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// URL dialects of the image servers a workload can be replayed against.
const (
	// DialectPixcdn sends the workload's paths as they are.
	DialectPixcdn = "pixcdn"
	// DialectImgproxy: /unsafe/rs:fit:W:H/plain/local:///TENANT/ID@FORMAT,
	// for an imgproxy whose local filesystem root holds the tenant folders.
	DialectImgproxy = "imgproxy"
	// DialectThumbor: /unsafe/fit-in/WxH/filters:format(F)/TENANT/ID, for a
	// thumbor whose file loader root holds the tenant folders.
	DialectThumbor = "thumbor"
	// DialectTemplate fills a path template's placeholders (see Dialect).
	DialectTemplate = "template"
)

// Dialect rewrites a workload's pixcdn request paths
// (/TENANT/PUBLIC_ID?w=…&h=…&fm=…) into another server's URL grammar. The
// image options it carries over are w, h, dpr (multiplied in where the
// server has no such option), fit, fm and q; others are dropped.
//
// A template (DialectTemplate) is a path and query with placeholders:
// {tenant}, {public_id}, {id} (TENANT/PUBLIC_ID), {w}, {h}, {fit}, {fm}, {q}
// and {query} (the pixcdn query); an option the request does not set is
// empty. The dialect is immutable and safe for concurrent use.
type Dialect struct {
	Name     string // one of the Dialect* constants
	Template string // the path template of DialectTemplate
	prefix   string // path prefix of the server's base URL
}

// imageRequest is what a dialect needs from a pixcdn request path.
type imageRequest struct {
	tenant, publicID string // as in the path (percent-encoded)
	query            string
	opts             url.Values
}

func parseImageRequest(path string) imageRequest {
	p, query, _ := strings.Cut(path, "?")
	tenant, id, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	opts, _ := url.ParseQuery(query)
	return imageRequest{tenant: tenant, publicID: id, query: query, opts: opts}
}

// side returns option w or h (0 when absent) multiplied by a numeric dpr.
func (r imageRequest) side(name string) int {
	n, err := strconv.Atoi(r.opts.Get(name))
	if err != nil || n < 0 {
		return 0
	}
	if dpr, err := strconv.ParseFloat(r.opts.Get("dpr"), 64); err == nil && dpr > 1 {
		n = int(float64(n)*dpr + 0.5)
	}
	return n
}

// format is the explicit output format, "" for none or auto.
func (r imageRequest) format() string {
	if fm := r.opts.Get("fm"); fm != "auto" {
		return fm
	}
	return ""
}

// Path returns the request path for pixcdnPath in d's grammar.
func (d Dialect) Path(pixcdnPath string) string {
	switch d.Name {
	case DialectImgproxy:
		return d.prefix + imgproxyPath(parseImageRequest(pixcdnPath))
	case DialectThumbor:
		return d.prefix + thumborPath(parseImageRequest(pixcdnPath))
	case DialectTemplate:
		return d.prefix + templatePath(d.Template, parseImageRequest(pixcdnPath))
	}
	return d.prefix + pixcdnPath
}

func imgproxyPath(r imageRequest) string {
	var b strings.Builder
	b.WriteString("/unsafe")
	w, h := r.side("w"), r.side("h")
	if w > 0 || h > 0 {
		fit := map[string]string{"cover": "fill", "fill": "force"}[r.opts.Get("fit")]
		if fit == "" {
			fit = "fit"
		}
		fmt.Fprintf(&b, "/rs:%s:%d:%d", fit, w, h)
	}
	if q := r.opts.Get("q"); q != "" {
		b.WriteString("/q:" + q)
	}
	b.WriteString("/plain/local:///" + r.tenant + "/" + r.publicID)
	if fm := r.format(); fm != "" {
		b.WriteString("@" + strings.Replace(fm, "jpeg", "jpg", 1))
	}
	return b.String()
}

func thumborPath(r imageRequest) string {
	var b strings.Builder
	b.WriteString("/unsafe")
	w, h := r.side("w"), r.side("h")
	if w > 0 || h > 0 {
		if fit := r.opts.Get("fit"); fit != "cover" && fit != "fill" {
			b.WriteString("/fit-in")
		}
		fmt.Fprintf(&b, "/%dx%d", w, h)
	}
	var filters []string
	if fm := r.format(); fm != "" {
		filters = append(filters, "format("+fm+")")
	}
	if q := r.opts.Get("q"); q != "" {
		filters = append(filters, "quality("+q+")")
	}
	if len(filters) > 0 {
		b.WriteString("/filters:" + strings.Join(filters, ":"))
	}
	b.WriteString("/" + r.tenant + "/" + r.publicID)
	return b.String()
}

func templatePath(tmpl string, r imageRequest) string {
	side := func(name string) string {
		if n := r.side(name); n > 0 {
			return strconv.Itoa(n)
		}
		return ""
	}
	return strings.NewReplacer(
		"{tenant}", r.tenant, "{public_id}", r.publicID, "{id}", r.tenant+"/"+r.publicID,
		"{w}", side("w"), "{h}", side("h"), "{fit}", url.QueryEscape(r.opts.Get("fit")),
		"{fm}", url.QueryEscape(r.format()), "{q}", url.QueryEscape(r.opts.Get("q")), "{query}", r.query,
	).Replace(tmpl)
}

// Contender is one server of a comparison: a name for reports and charts,
// its base URL(s) and its URL dialect.
type Contender struct {
	Name    string   `json:"name"`
	Targets []string `json:"targets"`
	Dialect Dialect  `json:"dialect"`
	// MetricsURLs are scraped as Config.MetricsURLs for this contender.
	MetricsURLs []string `json:"metrics_urls,omitempty"`
}

// ParseContender parses NAME=URL as given to pixcdn bench --compare. URL is
// a base URL (http://HOST:PORT[/PREFIX]) in the dialect NAME names
// (imgproxy, thumbor, or pixcdn for any other name), a base URL prefixed
// with a dialect (NAME=thumbor+http://…), or a URL template with
// placeholders (NAME=http://HOST:PORT/img/{id}?width={w}).
func ParseContender(spec string) (Contender, error) {
	name, raw, ok := strings.Cut(spec, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || raw == "" {
		return Contender{}, fmt.Errorf("%w: compare %q: want NAME=URL", ErrBadConfig, spec)
	}
	d := Dialect{Name: DialectPixcdn}
	if known := strings.ToLower(name); known == DialectImgproxy || known == DialectThumbor {
		d.Name = known
	}
	if dialect, rest, ok := strings.Cut(raw, "+"); ok && !strings.Contains(dialect, "/") {
		switch dialect {
		case DialectPixcdn, DialectImgproxy, DialectThumbor:
			d.Name, raw = dialect, rest
		default:
			return Contender{}, fmt.Errorf("%w: compare %q: unknown dialect %q (pixcdn, imgproxy, thumbor)", ErrBadConfig, spec, dialect)
		}
	}
	u, err := url.Parse(strings.NewReplacer("{", "%7B", "}", "%7D").Replace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return Contender{}, fmt.Errorf("%w: compare %q: want http(s)://HOST:PORT[/PATH]", ErrBadConfig, spec)
	}
	base := u.Scheme + "://" + u.Host
	rest := strings.TrimPrefix(raw, base)
	if strings.Contains(rest, "{") {
		d.Name, d.Template = DialectTemplate, rest
	} else {
		if u.RawQuery != "" {
			return Contender{}, fmt.Errorf("%w: compare %q: a query needs placeholders such as {w}", ErrBadConfig, spec)
		}
		d.prefix = strings.TrimSuffix(rest, "/")
	}
	return Contender{Name: name, Targets: []string{base}, Dialect: d}, nil
}

// withDialect returns wl with every request path rewritten by d.
func withDialect(wl Workload, d Dialect) Workload {
	if d.Name == DialectPixcdn && d.prefix == "" {
		return wl
	}
	return dialectWorkload{wl, d}
}

type dialectWorkload struct {
	Workload
	d Dialect
}

func (w dialectWorkload) NewSource(worker int) Source {
	return dialectSource{w.Workload.NewSource(worker), w.d}
}

type dialectSource struct {
	src Source
	d   Dialect
}

func (s dialectSource) Next(r *Request) {
	s.src.Next(r)
	r.Path = s.d.Path(r.Path)
}
