package uploads_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pixcdn/internal/testenv"
)

// harness is the argument of testdata/js/upload.mjs (see there).
type harness struct {
	Endpoint       string            `json:"endpoint"`
	UploadURL      string            `json:"uploadUrl,omitempty"`
	File           string            `json:"file"`
	Key            string            `json:"key"`
	Metadata       map[string]string `json:"metadata"`
	ChunkSize      int               `json:"chunkSize,omitempty"`
	AbortAt        []int64           `json:"abortAt,omitempty"`
	ExitAfterAbort bool              `json:"exitAfterAbort,omitempty"`
	BadChecksum    bool              `json:"badChecksum,omitempty"`
	Trace          bool              `json:"trace,omitempty"`
}

// harnessEvent is one line the harness prints.
type harnessEvent struct {
	Event   string `json:"event"`
	URL     string `json:"url"`
	Sent    int64  `json:"sent"`
	Status  int    `json:"status"`
	Body    string `json:"body"`
	Message string `json:"message"`
	Method  string `json:"method"`
	At      int64  `json:"at"`
	Offset  string `json:"offset"`
}

// needNode finds node and the harness's tus-js-client, failing under CI
// and skipping elsewhere when they are missing.
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat("testdata/js/node_modules/tus-js-client/package.json")
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node and tus-js-client are required under CI: %v", err)
		}
		t.Skipf("node or tus-js-client missing (%v); run `make deps`", err)
	}
	return node
}

// runJS runs the harness to its end and returns its events; the last one
// is "success", "aborted" (with ExitAfterAbort) or "error".
func runJS(t *testing.T, h harness) []harnessEvent {
	t.Helper()
	node := needNode(t)
	arg, _ := json.Marshal(h)
	cmd := exec.CommandContext(testenv.Context(t), node, "testdata/js/upload.mjs", string(arg))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	var events []harnessEvent
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var ev harnessEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("harness printed %q: %v (stderr: %s)", sc.Text(), err, stderr.String())
		}
		events = append(events, ev)
	}
	if len(events) == 0 {
		t.Fatalf("harness printed nothing (stderr: %s)", stderr.String())
	}
	return events
}

func lastEvent(t *testing.T, events []harnessEvent, want string) harnessEvent {
	t.Helper()
	last := events[len(events)-1]
	if last.Event != want {
		t.Fatalf("harness ended with %+v, want %s", last, want)
	}
	return last
}

// writeFile writes n random bytes to a temporary file.
func writeFile(t *testing.T, n int) (string, []byte) {
	t.Helper()
	data := randomBytes(t, n)
	path := filepath.Join(t.TempDir(), "upload.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

func onServer(url string, o *originProc) string {
	return o.URL + url[strings.Index(url, "/v1/"):]
}

const thirtyMB = 30_000_000

func TestJSClientResumesAfterTwoInterruptions(t *testing.T) {
	b := newBackend(t)
	o := b.start(t, testConfig())
	path, data := writeFile(t, thirtyMB)
	h := harness{Endpoint: o.endpoint("acme"), File: path, Key: "key-acme",
		Metadata: map[string]string{"public_id": "big/interrupted.bin", "tags": "x"}, ExitAfterAbort: true}
	var offsets []int64
	for _, stop := range []int64{10_000_000, 20_000_000} {
		h.AbortAt = []int64{stop}
		ev := lastEvent(t, runJS(t, h), "aborted")
		h.UploadURL = ev.URL
		offsets = append(offsets, offsetOf(t, ev.URL))
	}
	// The harness stalls each PATCH after exactly the bytes before its stop
	// and aborts it once the server has them: all must be kept.
	if offsets[0] != 10_000_000 || offsets[1] != 20_000_000 {
		t.Fatalf("server offsets after the interruptions: %v, want [10000000 20000000]: each resume should keep what arrived", offsets)
	}
	h.AbortAt = nil
	lastEvent(t, runJS(t, h), "success")
	got, ok := b.ingested.bytes("acme", "big/interrupted.bin")
	if !ok || !bytes.Equal(got, data) {
		t.Fatalf("ingested %d bytes (ok %v), want the %d uploaded", len(got), ok, len(data))
	}
}

func TestJSClientResumesOnARestartedOrigin(t *testing.T) {
	b := newBackend(t)
	first := b.start(t, testConfig())
	path, data := writeFile(t, thirtyMB)
	h := harness{Endpoint: first.endpoint("acme"), File: path, Key: "key-acme",
		Metadata: map[string]string{"public_id": "big/restarted.bin"}, AbortAt: []int64{12_000_000}, ExitAfterAbort: true}
	ev := lastEvent(t, runJS(t, h), "aborted")
	held := offsetOf(t, ev.URL)
	if held != 12_000_000 {
		t.Fatalf("offset after the interruption %d, want the 12000000 bytes sent", held)
	}
	first.Close()

	second := b.start(t, testConfig())
	h.UploadURL, h.AbortAt = onServer(ev.URL, second), nil
	if off := offsetOf(t, h.UploadURL); off != held || off == 0 {
		t.Fatalf("restarted origin reports offset %d, the first one held %d", off, held)
	}
	lastEvent(t, runJS(t, h), "success")
	if got, _ := b.ingested.bytes("acme", "big/restarted.bin"); !bytes.Equal(got, data) {
		t.Fatalf("ingested %d bytes, want the %d uploaded", len(got), len(data))
	}
}

func TestJSClientChecksumMismatchIsRefusedWith460(t *testing.T) {
	b := newBackend(t)
	o := b.start(t, testConfig())
	path, _ := writeFile(t, 1<<20)
	ev := lastEvent(t, runJS(t, harness{Endpoint: o.endpoint("acme"), File: path, Key: "key-acme",
		Metadata: map[string]string{"public_id": "cats/damaged.jpg"}, BadChecksum: true}), "error")
	if ev.Status != 460 {
		t.Fatalf("tus-js-client saw status %d (%s), want 460", ev.Status, ev.Message)
	}
	if _, ok := b.ingested.bytes("acme", "cats/damaged.jpg"); ok {
		t.Fatal("a refused upload was ingested")
	}
}

func TestJSClientAlternatesBetweenTwoOrigins(t *testing.T) {
	b := newBackend(t)
	origins := []*originProc{b.start(t, testConfig()), b.start(t, testConfig())}
	path, data := writeFile(t, thirtyMB)
	h := harness{Endpoint: origins[0].endpoint("acme"), File: path, Key: "key-acme",
		Metadata: map[string]string{"public_id": "big/shared.bin"}, ExitAfterAbort: true}
	for i, stop := range []int64{8_000_000, 16_000_000} {
		h.AbortAt = []int64{stop}
		ev := lastEvent(t, runJS(t, h), "aborted")
		h.UploadURL = onServer(ev.URL, origins[(i+1)%2])
	}
	h.AbortAt = nil
	lastEvent(t, runJS(t, h), "success")
	if got, _ := b.ingested.bytes("acme", "big/shared.bin"); !bytes.Equal(got, data) {
		t.Fatalf("ingested %d bytes, want the %d uploaded", len(got), len(data))
	}
}
