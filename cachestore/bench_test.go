package cachestore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

const benchValue = 16 << 10

// benchStore fills a fresh store with n 16 KiB entries.
func benchStore(b *testing.B, cfg Config, n int) *Store {
	b.Helper()
	s := openStore(b, cfg)
	for i := 0; i < n; i++ {
		mustSet(b, s, "bench/"+strconv.Itoa(i), testEntry("t", "i", nil, body(i, 0, benchValue)))
	}
	return s
}

func benchGet(b *testing.B, s *Store, n int) {
	b.SetBytes(benchValue)
	b.ReportAllocs()
	b.ResetTimer()
	var misses atomic.Int64
	var seed atomic.Int64
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		for pb.Next() {
			i = (i + 1) % n
			if _, ok := s.Get([]byte("bench/" + strconv.Itoa(i))); !ok {
				misses.Add(1)
			}
		}
	})
	cpu.report(b)
	if m := misses.Load(); m > 0 {
		b.Fatalf("%d misses", m)
	}
}

// BenchmarkGetMemory: hits served by the memory tier.
func BenchmarkGetMemory(b *testing.B) {
	cfg := testConfig(b.TempDir())
	cfg.MemoryBytes, cfg.DiskBytes = 64<<20, 256<<20
	const n = 1000 // 16 MiB: fits the memory tier
	benchGet(b, benchStore(b, cfg, n), n)
}

// BenchmarkGetDisk: hits served by Badger (memory tier disabled), checksum
// verified and decoded on every read.
func BenchmarkGetDisk(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Dir = b.TempDir()
	cfg.Logger = testConfig("").Logger
	cfg.MemoryBytes = 0
	const n = 5000 // 80 MiB
	benchGet(b, benchStore(b, cfg, n), n)
}

// BenchmarkSet: new 16 KiB entries into both tiers, with production sizes
// (DefaultConfig: 10 GiB disk, 512 MiB memory) and GC running every 10 s.
func BenchmarkSet(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Dir = b.TempDir()
	cfg.Logger = testConfig("").Logger
	cfg.GCInterval = 10 * time.Second
	benchSet(b, cfg)
}

// BenchmarkSetChurn is BenchmarkSet with a 1 GiB disk budget, so that a
// long run (-benchtime 200000x writes 3.2 GB) evicts, and GC compacts
// segments, while Sets go on. It reports the compactions and the
// directory size at the last GC run.
func BenchmarkSetChurn(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Dir = b.TempDir()
	cfg.Logger = testConfig("").Logger
	cfg.DiskBytes = 1 << 30
	cfg.GCInterval = 10 * time.Second
	s := benchSet(b, cfg)
	st := s.Stats()
	b.ReportMetric(float64(st.GCRewrites), "compactions")
	b.ReportMetric(float64(st.DirBytes)/float64(cfg.DiskBytes), "dir/limit")
}

func benchSet(b *testing.B, cfg Config) *Store {
	s := openStore(b, cfg)
	val := body(0, 0, benchValue)
	var next atomic.Int64
	b.SetBytes(benchValue)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if err := s.Set([]byte("bench/"+strconv.FormatInt(i, 10)), testEntry("t", "i", nil, val), s.Snapshot()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cpu.report(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sets/s")
	return s
}

var (
	openDirOnce sync.Once
	openDir     string
	openDirErr  error
)

// openEntries is the number of entries BenchmarkOpen opens.
const openEntries = 1_000_000

// BenchmarkOpen measures New on a directory holding one million entries.
// The directory (about 1.2 GB: 1 KiB bodies in segment files, which
// opening never reads, so open time does not depend on body size) is
// built once per process by writing frames and records straight into the
// segments and Badger, and removed by TestMain.
func BenchmarkOpen(b *testing.B) {
	openDirOnce.Do(func() { openDir, openDirErr = buildOpenDir() })
	if openDirErr != nil {
		b.Fatal(openDirErr)
	}
	cfg := openConfig(openDir)
	b.ResetTimer()
	cpu := startCPU()
	defer cpu.report(b)
	for i := 0; i < b.N; i++ {
		s, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := s.Stats().Disk.Entries; n != openEntries {
			b.Fatalf("opened %d entries, want %d", n, openEntries)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func openConfig(dir string) Config {
	cfg := testConfig(dir)
	cfg.DiskBytes = 4 << 30
	return cfg
}

// openDirEnv names a directory BenchmarkOpen builds once and keeps, so
// that repeated runs (profiling) skip the setup. Unset: a temporary one.
const openDirEnv = "CACHESTORE_OPEN_DIR"

func buildOpenDir() (string, error) {
	if dir := os.Getenv(openDirEnv); dir != "" {
		if _, err := os.Stat(dir); err == nil {
			return dir, nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		return dir, fillOpenDir(dir)
	}
	dir, err := os.MkdirTemp("", "cachestore-open-")
	if err != nil {
		return "", err
	}
	return dir, fillOpenDir(dir)
}

func fillOpenDir(dir string) error {
	cfg := openConfig(dir).withDefaults()
	db, err := openBadger(cfg)
	if err != nil {
		return err
	}
	segs, err := openSegments(dir, cfg.SegmentBytes)
	if err != nil {
		return errors.Join(err, db.Close())
	}
	wb := db.NewWriteBatch()
	for i := 0; i < openEntries && err == nil; i += maxBatchOps {
		err = fillOpenBatch(wb, segs, i, min(i+maxBatchOps, openEntries))
	}
	if err == nil {
		err = wb.Flush()
	}
	err = errors.Join(err, db.Close(), segs.close())
	if err == nil {
		// Write the segments back now, as Badger syncs its own files:
		// BenchmarkOpen measures opening, not the kernel flushing 1.2 GB
		// of dirty pages underneath it.
		err = syncFiles(filepath.Join(dir, segDirName))
	}
	return err
}

// syncFiles fsyncs the files in dir.
func syncFiles(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	for _, name := range names {
		f, ferr := os.Open(name)
		if ferr == nil {
			ferr = errors.Join(f.Sync(), f.Close())
		}
		err = errors.Join(err, ferr)
	}
	return err
}

// fillOpenBatch stores entries [from, to) as the writer would: their
// frames appended to a segment, then their records.
func fillOpenBatch(wb *badger.WriteBatch, segs *segments, from, to int) error {
	var frames, idxs [][]byte
	var hs []uint64
	for i := from; i < to; i++ {
		key := []byte(fmt.Sprintf("open/%d", i))
		e := testEntry("t", "i", nil, body(i, 0, 1024))
		h := hashKey(key)
		hs = append(hs, h)
		frames = append(frames, encodeFrame(h, record{key: key, entry: e}))
		idxs = append(idxs, encode(record{entry: Entry{Image: e.Image}}))
	}
	ptrs, err := segs.append(frames)
	for k := 0; k < len(ptrs) && err == nil; k++ {
		err = wb.Set(recordKey(hs[k]), encodePointer(ptrs[k], idxs[k]))
	}
	return err
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		runCrashChild(dir) // the process TestCrashRecovery kills
	}
	code := m.Run()
	if openDir != "" && os.Getenv(openDirEnv) == "" {
		os.RemoveAll(openDir)
	}
	os.Exit(code)
}
