package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// TestDemoPutsNoSecretOnACommandLine runs `pixcdn demo` and reads the
// command line (/proc/PID/cmdline, readable by every local user) of the demo
// and of every process it started, directly or not: none may contain any
// secret of DIR/secrets.
func TestDemoPutsNoSecretOnACommandLine(t *testing.T) {
	testenv.SkipIfShort(t, "starts PostgreSQL, MinIO, the origin and three edges")
	d := startDemoStack(t)
	defer d.stop(t)
	secrets := demoSecretValues(t, filepath.Join(d.cmd.Dir, "secrets"))
	procs := append([]int{d.cmd.Process.Pid}, descendants(d.cmd.Process.Pid)...)
	// The origin, three edges, PostgreSQL and MinIO at least.
	if len(procs) < 7 {
		t.Fatalf("found %d processes of the demo, want at least 7", len(procs))
	}
	for _, pid := range procs {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue // exited meanwhile (a PostgreSQL backend)
		}
		args := strings.Split(string(cmdline), "\x00")
		for name, value := range secrets {
			if bytes.Contains(cmdline, []byte(value)) {
				t.Errorf("pid %d (%s) shows the secret %s on its command line", pid, strings.Join(args[:min(2, len(args))], " "), name)
			}
		}
	}
}

// TestDemoRestartsAKilledEdge kills one edge of a running demo with SIGKILL,
// as an operator trying a node failure would: the demo reports it, the
// other edges and the origin keep serving, the edge answers again within
// a few seconds, and the demo still stops cleanly on Ctrl-C.
func TestDemoRestartsAKilledEdge(t *testing.T) {
	testenv.SkipIfShort(t, "starts PostgreSQL, MinIO, the origin and three edges")
	d := startDemoStack(t)
	victim := demoChild(t, d, "edge", "edge2")
	if victim == 0 {
		t.Fatal("no edge2 process below the demo")
	}
	killedAt := time.Now()
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	healthz := fmt.Sprintf("http://127.0.0.1:%d/healthz", d.base+101)
	variants := []string{"w=120", "w=130", "w=140", "w=150", "w=160", "w=170"}
	var back time.Duration
	for deadline := killedAt.Add(15 * time.Second); back == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("edge2 did not answer %s within 15s of being killed:\n%s", healthz, d.output)
		}
		// The survivors serve every variant, those owned by edge2 too.
		for i, edge := range []string{d.edges()[0], d.edges()[2]} {
			url := fmt.Sprintf("%s/demo/photos/landscape.jpg?%s", edge, variants[(i+int(time.Since(killedAt)/time.Second))%len(variants)])
			if status := fetchStatus(t, url); status != http.StatusOK {
				t.Fatalf("GET %s while edge2 is down: %d", url, status)
			}
		}
		if status := fetchStatus(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", d.base+300)); status != http.StatusOK {
			t.Fatalf("origin /healthz while edge2 is down: %d", status)
		}
		if fetchStatus(t, healthz) == http.StatusOK && demoChild(t, d, "edge", "edge2") != victim {
			back = time.Since(killedAt)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("edge2 answered /healthz again %s after SIGKILL", back.Round(10*time.Millisecond))
	out := d.output.String()
	if !strings.Contains(out, "child exited") || !strings.Contains(out, "name=edge2") || !strings.Contains(out, "signal: killed") {
		t.Errorf("the demo did not report edge2's exit and status:\n%s", out)
	}
	d.stop(t)
}

// TestDemoLeavesAKilledEdgeDownWhenAsked kills one edge of a demo run with
// --restart-edges=false: it stays down while the other edges serve every
// variant (those it owned too) and the origin answers, and the demo still
// stops cleanly.
func TestDemoLeavesAKilledEdgeDownWhenAsked(t *testing.T) {
	testenv.SkipIfShort(t, "starts PostgreSQL, MinIO, the origin and three edges")
	d := startDemoStack(t, "--restart-edges=false")
	victim := demoChild(t, d, "edge", "edge2")
	if victim == 0 {
		t.Fatal("no edge2 process below the demo")
	}
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	healthz := fmt.Sprintf("http://127.0.0.1:%d/healthz", d.base+101)
	// Well past the first restart a supervisor would make.
	for width, end := 100, time.Now().Add(4*time.Second); time.Now().Before(end); width += 10 {
		for _, edge := range []string{d.edges()[0], d.edges()[2]} {
			url := fmt.Sprintf("%s/demo/photos/landscape.jpg?w=%d", edge, width)
			if status := fetchStatus(t, url); status != http.StatusOK {
				t.Fatalf("GET %s while edge2 is down: %d", url, status)
			}
		}
		if status := fetchStatus(t, healthz); status != 0 {
			t.Fatalf("edge2 answered %s with %d after being killed with --restart-edges=false", healthz, status)
		}
	}
	if status := fetchStatus(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", d.base+300)); status != http.StatusOK {
		t.Fatalf("origin /healthz while edge2 is down: %d", status)
	}
	if out := d.output.String(); !strings.Contains(out, "name=edge2") || !strings.Contains(out, "signal: killed") {
		t.Errorf("the demo did not report edge2's exit and status:\n%s", out)
	}
	d.stop(t)
}

// fetchStatus GETs url and returns the status, 0 when it cannot connect.
func fetchStatus(t *testing.T, url string) int {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "image/webp,*/*")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// demoSecretValues reads every secret file of the demo, by name.
func demoSecretValues(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		values[e.Name()] = strings.TrimSpace(string(b))
	}
	for _, name := range []string{"cluster-secret", "gossip-key", "purge-token", "sign-key", "admin-key", "edge-key", "minio-secret"} {
		if len(values[name]) < 16 {
			t.Fatalf("secret %s in %s: %q, want a generated secret", name, dir, values[name])
		}
	}
	return values
}

// demoChild returns the pid of the demo's child running `pixcdn COMMAND`
// with --name name, failing the test if there is none.
func demoChild(t *testing.T, d *demoStackUnderTest, command, name string) int {
	t.Helper()
	for _, pid := range descendants(d.cmd.Process.Pid) {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 2 && args[1] == command && strings.Contains(string(cmdline), "\x00--name\x00"+name+"\x00") {
			return pid
		}
	}
	return 0
}

// descendants lists the processes below pid (children, their children, …)
// from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may contain spaces and parentheses.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return out
}
