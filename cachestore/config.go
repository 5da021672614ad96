package cachestore

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("cachestore: invalid config")

// Config sizes a Store. Byte sizes are in bytes, durations are wall time.
// The zero value is not valid; start from DefaultConfig.
type Config struct {
	// Dir holds the disk tier: Badger's files and the segments directory.
	// Empty means no disk: records live in an in-memory Badger and frames
	// in memory segments, within DiskBytes (for tests), and nothing
	// survives Close. Default "".
	Dir string
	// DiskBytes is the budget of Dir. Once GC has run, Dir stays
	// within 110% of it: live entries are kept to DiskBytes×(1−GCDiscardRatio)
	// minus a margin, and the live budget shrinks further if Badger's own
	// overhead needs it. Default 10 GiB; minimum 16 MiB.
	DiskBytes int64
	// MemoryBytes is the budget of the memory tier (entry bodies and
	// headers). 0 disables it. Default 512 MiB.
	MemoryBytes int64
	// BlockCacheBytes is Badger's block cache (LSM blocks: keys, small
	// records). Default 32 MiB.
	BlockCacheBytes int64
	// IndexCacheBytes is Badger's table-index and bloom-filter cache.
	// Default 16 MiB.
	IndexCacheBytes int64
	// MemTableBytes is the size of one Badger memtable; two are kept, plus
	// their write-ahead files on disk. Bodies live in segment files, so a
	// memtable holds only keys and small records (about 150 bytes an
	// entry); bigger ones flush and compact less often. 0 means
	// DiskBytes/1024 clamped to [64 KiB, 16 MiB].
	MemTableBytes int64
	// SegmentBytes is the size of one segment file (Dir/segments), the
	// unit GC compacts; an entry bigger than that gets a segment of its
	// own. 0 means DiskBytes/64 clamped to [1 MiB, 64 MiB].
	SegmentBytes int64
	// GCInterval is how often GC compacts segments and the directory size
	// is checked against DiskBytes. Default 1 minute.
	GCInterval time.Duration
	// GCDiscardRatio is the share of garbage (deleted, evicted, replaced
	// or purged entries) at which GC compacts a segment, in (0, 1). Lower
	// keeps Dir smaller and costs more copying. Default 0.3.
	GCDiscardRatio float64
	// SweepInterval is how often the sweeper removes purged and expired
	// entries from disk even without a purge (a purge triggers a sweep after
	// SweepDelay). Default 5 minutes.
	SweepInterval time.Duration
	// SweepDelay batches purges: a sweep starts this long after the first
	// purge since the last sweep. Default 1 second.
	SweepDelay time.Duration
	// HealthInterval is how often the store checks its directory (still
	// there? room left?) and, while the disk tier is degraded, tries to
	// recover it (health.go). Default 1 second.
	HealthInterval time.Duration
	// OnReopen, if set, is called after the disk tier was reopened empty
	// in a recreated Dir (its directory had been removed), from the
	// store's own goroutine: it must not block for long. Whoever keeps
	// files beside Dir can write them again then.
	OnReopen func()
	// Logger receives the few lines the store logs (a directory moved aside,
	// GC failures, a disk fault and the recovery from it). Default slog.Default().
	Logger *slog.Logger
	// Now is the clock used for freshness. Default time.Now.
	Now func() time.Time

	// badgerQuiet, when set and true, silences Badger's logger: that of
	// a dropped disk tier (reopen.go).
	badgerQuiet *atomic.Bool
}

// DefaultConfig returns a memory-only configuration with production sizes;
// set Dir to keep entries on disk.
func DefaultConfig() Config {
	return Config{
		DiskBytes:       10 << 30,
		MemoryBytes:     512 << 20,
		BlockCacheBytes: 32 << 20,
		IndexCacheBytes: 16 << 20,
		GCInterval:      time.Minute,
		GCDiscardRatio:  0.3,
		SweepInterval:   5 * time.Minute,
		SweepDelay:      time.Second,
		HealthInterval:  time.Second,
	}
}

// Validate reports the first invalid field, wrapping ErrConfig.
func (c Config) Validate() error {
	checks := []struct {
		bad bool
		msg string
	}{
		{c.DiskBytes < 16<<20, "DiskBytes must be at least 16 MiB"},
		{c.MemoryBytes < 0, "MemoryBytes must not be negative"},
		{c.BlockCacheBytes < 1<<20, "BlockCacheBytes must be at least 1 MiB"},
		{c.IndexCacheBytes < 1<<20, "IndexCacheBytes must be at least 1 MiB"},
		{c.MemTableBytes != 0 && c.MemTableBytes < 16<<10, "MemTableBytes must be 0 or at least 16 KiB"},
		{c.SegmentBytes != 0 && (c.SegmentBytes < 1<<20 || c.SegmentBytes >= 1<<30),
			"SegmentBytes must be 0 or in [1 MiB, 1 GiB)"},
		{c.GCInterval <= 0, "GCInterval must be positive"},
		{!(c.GCDiscardRatio > 0 && c.GCDiscardRatio < 1), "GCDiscardRatio must be in (0, 1)"},
		{c.SweepInterval <= 0, "SweepInterval must be positive"},
		{c.SweepDelay < 0, "SweepDelay must not be negative"},
		{c.HealthInterval < 0, "HealthInterval must not be negative"},
	}
	for _, ch := range checks {
		if ch.bad {
			return fmt.Errorf("%w: %s", ErrConfig, ch.msg)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MemTableBytes == 0 {
		c.MemTableBytes = clamp(c.DiskBytes/1024, 64<<10, 16<<20)
	}
	if c.SegmentBytes == 0 {
		c.SegmentBytes = clamp(c.DiskBytes/64, 1<<20, 64<<20)
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// liveBudget is the most bytes of entries the disk tier holds before the
// directory-size controller adjusts it: what fits in DiskBytes when every
// segment may hold up to GCDiscardRatio garbage, less room for the
// segment being written, two memtables' write-ahead logs and the LSM tree.
func (c Config) liveBudget() int64 {
	overhead := 2*c.SegmentBytes + 4*c.MemTableBytes + c.DiskBytes/50
	return max(int64(float64(c.DiskBytes)*(1-c.GCDiscardRatio))-overhead, c.DiskBytes/10)
}

func clamp(v, lo, hi int64) int64 { return min(max(v, lo), hi) }
