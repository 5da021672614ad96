package cachestore

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

// logLines is a slog destination that tests can read.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// faultConfig is testConfig with small memtables (so Badger flushes
// often), a quick health check and a log the test reads.
func faultConfig(dir string, log *logLines) Config {
	cfg := testConfig(dir)
	cfg.MemTableBytes = 64 << 10
	cfg.HealthInterval = 100 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	return cfg
}

func TestDirRemovedUnderRunningStoreIsDetectedAndReopened(t *testing.T) {
	log := &logLines{}
	parent := filepath.Join(t.TempDir(), "cache")
	cfg := faultConfig(filepath.Join(parent, "store"), log)
	reopened := make(chan struct{}, 4)
	cfg.OnReopen = func() { reopened <- struct{}{} }
	s := openStore(t, cfg)
	const n = 400
	for i := range n {
		mustSet(t, s, fmt.Sprint("k", i), testEntry("acme", fmt.Sprint("img", i), nil, body(i, 1, 2<<10)))
	}
	if err := s.Purge(Purge{Tenant: "acme", PublicIDs: []string{"purged"}}); err != nil {
		t.Fatal(err)
	}
	gen := s.Snapshot()
	for i := range n {
		landed(s, fmt.Sprint("k", i))
	}

	// A file where the directory was keeps the store from recreating it.
	for range 100 {
		removeAll(t, parent)
		if err := os.WriteFile(parent, nil, 0o644); err == nil {
			break
		}
	}
	removed := time.Now()
	testenv.WaitFor(t, 5*time.Second, "fault detected", func() bool { return s.Health().Faults[FaultDirGone] == 1 })
	detected := time.Since(removed)
	if st := s.Stats(); st.Disk.Bytes != 0 || st.Disk.Entries != 0 {
		t.Errorf("disk tier while its directory is gone: %d bytes, %d entries; want none", st.Disk.Bytes, st.Disk.Entries)
	}
	// Gets and Sets go on from memory.
	for i := range n {
		wantBody(t, s, fmt.Sprint("k", i), body(i, 1, 2<<10))
		mustSet(t, s, fmt.Sprint("new", i), testEntry("acme", "new", nil, body(i, 2, 512)))
		wantBody(t, s, fmt.Sprint("new", i), body(i, 2, 512))
	}
	if h := s.Health(); h.Fault != FaultDirGone {
		t.Fatalf("health while the directory cannot be recreated: %+v", h)
	}
	if err := os.Remove(parent); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reopened:
	case <-time.After(5 * time.Second):
		t.Fatalf("not reopened within 5 s; log:\n%s", log)
	}
	h := s.Health()
	t.Logf("detected %.2f s after rm -rf", detected.Seconds())
	if !h.OK() || h.Reopens != 1 {
		t.Fatalf("health after reopen: %+v", h)
	}
	if st := s.Stats(); st.Disk.Bytes != 0 || st.Disk.Entries != 0 {
		t.Errorf("disk tier after reopen: %d bytes, %d entries; want an empty one", st.Disk.Bytes, st.Disk.Entries)
	}
	for i := range n {
		wantBody(t, s, fmt.Sprint("k", i), body(i, 1, 2<<10)) // from memory
	}
	mustSet(t, s, "after", testEntry("acme", "after", nil, body(1, 3, 4<<10)))
	testenv.WaitFor(t, 5*time.Second, "a Set reaches the reopened disk tier", func() bool { return s.Stats().Disk.Entries == 1 })
	landed(s, "after")
	if segs, _ := filepath.Glob(filepath.Join(cfg.Dir, segDirName, "*.seg")); len(segs) != 1 {
		t.Errorf("segments in the recreated directory: %v, want one", segs)
	}
	if s.Snapshot() != gen {
		t.Errorf("purge clock %d after reopen, want %d", s.Snapshot(), gen)
	}

	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("Close took %v", time.Since(start))
	if lost, back, badger := log.count("disk cache lost"), log.count("disk cache reopened"), log.count("badger:"); lost != 1 || back != 1 || badger != 0 {
		t.Errorf("log: %d 'disk cache lost', %d 'disk cache reopened', %d badger lines; want 1, 1, 0:\n%s", lost, back, badger, log)
	}
	// The purge counters were written to the reopened tier.
	s2 := openStore(t, faultConfig(cfg.Dir, &logLines{}))
	if s2.Snapshot() != gen || s2.Stats().PurgeScopes != 1 {
		t.Errorf("after restart: clock %d, %d purge scopes; want %d, 1", s2.Snapshot(), s2.Stats().PurgeScopes, gen)
	}
	wantBody(t, s2, "after", body(1, 3, 4<<10))
}

