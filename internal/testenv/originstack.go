package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pixcdn/internal/localserver"
)

// OriginAdminKey is the bootstrap admin key of an OriginStack's origin.
const OriginAdminKey = "test-origin-admin-key-0123456789"

// OriginStack is a real `pixcdn origin` process over a PostgreSQL and a
// MinIO server of the test's own, for fault tests: the origin can be
// killed and started again on the same address, and the stores stopped and
// started (Postgres, MinIO). Everything is stopped when the test ends.
// Kill, Start and Restart are not safe for concurrent use with each other.
type OriginStack struct {
	URL      string // http://127.0.0.1:PORT
	LogPath  string // the origin's output, appended across starts
	Postgres *PrivatePostgres
	MinIO    *PrivateMinIO
	bin      string
	args     []string
	proc     *localserver.Process
}

// StartOriginStack starts PostgreSQL, MinIO and an origin with the extra
// origin flags args (e.g. --cache-control), and returns once the origin is
// ready. Without PostgreSQL or MinIO the test fails under CI and is
// skipped otherwise.
func StartOriginStack(t testing.TB, args ...string) *OriginStack {
	t.Helper()
	bin := EdgeBinary(t)
	pg, minio := NewPrivatePostgres(t), NewPrivateMinIO(t)
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	m := minio.Server
	s3 := url.URL{Scheme: "http", User: url.UserPassword(m.AccessKey, m.SecretKey), Host: m.Endpoint, Path: "/" + m.Bucket}
	o := &OriginStack{
		URL: "http://" + addr, LogPath: filepath.Join(t.TempDir(), "origin.log"),
		Postgres: pg, MinIO: minio, bin: bin,
		args: append([]string{"origin", "--listen", addr, "--postgres", pg.DSN, "--s3", s3.String(),
			"--orphan-sweep", "0", "--log-level", "debug"}, args...),
	}
	t.Cleanup(func() {
		if o.proc != nil {
			o.proc.Stop(10 * time.Second)
		}
		if t.Failed() {
			o.dumpLog(t)
		}
	})
	o.Restart(t)
	return o
}

// Start starts the origin process (again), on the same address and flags,
// and returns without waiting for it; see WaitReady.
func (o *OriginStack) Start(t testing.TB) {
	t.Helper()
	log, err := os.OpenFile(o.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close() // the child holds its own copy
	cmd := exec.Command(o.bin, o.args...)
	cmd.Env = append(os.Environ(), "PIXCDN_ORIGIN_ADMIN_KEY="+OriginAdminKey)
	cmd.Stdout, cmd.Stderr = log, log
	if o.proc, err = localserver.StartProcess("origin", cmd, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// WaitReady waits until the origin answers /readyz with 200, failing the
// test if it exits first or takes over a minute.
func (o *OriginStack) WaitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(o.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-o.proc.Exited():
			t.Fatalf("origin exited during start-up: %v", o.proc.Err())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("origin not ready within a minute: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Restart starts the origin and waits until it is ready.
func (o *OriginStack) Restart(t testing.TB) {
	t.Helper()
	o.Start(t)
	o.WaitReady(t)
}

// RestartWith ends the origin (Kill: a graceful stop would wait for the
// edges' long polls) and starts it again, on the same address and stores,
// with args added to its flags, for flags that name servers started after
// it (an edge's URL); it waits until it is ready.
func (o *OriginStack) RestartWith(t testing.TB, args ...string) {
	t.Helper()
	o.Kill()
	o.args = append(o.args, args...)
	o.Restart(t)
}

// Kill ends the origin at once (SIGKILL), as a crash would, and returns
// once it has exited.
func (o *OriginStack) Kill() {
	_ = syscall.Kill(o.proc.Pid(), syscall.SIGKILL)
	<-o.proc.Exited()
}

// Call sends body with the admin key and returns the status and answer;
// a transport error fails the test.
func (o *OriginStack) Call(t testing.TB, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, o.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+OriginAdminKey)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("origin %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, answer
}

// CreateTenant creates the tenant id; its Cache-Control policy is the
// origin's --cache-control.
func (o *OriginStack) CreateTenant(t testing.TB, id string) {
	t.Helper()
	if code, answer := o.Call(t, http.MethodPost, "/v1/tenants", []byte(`{"id":"`+id+`"}`)); code != http.StatusCreated {
		t.Fatalf("create tenant %s: %d %s", id, code, answer)
	}
}

// EdgeKey creates and returns a key with the role edge (for --origin-key).
func (o *OriginStack) EdgeKey(t testing.TB) string {
	t.Helper()
	code, answer := o.Call(t, http.MethodPost, "/v1/keys", []byte(`{"role":"edge"}`))
	var key struct{ Key string }
	if code != http.StatusCreated || json.Unmarshal(answer, &key) != nil || key.Key == "" {
		t.Fatalf("edge key: %d %s", code, answer)
	}
	return key.Key
}

// Put stores image as tenant/publicID.
func (o *OriginStack) Put(t testing.TB, tenant, publicID string, image []byte) {
	t.Helper()
	code, answer := o.Call(t, http.MethodPut, "/v1/"+tenant+"/images/"+publicID, image)
	if code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("PUT %s/%s: %d %s", tenant, publicID, code, answer)
	}
}

func (o *OriginStack) dumpLog(t testing.TB) {
	b, _ := os.ReadFile(o.LogPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	t.Logf("last log lines of the origin:\n%s", strings.Join(lines[max(len(lines)-40, 0):], "\n"))
}
