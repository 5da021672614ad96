package cachestore

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

// TestDiskBudgetHolds writes four times the disk budget of 16 KiB entries
// and checks that, every time GC has run, the directory is within 110% of
// it (measured as du does, in allocated blocks).
func TestDiskBudgetHolds(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.DiskBytes = 16 << 20 // the minimum: Badger's fixed overheads weigh most here
	cfg.MemoryBytes = 0
	s := openStore(t, cfg)
	const n = 4 * (16 << 20) / (16 << 10)
	b := body(0, 0, 16<<10)
	for i := 0; i < n; i++ {
		mustSet(t, s, fmt.Sprintf("k%d", i), testEntry("t", fmt.Sprint(i), nil, b))
		if i%500 == 499 {
			s.collectGarbage()
			st := s.Stats()
			t.Logf("after %d sets: dir %.1f MiB, live %.1f MiB, budget %.1f MiB, rewrites %d",
				i+1, mib(st.DirBytes), mib(st.Disk.Bytes), mib(st.Disk.Capacity), st.GCRewrites)
			if limit := cfg.DiskBytes * 11 / 10; st.DirBytes > limit {
				listDir(t, cfg.Dir)
				t.Fatalf("directory uses %.1f MiB after GC, more than 110%% of %.0f MiB", mib(st.DirBytes), mib(cfg.DiskBytes))
			}
		}
	}
	for i := 0; i < 5; i++ {
		s.collectGarbage()
	}
	st := s.Stats()
	t.Logf("final: dir %.1f MiB, live %.1f MiB in %d entries, budget %.1f MiB, rewrites %d",
		mib(st.DirBytes), mib(st.Disk.Bytes), st.Disk.Entries, mib(st.Disk.Capacity), st.GCRewrites)
	if limit := cfg.DiskBytes * 11 / 10; st.DirBytes > limit {
		t.Fatalf("directory uses %.1f MiB, more than 110%% of the %.0f MiB budget", mib(st.DirBytes), mib(cfg.DiskBytes))
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func listDir(t *testing.T, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		info, _ := e.Info()
		st := info.Sys().(*syscall.Stat_t)
		t.Logf("%-20s size %9d allocated %9d", e.Name(), info.Size(), st.Blocks*512)
	}
}