func TestCloseIsPromptRightAfterTheDirIsRemoved(t *testing.T) {
	log := &logLines{}
	dir := filepath.Join(t.TempDir(), "store")
	cfg := faultConfig(dir, log)
	cfg.HealthInterval = time.Hour // Close finds out by itself
	s := openStore(t, cfg)
	for i := range 2000 { // several memtables: Badger has tables to flush
		mustSet(t, s, fmt.Sprint("k", i), testEntry("acme", "x", nil, body(i, 1, 1<<10)))
	}
	removeAll(t, dir)
	start := time.Now()
	_ = s.Close()
	took := time.Since(start)
	t.Logf("Close after rm -rf took %v", took)
	if took > 2*time.Second {
		t.Errorf("Close took %v after the directory was removed, want < 2 s", took)
	}
	if n := log.count("error flushing memtable"); n != 0 {
		t.Errorf("%d 'error flushing memtable' lines", n)
	}
}

// removeAll removes dir like rm -rf, again while the running store
// creates files in it.
func removeAll(t *testing.T, dir string) {
	t.Helper()
	var err error
	for range 100 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
	}
	t.Fatal(err)
}

// smallTmpfs mounts an 8 MiB tmpfs for the test. It needs root; it skips
// without, except under CI.
func smallTmpfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).CombinedOutput()
	if err != nil {
		testenv.Unavailable(t, "a tmpfs mount (needs root)", fmt.Errorf("%v: %s", err, out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file at name until only leave bytes stay free in its
// file system, and returns its size. (Filling to the last byte would race
// Badger's memory-mapped flushes, which a full tmpfs kills with SIGBUS; the
// store stops writing at its low-water mark, above leave, precisely so
// that the flushes and compactions in flight still have room.)
func fill(t *testing.T, name string, leave int64) int64 {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	var n int64
	for {
		free, ok := freeBytes(filepath.Dir(name))
		if !ok {
			t.Fatal("cannot read the free space")
		}
		if free <= leave {
			return n
		}
		w, err := f.Write(chunk[:min(int64(len(chunk)), free-leave)])
		n += int64(w)
		if err != nil {
			return n
		}
	}
}

func TestDiskFullStopsDiskWritesAndRecovers(t *testing.T) {
	mnt := smallTmpfs(t)
	log := &logLines{}
	cfg := faultConfig(filepath.Join(mnt, "store"), log)
	cfg.DiskBytes = 16 << 20
	cfg.MemoryBytes = 1 << 20
	s := openStore(t, cfg)
	const early = 1000 // 2 MiB: more than the memory tier holds
	for i := range early {
		mustSet(t, s, fmt.Sprint("early", i), testEntry("acme", "x", nil, body(i, 1, 2<<10)))
	}
	for i := range early {
		landed(s, fmt.Sprint("early", i))
	}

	filler := filepath.Join(mnt, "filler")
	filled := fill(t, filler, cfg.lowWater()-64<<10)
	t.Logf("filled the tmpfs with %d bytes", filled)
	took := testenv.WaitFor(t, 5*time.Second, "disk full detected", func() bool { return s.Health().Fault == FaultDiskFull })
	t.Logf("disk full detected after %v", took)
	for i := range 500 {
		if err := s.Set([]byte(fmt.Sprint("late", i)), testEntry("acme", "y", nil, body(i, 2, 1<<10)), s.Snapshot()); err != nil {
			t.Fatalf("Set while the disk is full: %v", err)
		}
	}
	wantBody(t, s, "late499", body(499, 2, 1<<10)) // memory tier
	diskReads := s.Stats().DiskHits
	for i := range early {
		wantBody(t, s, fmt.Sprint("early", i), body(i, 1, 2<<10))
	}
	if s.Stats().DiskHits == diskReads {
		t.Errorf("no Get was served from the disk tier while it was full")
	}
	if err := s.Purge(Purge{Tenant: "acme", PublicIDs: []string{"purged-while-full"}}); err != nil {
		t.Fatalf("Purge while the disk is full: %v", err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	took = testenv.WaitFor(t, 5*time.Second, "recovery", func() bool { return s.Health().OK() })
	t.Logf("recovered %v after space was freed", took)
	before := s.Stats().Disk.Entries
	mustSet(t, s, "resumed", testEntry("acme", "z", nil, body(7, 3, 1<<10)))
	testenv.WaitFor(t, 5*time.Second, "a Set reaches the disk again", func() bool { return s.Stats().Disk.Entries == before+1 })
	if full, back := log.count("disk cache cannot be written"), log.count("disk cache writable again"); full != 1 || back != 1 {
		t.Errorf("log: %d 'cannot be written', %d 'writable again'; want 1 and 1:\n%s", full, back, log)
	}
	gen := s.Snapshot()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, faultConfig(cfg.Dir, &logLines{}))
	if s2.Snapshot() != gen {
		t.Errorf("the purge made while the disk was full was not kept: clock %d after restart, want %d", s2.Snapshot(), gen)
	}
}
