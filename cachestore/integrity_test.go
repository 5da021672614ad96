package cachestore

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// diskRecords counts the entry and index records in Badger.
func diskRecords(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	err := s.db().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if k := it.Item().Key(); k[0] == prefixEntry || k[0] == prefixIndex {
				n++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestChecksumMismatchIsAMiss flips one body byte on disk: the read is a
// miss, the entry is deleted and the counter goes up.
func TestChecksumMismatchIsAMiss(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MemoryBytes = 0 // every read goes to disk
	s := openStore(t, cfg)
	mustSet(t, s, "k", testEntry("t", "i", nil, body(1, 0, 4000)))
	landed(s, "k")
	k := diskKey(prefixEntry, hashKey([]byte("k")))
	err := s.db().Update(func(txn *badger.Txn) error {
		item, err := txn.Get(k)
		if err != nil {
			return err
		}
		val, _ := item.ValueCopy(nil)
		val[len(val)-100] ^= 0x01
		return txn.Set(k, val)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantMiss(t, s, "k")
	if got := s.Stats().ChecksumFailures; got != 1 {
		t.Fatalf("ChecksumFailures = %d, want 1", got)
	}
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

// TestOrphanRecordsAreDropped plants an entry record without its index
// record (what Badger's value-log GC can resurrect) and an index record
// without its entry: neither is served, a read deletes the first and the
// sweeper the second.
func TestOrphanRecordsAreDropped(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openStore(t, cfg)
	mustSet(t, s, "kept", testEntry("t", "i", nil, body(1, 0, 3000)))
	val := encode(record{key: []byte("orphan"), entry: testEntry("t", "i", nil, body(2, 0, 3000))})
	err := s.db().Update(func(txn *badger.Txn) error {
		if err := txn.Set(diskKey(prefixEntry, hashKey([]byte("orphan"))), val); err != nil {
			return err
		}
		return txn.Set(diskKey(prefixIndex, hashKey([]byte("lonely index"))), val)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, cfg)
	wantMiss(t, s, "orphan")
	wantBody(t, s, "kept", body(1, 0, 3000))
	s.sweep()
	if n := diskRecords(t, s); n != 2 {
		t.Fatalf("%d records on disk after a read and a sweep, want the 2 of \"kept\"", n)
	}
}
