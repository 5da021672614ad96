package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync/atomic"
)

// ErrBadTrace reports a malformed trace file; the message names the line.
var ErrBadTrace = errors.New("bench: bad trace")

// Trace limits.
const (
	MaxTraceLine    = 64 << 10 // bytes per line
	MaxTraceEntries = 5_000_000
	maxTraceHeaders = 32 // per line
)

// ParseTrace reads a trace: one request per line, blank lines and lines
// starting with '#' ignored. A line is a URL — a path such as
// "/acme/cats/tom.jpg?w=400" or an absolute http(s) URL whose path and query
// are used (the host is ignored: the engine sends to its targets) —
// optionally followed by headers, each introduced by a tab:
//
//	/acme/cats/tom.jpg?w=400<TAB>Accept: image/webp<TAB>If-None-Match: "abc"
//
// It returns ErrBadTrace (wrapped, naming the line) for anything else and
// never panics. The returned requests are owned by the caller.
func ParseTrace(r io.Reader) ([]Request, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxTraceLine)
	var out []Request
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimLeft(text, " \t"), "#") {
			continue
		}
		req, err := parseTraceLine(text)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadTrace, line, err)
		}
		if len(out) == MaxTraceEntries {
			return nil, fmt.Errorf("%w: more than %d requests", ErrBadTrace, MaxTraceEntries)
		}
		out = append(out, req)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: a line is longer than %d bytes", ErrBadTrace, MaxTraceLine)
		}
		return nil, fmt.Errorf("%w: %v", ErrBadTrace, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no requests", ErrBadTrace)
	}
	return out, nil
}

func parseTraceLine(text string) (Request, error) {
	fields := strings.Split(strings.TrimLeft(text, " "), "\t")
	path, err := tracePath(strings.TrimSpace(fields[0]))
	if err != nil {
		return Request{}, err
	}
	if len(fields)-1 > maxTraceHeaders {
		return Request{}, fmt.Errorf("more than %d headers", maxTraceHeaders)
	}
	req := Request{Path: path}
	for _, f := range fields[1:] {
		if strings.TrimSpace(f) == "" {
			continue
		}
		h, err := parseTraceHeader(f)
		if err != nil {
			return Request{}, err
		}
		req.Header = append(req.Header, h)
	}
	return req, nil
}

// tracePath returns the path and query of a trace URL.
func tracePath(raw string) (string, error) {
	if raw == "" || strings.ContainsAny(raw, " ") || !validHeaderValue(raw) {
		return "", fmt.Errorf("URL %q: empty or contains spaces or control characters", truncate(raw, 80))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("URL %q: %v", truncate(raw, 80), err)
	}
	if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("URL %q: scheme must be http or https", truncate(raw, 80))
	}
	if u.Scheme == "" && !strings.HasPrefix(raw, "/") {
		return "", fmt.Errorf("URL %q: must start with / or http(s)://", truncate(raw, 80))
	}
	path := u.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("URL %q: no path", truncate(raw, 80))
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return path, nil
}

func parseTraceHeader(f string) (Header, error) {
	name, value, ok := strings.Cut(f, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || !validToken(name) {
		return Header{}, fmt.Errorf("header %q: want \"Name: value\"", truncate(f, 80))
	}
	if !validHeaderValue(value) {
		return Header{}, fmt.Errorf("header %q: value has control characters", name)
	}
	if equalFoldASCII(name, "Host") || equalFoldASCII(name, "Content-Length") ||
		equalFoldASCII(name, "Transfer-Encoding") || equalFoldASCII(name, "Connection") {
		return Header{}, fmt.Errorf("header %q is set by the engine", name)
	}
	return Header{Name: name, Value: value}, nil
}

// validToken reports whether s is an RFC 9110 token (a header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// validHeaderValue reports whether s has no control characters (tab aside).
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Trace replays parsed requests in file order, shared by all workers (each
// request goes to whichever worker asks next) and starting over at the end.
// It is safe for concurrent use.
type Trace struct {
	name string
	reqs []Request
	next atomic.Uint64
}

// NewTrace returns a replay workload over reqs, which must not be empty
// and must not be modified afterwards.
func NewTrace(name string, reqs []Request) (*Trace, error) {
	if len(reqs) == 0 {
		return nil, fmt.Errorf("%w: no requests", ErrBadTrace)
	}
	return &Trace{name: name, reqs: reqs}, nil
}

// Name describes the workload.
func (t *Trace) Name() string { return fmt.Sprintf("trace %s (%d requests)", t.name, len(t.reqs)) }

// Len is the number of requests in one pass.
func (t *Trace) Len() int { return len(t.reqs) }

// NewSource returns a source drawing from the shared replay position.
func (t *Trace) NewSource(int) Source { return traceSource{t} }

type traceSource struct{ t *Trace }

func (s traceSource) Next(r *Request) {
	i := (s.t.next.Add(1) - 1) % uint64(len(s.t.reqs))
	*r = s.t.reqs[i]
}
