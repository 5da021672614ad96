package netnstest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The origin and client sides of TestNetnsEdgesServeNoStaleVariantAfterHeal:
// the test binary re-executed inside a namespace. The origin helper serves
// the part of the origin API an edge reads (originals and the event feed)
// for tenant acme from memory, and answers "update ID" on stdin by making
// a new version of image ID and appending an "updated" event. The client
// helper answers "get URL" with the status, ETag and body of a GET from
// inside its namespace.

// stubOrigin holds each image's version and the event feed. Safe for
// concurrent use.
type stubOrigin struct {
	mu       sync.Mutex
	versions map[string]int64 // public id → version
	events   []stubEvent
	changed  chan struct{} // closed and replaced on every event
}

type stubEvent struct {
	Seq      int64     `json:"seq"`
	ID       int64     `json:"id"`
	Tenant   string    `json:"tenant"`
	PublicID string    `json:"public_id"`
	Version  int64     `json:"version"`
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
	Tags     []string  `json:"tags"`
	Prefix   string    `json:"prefix"`
}

func TestNetnsOriginHelper(t *testing.T) {
	if os.Getenv("PIXCDN_NETNS_ORIGIN") == "" {
		t.Skip("helper process for TestNetnsEdgesServeNoStaleVariantAfterHeal")
	}
	o := &stubOrigin{versions: map[string]int64{}, changed: make(chan struct{})}
	srv := &http.Server{Addr: os.Getenv("NETNS_LISTEN"), Handler: o}
	go srv.ListenAndServe()
	defer srv.Close()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		var reply any = "unknown command " + cmd
		switch cmd {
		case "update":
			reply = o.update(arg)
		case "quit":
			fmt.Printf("%s\"ok\"\n", replyPrefix)
			return
		}
		b, _ := json.Marshal(reply)
		fmt.Printf("%s%s\n", replyPrefix, b)
	}
}

// update makes a new version of id and appends its event; it returns the
// new version.
func (o *stubOrigin) update(id string) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.version(id) + 1
	o.versions[id] = v
	seq := int64(len(o.events) + 1)
	o.events = append(o.events, stubEvent{Seq: seq, ID: seq, Tenant: "acme", PublicID: id, Version: v, Kind: "updated", At: time.Now()})
	close(o.changed)
	o.changed = make(chan struct{})
	return v
}

// version is id's current version, 1 until its first update. Callers hold mu.
func (o *stubOrigin) version(id string) int64 { return max(o.versions[id], 1) }

func (o *stubOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/readyz":
		w.WriteHeader(http.StatusOK)
	case r.URL.Path == "/v1/events":
		o.serveEvents(w, r)
	case strings.HasPrefix(r.URL.Path, "/v1/acme/originals/"):
		o.serveOriginal(w, r, strings.TrimPrefix(r.URL.Path, "/v1/acme/originals/"))
	default:
		http.NotFound(w, r)
	}
}

func (o *stubOrigin) serveOriginal(w http.ResponseWriter, r *http.Request, id string) {
	o.mu.Lock()
	v := o.version(id)
	o.mu.Unlock()
	etag := fmt.Sprintf(`"%s-v%d"`, id, v)
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=3600, stale-while-revalidate=60, stale-if-error=86400")
	h.Set("Pixcdn-Version", strconv.FormatInt(v, 10))
	h.Set("Pixcdn-Visibility", "public")
	h.Set("Last-Modified", time.Unix(1700000000+v, 0).UTC().Format(http.TimeFormat))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "image/jpeg")
	w.Write(versionJPEG(v))
}

// versionJPEG is a 400×300 image whose blue channel tells the version.
func versionJPEG(v int64) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(v * 60), 255})
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	return b.Bytes()
}

// serveEvents long-polls: the events after ?after=, waiting up to ?wait=
// (at most 25s) for the first one.
func (o *stubOrigin) serveEvents(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	deadline := time.After(min(wait, 25*time.Second))
	for {
		o.mu.Lock()
		var out []stubEvent
		if after < int64(len(o.events)) {
			out = append(out, o.events[max(after, 0):]...)
		}
		changed := o.changed
		o.mu.Unlock()
		if len(out) > 0 || wait <= 0 {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"events": append([]stubEvent{}, out...)})
			return
		}
		select {
		case <-changed:
		case <-deadline:
			wait = 0
		case <-r.Context().Done():
			return
		}
	}
}

// clientAnswer is the client helper's reply to "get URL".
type clientAnswer struct {
	Code  int    `json:"code"`
	ETag  string `json:"etag"`
	Body  string `json:"body"` // a body of up to 64 KiB that is not an image
	Error string `json:"error"`
}

func TestNetnsClientHelper(t *testing.T) {
	if os.Getenv("PIXCDN_NETNS_CLIENT") == "" {
		t.Skip("helper process for TestNetnsEdgesServeNoStaleVariantAfterHeal")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		if cmd == "quit" {
			fmt.Printf("%s\"ok\"\n", replyPrefix)
			return
		}
		var a clientAnswer
		req, _ := http.NewRequest(http.MethodGet, arg, nil)
		req.Header.Set("Accept", "image/webp,*/*")
		resp, err := client.Do(req)
		if err != nil {
			a.Error = err.Error()
		} else {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			a = clientAnswer{Code: resp.StatusCode, ETag: resp.Header.Get("ETag")}
			if len(body) <= 64<<10 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
				a.Body = string(body)
			}
		}
		b, _ := json.Marshal(a)
		fmt.Printf("%s%s\n", replyPrefix, b)
	}
}
