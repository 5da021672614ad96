package clustertest

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"pixcdn/internal/localserver"
	"pixcdn/internal/testca"
	"pixcdn/internal/testenv"
)

// requireTool returns the path of a command the test needs: missing, the
// test fails under CI (make deps installs it) and is skipped elsewhere.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		testenv.Unavailable(t, name+" (Debian package "+pkg+")", err)
	}
	return path
}

// documentedNginxConfig is the nginx block of docs/deploy-tls.md, so the
// test checks the configuration operators copy.
func documentedNginxConfig(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy-tls.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nginx\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/deploy-tls.md has no ```nginx block")
	}
	return string(m[1])
}

// startNginxTerminator starts nginx with the documented configuration in
// front of the edge at edgeAddr, listening on loopback with a certificate
// of ca, and returns its host:port.
func startNginxTerminator(t *testing.T, nginx, edgeAddr string, ca *testca.CA) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pixcdn-nginx-h2-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // nginx workers run unprivileged
	cert, key := ca.Issue(t, "127.0.0.1").WriteFiles(t, dir)
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	conf := documentedNginxConfig(t)
	edgeLines := regexp.MustCompile(`(?m)^\s*server 10\.0\.0\.\d+:8080[^;]*;\n`)
	first := true
	conf = edgeLines.ReplaceAllStringFunc(conf, func(string) string {
		if !first {
			return ""
		}
		first = false
		return "    server " + edgeAddr + " max_fails=0;\n"
	})
	for old, new := range map[string]string{
		"listen 443 ssl http2;":    "listen " + addr + " ssl http2;",
		"/etc/pixcdn/tls/cert.pem": cert,
		"/etc/pixcdn/tls/key.pem":  key,
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("the documented nginx config has no %q", old)
		}
		conf = strings.ReplaceAll(conf, old, new)
	}
	main := "worker_processes 1;\ndaemon off;\npid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log warn;\n" +
		"events { worker_connections 256; }\nhttp {\n    access_log off;\n" +
		"    client_body_temp_path " + dir + "/tmp;\n    proxy_temp_path " + dir + "/tmp;\n" +
		"    fastcgi_temp_path " + dir + "/tmp;\n    uwsgi_temp_path " + dir + "/tmp;\n    scgi_temp_path " + dir + "/tmp;\n" +
		conf + "}\n"
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "tmp"), 0o777)
	cmd := exec.Command(nginx, "-c", confPath, "-p", dir, "-e", dir+"/error.log")
	out, err := os.Create(filepath.Join(dir, "out.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		out.Close()
		if t.Failed() {
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			o, _ := os.ReadFile(filepath.Join(dir, "out.log"))
			t.Logf("nginx config:\n%s\nnginx output:\n%s%s", main, o, logs)
		}
	})
	return addr
}

// edgeHeaders are the edge's answer headers a terminator must pass
// unchanged.
var edgeHeaders = []string{"ETag", "Last-Modified", "Cache-Control", "Vary", "X-Cache", "Age",
	"Content-Type", "Content-Length", "Content-Security-Policy", "X-Content-Type-Options", "Server-Timing", "Server"}

// TestNginxHTTP2TerminatorPassesEdgeHeaders starts nginx with the
// configuration of docs/deploy-tls.md in front of a real edge, fetches
// over HTTP/2 and checks that the edge's headers arrive unchanged (and a
// 304 stays a 304), then loads it with h2load.
func TestNginxHTTP2TerminatorPassesEdgeHeaders(t *testing.T) {
	nginx := requireTool(t, "nginx", "nginx-light")
	root := t.TempDir()
	writeJPEG(t, root, "acme", "photo.jpg", 640, 480, 90)
	node := testenv.StartLoneEdge(t, "edge1", "dir:"+root)
	node.WaitReady(t, 30*time.Second)
	ca := testca.New(t)
	front := startNginxTerminator(t, nginx, node.Public, ca)

	h2 := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}, ForceAttemptHTTP2: true}}
	direct := &http.Client{Timeout: 20 * time.Second}
	get := func(c *http.Client, url string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Accept", "image/avif,image/webp,*/*")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, body
	}
	const path = "/acme/photo.jpg?w=200" // fm=auto: negotiated, so Vary: Accept
	waitUntil(t, "nginx serving", 10*time.Second, func() bool {
		resp, err := h2.Get("https://" + front + "/acme/photo.jpg")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	get(direct, node.URL(path)) // fill
	// Hits from the edge's L0 templates: the same header bytes every time
	// within a second, Server-Timing without a duration.
	var viaEdge, viaNginx *http.Response
	var bodyEdge, bodyNginx []byte
	waitUntil(t, "two answers within one second of Age", 10*time.Second, func() bool {
		viaEdge, bodyEdge = get(direct, node.URL(path))
		viaNginx, bodyNginx = get(h2, "https://"+front+path)
		return viaEdge.Header.Get("Age") == viaNginx.Header.Get("Age") &&
			viaEdge.Header.Get("Server-Timing") == viaNginx.Header.Get("Server-Timing")
	})
	if viaNginx.ProtoMajor != 2 {
		t.Fatalf("through nginx: %s, want HTTP/2", viaNginx.Proto)
	}
	if viaNginx.StatusCode != 200 || string(bodyNginx) != string(bodyEdge) {
		t.Fatalf("through nginx: %d, %d bytes; the edge sent %d bytes", viaNginx.StatusCode, len(bodyNginx), len(bodyEdge))
	}
	for _, h := range edgeHeaders {
		if e, n := viaEdge.Header.Values(h), viaNginx.Header.Values(h); strings.Join(e, "\n") != strings.Join(n, "\n") || len(e) == 0 {
			t.Errorf("%s: the edge sent %q, nginx passed %q", h, e, n)
		}
	}
	if x := viaNginx.Header.Get("X-Cache"); x != "HIT" || viaNginx.Header.Get("Vary") != "Accept" {
		t.Errorf("through nginx: X-Cache %q, Vary %q", x, viaNginx.Header.Get("Vary"))
	}
	notModified, _ := get(h2, "https://"+front+path, "If-None-Match", viaEdge.Header.Get("ETag"))
	if notModified.StatusCode != http.StatusNotModified || notModified.Header.Get("ETag") != viaEdge.Header.Get("ETag") {
		t.Errorf("conditional GET through nginx: %d, ETag %q", notModified.StatusCode, notModified.Header.Get("ETag"))
	}

	t.Run("h2load", func(t *testing.T) {
		h2load := requireTool(t, "h2load", "nghttp2-client")
		out, err := exec.Command(h2load, "-n", "400", "-c", "4", "-m", "10", "https://"+front+path).CombinedOutput()
		if err != nil {
			t.Fatalf("h2load: %v\n%s", err, out)
		}
		s := string(out)
		if !strings.Contains(s, "Application protocol: h2") || !strings.Contains(s, "400 succeeded, 0 failed, 0 errored") ||
			!strings.Contains(s, "status codes: 400 2xx") {
			t.Fatalf("h2load: not 400 HTTP/2 answers, all 2xx:\n%s", s)
		}
		t.Logf("h2load: %s", regexp.MustCompile(`finished in [^\n]*`).FindString(s))
	})
}
