package cachestore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pixcdn/internal/testenv"
)

const (
	crashDirEnv  = "CACHESTORE_CRASH_DIR"
	crashSeedEnv = "CACHESTORE_CRASH_SEED"
	crashKeys    = 3000
)

// TestCrashRecovery starts a child process (this test binary, running
// runCrashChild) that writes, deletes and purges under load, kills it with
// SIGKILL at a random moment, reopens the store and checks that every entry
// it reads back is byte-for-byte what some write stored, that nothing a
// completed purge covered comes back, and that entries survive. Repeated;
// every other round, segment files are also damaged between the kill and
// the reopen as a power cut or an operator might (damageSegments).
func TestCrashRecovery(t *testing.T) {
	testenv.SkipIfShort(t, "kills child processes repeatedly")
	dir := t.TempDir()
	var lastPurge int64
	survivors := 0
	for round := 0; round < 6; round++ {
		lastPurge = max(lastPurge, runAndKill(t, dir, round))
		damageSegments(t, dir, round)
		survivors += verifyAfterCrash(t, dir, lastPurge)
	}
	if survivors == 0 {
		t.Fatal("no entry survived any kill -9")
	}
}

// runAndKill runs the child until it has written for a while, SIGKILLs it
// and returns the latest purge generation the child reported complete.
func runAndKill(t *testing.T, dir string, round int) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0]) // TestMain runs runCrashChild
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSeedEnv+"="+strconv.Itoa(round))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var p progress
	if !p.waitForWrites(lines, time.Duration(300+rand.IntN(700))*time.Millisecond) {
		t.Fatalf("round %d: child exited before it was killed", round)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	for l := range lines { // drain: a purge may have completed just before the kill
		p.note(l)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("round %d: child was not killed by the signal: %v", round, err)
	}
	t.Logf("round %d: killed after %d progress lines; last purge %d", round, p.writes, p.purged)
	return p.purged
}

// progress is what the child has reported on stdout.
type progress struct {
	writes int
	purged int64 // latest purge generation reported complete
}

func (p *progress) note(line string) {
	if g, found := strings.CutPrefix(line, "purged "); found {
		p.purged, _ = strconv.ParseInt(g, 10, 64)
	}
	if strings.HasPrefix(line, "wrote ") {
		p.writes++
	}
}

// waitForWrites reads lines until after has passed and the child has
// reported a write (or a minute has passed). It returns false if the child
// closed its output first.
func (p *progress) waitForWrites(lines <-chan string, after time.Duration) bool {
	kill := time.After(after)
	deadline := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return false
			}
			p.note(l)
		case <-kill:
			if p.writes > 0 {
				return true
			}
			kill = time.After(50 * time.Millisecond) // not writing yet: give it longer
		case <-deadline:
			return true
		}
	}
}

// verifyAfterCrash reopens the store and checks every key; it returns how
// many entries were served.
func verifyAfterCrash(t *testing.T, dir string, lastPurge int64) int {
	t.Helper()
	var logs bytes.Buffer
	cfg := crashConfig(dir)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	if logs.Len() > 0 {
		t.Fatalf("reopen after kill logged: %s", logs.String())
	}
	defer s.Close()
	if got := int64(s.Snapshot()); got < lastPurge {
		t.Fatalf("purge clock %d after reopen, but purge %d had completed", got, lastPurge)
	}
	indexed, hits := s.Stats().Disk.Entries, 0
	for i := 0; i < crashKeys; i++ {
		e, ok := s.Get(crashKey(i))
		if !ok {
			continue
		}
		hits++
		v := e.Image.Version
		if want := crashBody(i, v); !bytes.Equal(e.Body, want) || e.ETag != strconv.FormatInt(v, 10) {
			t.Fatalf("key %d: got %d bytes/ETag %s, not what version %d wrote", i, len(e.Body), e.ETag, v)
		}
		if gen, _ := strconv.ParseInt(e.ContentType, 10, 64); e.Image.PublicID == "purged" && gen < lastPurge {
			t.Fatalf("key %d from generation %d served after purge %d completed", i, gen, lastPurge)
		}
	}
	st := s.Stats()
	t.Logf("reopened: %d entries indexed, %d served, %d checksum failures", indexed, hits, st.ChecksumFailures)
	return hits
}

