package cachestore

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// diskRecords counts the entry records in Badger.
func diskRecords(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	err := s.db().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixRecord}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// framePointer returns where key's frame is, once its write has landed.
func framePointer(t *testing.T, s *Store, key string) pointer {
	t.Helper()
	landed(s, key)
	p, ok := s.disk().segs.locate(hashKey([]byte(key)))
	if !ok {
		t.Fatalf("no frame for %q", key)
	}
	return p
}

// TestChecksumMismatchIsAMiss flips one body byte in a segment file: the
// read is a miss, the entry is deleted and the counter goes up.
func TestChecksumMismatchIsAMiss(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MemoryBytes = 0 // every read goes to disk
	s := openStore(t, cfg)
	mustSet(t, s, "k", testEntry("t", "i", nil, body(1, 0, 4000)))
	p := framePointer(t, s, "k")
	f, err := os.OpenFile(s.disk().segs.path(p.seg), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	off := p.off + p.n - 100
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x01
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	wantMiss(t, s, "k")
	if got := s.Stats().ChecksumFailures; got != 1 {
		t.Fatalf("ChecksumFailures = %d, want 1", got)
	}
	landed(s, "k")
	if n := diskRecords(t, s); n != 0 {
		t.Fatalf("%d records left after a checksum failure, want 0", n)
	}
}

func TestRestartServesFromDisk(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openStore(t, cfg)
	for i := 0; i < 100; i++ {
		mustSet(t, s, string(rune('A'+i)), testEntry("t", "i", nil, body(i, 0, 8000)))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, cfg)
	if st := s.Stats(); st.Disk.Entries != 100 {
		t.Fatalf("reopened with %d entries, want 100", st.Disk.Entries)
	}
	for i := 0; i < 100; i++ {
		wantBody(t, s, string(rune('A'+i)), body(i, 0, 8000))
	}
	if st := s.Stats(); st.DiskHits != 100 {
		t.Fatalf("DiskHits = %d, want 100", st.DiskHits)
	}
}

// TestUnopenableDirIsMovedAside damages Badger's manifest: New must still
// succeed, cold, with the old directory moved aside and one log line.
func TestUnopenableDirIsMovedAside(t *testing.T) {
	cfg := testConfig(filepath.Join(t.TempDir(), "cache"))
	s := openStore(t, cfg)
	mustSet(t, s, "k", testEntry("t", "i", nil, []byte("b")))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, "MANIFEST"), []byte("garbage, not a manifest"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s = openStore(t, cfg)
	wantMiss(t, s, "k")
	mustSet(t, s, "k2", testEntry("t", "i", nil, []byte("b")))
	aside, _ := filepath.Glob(cfg.Dir + ".broken-*")
	if len(aside) != 1 {
		t.Fatalf("moved-aside directories: %v, want one", aside)
	}
	if lines := strings.Count(logs.String(), "\n"); lines != 1 || !strings.Contains(logs.String(), "moved aside") {
		t.Fatalf("log = %q, want one line saying the directory was moved aside", logs.String())
	}
}

// TestLockedDirIsNotMovedAside: a directory in use by another store is an
// error, never a reason to throw the other store's data away.
func TestLockedDirIsNotMovedAside(t *testing.T) {
	cfg := testConfig(t.TempDir())
	openStore(t, cfg)
	if s, err := New(cfg); err == nil {
		s.Close()
		t.Fatal("second New on a locked directory succeeded")
	}
	if aside, _ := filepath.Glob(cfg.Dir + ".broken-*"); len(aside) != 0 {
		t.Fatalf("locked directory was moved aside: %v", aside)
	}
}

// TestEmptyLogFilesAfterCrash: a crash between creating and sizing a
// memtable or value-log file leaves it empty, which Badger v4.9.6 refuses
// to open (badger#2207). The store must open with its data, not move it aside.
func TestEmptyLogFilesAfterCrash(t *testing.T) {
	for _, name := range []string{"00099.mem", "000099.vlog"} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			s := openStore(t, cfg)
			mustSet(t, s, "k", testEntry("t", "i", nil, body(1, 0, 3000)))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(cfg.Dir, name), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			s = openStore(t, cfg)
			if logs.Len() > 0 {
				t.Fatalf("reopen logged %q", logs.String())
			}
			wantBody(t, s, "k", body(1, 0, 3000))
		})
	}
}

// TestUntrackedRecordsAreSwept plants a record the policy does not know
// (left by a failed delete): the sweeper deletes it.
func TestUntrackedRecordsAreSwept(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openStore(t, cfg)
	mustSet(t, s, "kept", testEntry("t", "i", nil, body(1, 0, 3000)))
	p := framePointer(t, s, "kept")
	idx := encode(record{entry: Entry{Image: ImageRef{Tenant: "t", PublicID: "i"}}})
	err := s.db().Update(func(txn *badger.Txn) error {
		return txn.Set(recordKey(hashKey([]byte("lonely"))), encodePointer(p, idx))
	})
	if err != nil {
		t.Fatal(err)
	}
	wantMiss(t, s, "lonely")
	s.sweep()
	if n := diskRecords(t, s); n != 1 {
		t.Fatalf("%d records on disk after a sweep, want the 1 of \"kept\"", n)
	}
	wantBody(t, s, "kept", body(1, 0, 3000))
}

// TestOldFormatStartsCold: a directory from before segments (entry
// records with bodies in Badger's value log, prefix 'e') is replaced by an
// empty store, with one log line, and the store works.
func TestOldFormatStartsCold(t *testing.T) {
	cfg := testConfig(t.TempDir())
	db, err := openBadger(cfg.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte{prefixOldEntry, 1, 2, 3, 4, 5, 6, 7, 8}, body(1, 0, 4000))
	})
	if err = errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s := openStore(t, cfg)
	if lines := strings.Count(logs.String(), "\n"); lines != 1 || !strings.Contains(logs.String(), "old format") {
		t.Fatalf("log = %q, want one line about the old format", logs.String())
	}
	if hasKeyWithPrefix(s.db(), prefixOldEntry) {
		t.Fatal("old records kept")
	}
	mustSet(t, s, "k", testEntry("t", "i", nil, body(2, 0, 4000)))
	wantBody(t, s, "k", body(2, 0, 4000))
}
