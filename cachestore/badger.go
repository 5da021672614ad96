package cachestore

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Badger key prefixes. A record key is the prefix and the 8-byte
// big-endian xxhash of the caller's key.
const (
	prefixRecord = 'r' // → pointer to the entry's frame, then its index record
	prefixGen    = 'g' // → 8-byte purge generation of a scope
	// prefixOldEntry marked the entry records of the format before
	// segments (bodies in Badger's value log); see reopenEmpty.
	prefixOldEntry = 'e'
)

// valueThreshold keeps records and generations in the LSM tree: Badger's
// value log only sees an index record bigger than this (an image with
// kilobytes of tags), and is never garbage-collected.
const valueThreshold = 1 << 10

// valueLogFileBytes is the size of Badger's (nearly unused) value-log
// files: the minimum Badger accepts.
const valueLogFileBytes = 1 << 20

func badgerOptions(cfg Config) badger.Options {
	opts := badger.DefaultOptions(cfg.Dir).
		WithMemTableSize(cfg.MemTableBytes).
		WithValueThreshold(valueThreshold)
	if cfg.Dir == "" {
		// Memory mode has no value log: values live in the memtables and
		// may not exceed the threshold, which may not exceed 1 MiB.
		opts = opts.WithInMemory(true).WithMemTableSize(64 << 20).WithValueThreshold(1 << 20)
	}
	return opts.
		WithLogger(badgerLogger{cfg.Logger, cfg.badgerQuiet}).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithNumCompactors(2).
		WithValueLogFileSize(valueLogFileBytes).
		WithBlockCacheSize(cfg.BlockCacheBytes).
		WithIndexCacheSize(cfg.IndexCacheBytes).
		WithDetectConflicts(false).
		// The LSM holds hashed keys and small records: too little to
		// compress, and decompressing blocks dominated opening.
		WithCompression(options.None).
		WithMetricsEnabled(false).
		WithNumGoroutines(4)
}

// openBadger opens cfg.Dir. If Badger cannot open it for a reason other
// than a lock held by another process or a permission problem (typically a
// crash left it damaged), the directory is renamed to Dir.broken-TIME, an
// older such copy is removed, one warning is logged and an empty cache is
// opened instead: the cache is disposable, the node is not.
func openBadger(cfg Config) (*badger.DB, error) {
	opts := badgerOptions(cfg)
	if cfg.Dir != "" {
		removeEmptyLogs(cfg.Dir)
	}
	db, err := badger.Open(opts)
	if err != nil && strings.Contains(err.Error(), emptyFileErr) {
		// badger#2207: the first attempt sized the empty file; a second succeeds.
		db, err = badger.Open(opts)
	}
	if err == nil && cfg.Dir != "" && hasKeyWithPrefix(db, prefixOldEntry) {
		return reopenEmpty(db, cfg, opts)
	}
	if err == nil || cfg.Dir == "" || !recoverable(err) {
		return db, err
	}
	aside := fmt.Sprintf("%s.broken-%s", cfg.Dir, time.Now().UTC().Format("20060102T150405.000"))
	old, _ := filepath.Glob(cfg.Dir + ".broken-*")
	if rerr := os.Rename(cfg.Dir, aside); rerr != nil {
		return nil, fmt.Errorf("cachestore: open %s: %w (and moving it aside failed: %v)", cfg.Dir, err, rerr)
	}
	for _, o := range old {
		_ = os.RemoveAll(o) // keep only the latest broken copy for post-mortems
	}
	cfg.Logger.Warn("cachestore: disk cache unreadable, moved aside, starting cold",
		"dir", cfg.Dir, "moved_to", aside, "err", err)
	return badger.Open(opts)
}

// reopenEmpty replaces a directory in the format before segments (bodies
// in Badger's value log, which is no longer collected) with an empty
// store: the cache is disposable, and converting would take longer than
// refilling.
func reopenEmpty(db *badger.DB, cfg Config, opts badger.Options) (*badger.DB, error) {
	if err := db.Close(); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(cfg.Dir); err != nil {
		return nil, err
	}
	cfg.Logger.Warn("cachestore: disk cache in an old format, starting cold", "dir", cfg.Dir)
	return badger.Open(opts)
}

// hasKeyWithPrefix reports whether db holds a key starting with prefix.
func hasKeyWithPrefix(db *badger.DB, prefix byte) bool {
	found := false
	_ = db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefix}})
		defer it.Close()
		it.Rewind()
		found = it.Valid()
		return nil
	})
	return found
}

// emptyFileErr is the text of ristretto's z.NewFile, which Badger v4.9.6
// returns from Open when a crash left a zero-length .mem or .vlog file
// (dgraph-io/badger#2207).
const emptyFileErr = "Create a new file"

// removeEmptyLogs deletes zero-length memtable and value-log files, which
// a crash between creating and sizing one leaves behind and which Badger
// refuses to open (badger#2207). They hold no entries, so nothing can
// point into them; this is what the upstream fix (badger#2331) skips too.
func removeEmptyLogs(dir string) {
	mems, _ := filepath.Glob(filepath.Join(dir, "*.mem"))
	vlogs, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	for _, m := range append(mems, vlogs...) {
		if info, err := os.Stat(m); err == nil && info.Size() == 0 {
			_ = os.Remove(m)
		}
	}
}

func recoverable(err error) bool {
	return !errors.Is(err, fs.ErrPermission) &&
		!strings.Contains(err.Error(), "Cannot acquire directory lock")
}

// badgerLogger passes Badger's warnings and errors to slog, unless quiet
// is set and true, and drops its info and debug chatter.
type badgerLogger struct {
	log   *slog.Logger
	quiet *atomic.Bool
}

func (l badgerLogger) Errorf(f string, a ...any) {
	if l.quiet == nil || !l.quiet.Load() {
		l.log.Error("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
	}
}
func (l badgerLogger) Warningf(f string, a ...any) {
	if l.quiet == nil || !l.quiet.Load() {
		l.log.Warn("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
	}
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}