// damageSegments, in rounds 1, 3, 5…, cuts the newest segment file at a
// random length (a torn tail), zeroes a 4 KiB stretch of another (a lost
// write: a hole) and deletes a third. Entries with frames there must be
// misses (or checksum failures for the hole), never wrong bytes.
func damageSegments(t *testing.T, dir string, round int) {
	t.Helper()
	if round%2 == 0 {
		return
	}
	names, _ := filepath.Glob(filepath.Join(dir, segDirName, "*.seg"))
	slices.Sort(names)
	if len(names) < 3 {
		t.Logf("round %d: only %d segments, not damaged", round, len(names))
		return
	}
	r := rand.New(rand.NewPCG(uint64(round), 7))
	newest := names[len(names)-1]
	if info, err := os.Stat(newest); err == nil && info.Size() > 0 {
		if err := os.Truncate(newest, r.Int64N(info.Size())); err != nil {
			t.Fatal(err)
		}
	}
	hi := r.IntN(len(names) - 1)
	holed, gone := names[hi], names[(hi+1)%(len(names)-1)]
	if info, err := os.Stat(holed); err == nil && info.Size() > 4096 {
		f, err := os.OpenFile(holed, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteAt(make([]byte, 4096), r.Int64N(info.Size()-4096))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	t.Logf("round %d: cut %s, holed %s, removed %s", round, filepath.Base(newest), filepath.Base(holed), filepath.Base(gone))
}

func crashConfig(dir string) Config {
	cfg := testConfig(dir)
	cfg.GCInterval = 200 * time.Millisecond
	cfg.SweepDelay = 10 * time.Millisecond
	return cfg
}

func crashKey(i int) []byte { return []byte("crash/" + strconv.Itoa(i)) }

// crashBody is the content version v of key i: its length depends on v
// too, so a torn or mixed write cannot pass for a whole one.
func crashBody(i int, v int64) []byte { return body(i, int(v), 500+int(v%20000)) }

// runCrashChild is the writer TestCrashRecovery kills: TestMain runs it
// instead of the tests when crashDirEnv names a directory. It never returns.
func runCrashChild(dir string) {
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	s, err := New(crashConfig(dir))
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex // serialises stdout lines
	say := func(f string, a ...any) {
		mu.Lock()
		fmt.Printf(f+"\n", a...)
		mu.Unlock()
	}
	for w := uint64(0); w < 4; w++ {
		go crashWriter(s, rand.New(rand.NewPCG(seed, w)), seed*1e9+w*1e8, say)
	}
	for {
		if err := s.Purge(Purge{Tenant: "t", PublicIDs: []string{"purged"}}); err != nil {
			panic(err)
		}
		say("purged %d", s.Snapshot())
		time.Sleep(20 * time.Millisecond)
	}
}

func crashWriter(s *Store, r *rand.Rand, version uint64, say func(string, ...any)) {
	for n := 0; ; n++ {
		i := r.IntN(crashKeys)
		if r.IntN(10) == 0 {
			_ = s.Delete(crashKey(i))
			continue
		}
		version++
		gen := s.Snapshot()
		id := "kept"
		if i%5 == 0 {
			id = "purged"
		}
		e := testEntry("t", id, nil, crashBody(i, int64(version)))
		e.Image.Version, e.ETag = int64(version), strconv.FormatUint(version, 10)
		e.ContentType = strconv.FormatUint(uint64(gen), 10)
		if err := s.Set(crashKey(i), e, gen); err != nil && !errors.Is(err, ErrPurged) {
			panic(err)
		}
		if n%200 == 0 {
			say("wrote %d", n)
		}
	}
}
