package bench

// Header is one request header sent with a generated request.
type Header struct {
	Name, Value string
}

// Request is one generated request: a path on an edge's public port plus
// the headers a client would send. A Source fills it in place, so the engine
// reuses one Request per worker.
type Request struct {
	// Path is the path and query string, starting with "/".
	Path string
	// Header holds extra headers such as Accept. The slice is owned by the
	// Source that filled it and is valid until its next Next call.
	Header []Header
	// Revisit asks the engine to send If-None-Match with the ETag it last
	// saw for the same Path and Accept header, when it has seen one, the way
	// a browser revalidates an image already in its cache.
	Revisit bool
}

// Get returns the value of the first header named name (any case), or "".
func (r *Request) Get(name string) string {
	for _, h := range r.Header {
		if equalFoldASCII(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Accept returns the value of the request's Accept header, or "".
func (r *Request) Accept() string { return r.Get("Accept") }

// Workload creates request sources. A Workload is safe for concurrent use;
// the engine asks it for one Source per worker.
type Workload interface {
	// NewSource returns the request source for worker n (0-based). For a
	// fixed seed, the sequence a given worker's source yields is the same
	// on every run.
	NewSource(worker int) Source
	// Name describes the workload in reports.
	Name() string
}

// Source yields requests. A Source is not safe for concurrent use.
type Source interface {
	// Next overwrites r with the next request.
	Next(r *Request)
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
