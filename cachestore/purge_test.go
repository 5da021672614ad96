package cachestore

import (
	"errors"
	"testing"
	"time"
)

// purgeFixture stores one entry per image below and returns their keys.
var purgeFixture = []struct {
	key, tenant, id string
	tags            []string
}{
	{"a-tom", "acme", "cats/tom.jpg", []string{"summer", "cats"}},
	{"a-tom-w400", "acme", "cats/tom.jpg", []string{"summer", "cats"}},
	{"a-kit", "acme", "cats/kit.jpg", []string{"cats"}},
	{"a-rex", "acme", "dogs/rex.jpg", []string{"summer"}},
	{"a-cathedral", "acme", "cathedral.jpg", nil},
	{"b-tom", "beta", "cats/tom.jpg", []string{"summer", "cats"}},
}

func TestPurge(t *testing.T) {
	tests := []struct {
		name  string
		purge Purge
		gone  []string
	}{
		{"one image, every variant", Purge{Tenant: "acme", PublicIDs: []string{"cats/tom.jpg"}}, []string{"a-tom", "a-tom-w400"}},
		{"two images", Purge{Tenant: "acme", PublicIDs: []string{"cats/kit.jpg", "dogs/rex.jpg"}}, []string{"a-kit", "a-rex"}},
		{"tag", Purge{Tenant: "acme", Tags: []string{"summer"}}, []string{"a-tom", "a-tom-w400", "a-rex"}},
		{"prefix", Purge{Tenant: "acme", Prefix: "cats/"}, []string{"a-tom", "a-tom-w400", "a-kit"}},
		{"short prefix", Purge{Tenant: "acme", Prefix: "cat"}, []string{"a-tom", "a-tom-w400", "a-kit", "a-cathedral"}},
		{"tag and prefix", Purge{Tenant: "acme", Tags: []string{"summer"}, Prefix: "cathedral"}, []string{"a-tom", "a-tom-w400", "a-rex", "a-cathedral"}},
		{"tenant", Purge{Tenant: "acme", All: true}, []string{"a-tom", "a-tom-w400", "a-kit", "a-rex", "a-cathedral"}},
		{"everything", Purge{All: true}, []string{"a-tom", "a-tom-w400", "a-kit", "a-rex", "a-cathedral", "b-tom"}},
		{"unknown image", Purge{Tenant: "acme", PublicIDs: []string{"nope"}}, nil},
		{"other tenant's tag", Purge{Tenant: "gamma", Tags: []string{"summer"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, testConfig(t.TempDir()))
			for i, f := range purgeFixture {
				mustSet(t, s, f.key, testEntry(f.tenant, f.id, f.tags, body(i, 0, 2000)))
			}
			if err := s.Purge(tt.purge); err != nil {
				t.Fatal(err)
			}
			checkPurged(t, s, tt.gone)
			// Entries written after the purge are not affected by it.
			for i, f := range purgeFixture {
				mustSet(t, s, f.key, testEntry(f.tenant, f.id, f.tags, body(i, 1, 2000)))
			}
			checkPurged(t, s, nil)
		})
	}
}

func checkPurged(t *testing.T, s *Store, gone []string) {
	t.Helper()
	isGone := make(map[string]bool)
	for _, k := range gone {
		isGone[k] = true
	}
	for _, f := range purgeFixture {
		_, ok := s.Get([]byte(f.key))
		if ok == isGone[f.key] {
			t.Errorf("Get(%q) hit=%v, want hit=%v", f.key, ok, !isGone[f.key])
		}
	}
}

func TestPurgeValidate(t *testing.T) {
	bad := []Purge{
		{},
		{Tenant: "acme"},
		{PublicIDs: []string{"x"}},
		{Tenant: "acme", All: true, Prefix: "x"},
		{Tenant: "acme", PublicIDs: []string{""}},
		{Tenant: "acme", Tags: []string{""}},
	}
	s := openStore(t, testConfig(""))
	for _, p := range bad {
		if err := s.Purge(p); !errors.Is(err, ErrBadPurge) {
			t.Errorf("Purge(%+v) = %v, want ErrBadPurge", p, err)
		}
	}
}

// TestFillRace is the fill protocol: a fill that took its Generation
// before a purge of its image is dropped by Set, and one that lands before
// the purge is applied reads as absent once the purge returns.
func TestFillRace(t *testing.T) {
	s := openStore(t, testConfig(t.TempDir()))
	e := testEntry("acme", "cats/tom.jpg", []string{"summer"}, []byte("old bytes"))

	gen := s.Snapshot() // fill starts
	if err := s.Purge(Purge{Tenant: "acme", Tags: []string{"summer"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("k"), e, gen); !errors.Is(err, ErrPurged) { // fill ends
		t.Fatalf("Set after purge = %v, want ErrPurged", err)
	}
	wantMiss(t, s, "k")

	gen = s.Snapshot()
	if err := s.Set([]byte("k"), e, gen); err != nil { // fill wins the race
		t.Fatal(err)
	}
	if err := s.Purge(Purge{Tenant: "acme", PublicIDs: []string{"cats/tom.jpg"}}); err != nil {
		t.Fatal(err)
	}
	wantMiss(t, s, "k")

	// A purge of another image between snapshot and Set does not drop the fill.
	gen = s.Snapshot()
	if err := s.Purge(Purge{Tenant: "acme", PublicIDs: []string{"dogs/rex.jpg"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("k"), e, gen); err != nil {
		t.Fatalf("Set after unrelated purge: %v", err)
	}
	wantBody(t, s, "k", e.Body)
	if got := s.Stats().DroppedFills; got != 1 {
		t.Fatalf("DroppedFills = %d, want 1", got)
	}
}

// TestPurgeSurvivesRestart checks that generations are persisted: entries
// purged before a restart stay purged after it.
func TestPurgeSurvivesRestart(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openStore(t, cfg)
	for i, f := range purgeFixture {
		mustSet(t, s, f.key, testEntry(f.tenant, f.id, f.tags, body(i, 0, 2000)))
	}
	if err := s.Purge(Purge{Tenant: "acme", Prefix: "cats/"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, cfg)
	checkPurged(t, s, []string{"a-tom", "a-tom-w400", "a-kit"})
	if s.Snapshot() == 0 {
		t.Fatal("purge clock restarted at 0")
	}
}

// TestSweeperReclaims checks that the sweeper deletes purged and expired
// entries from disk, not just hides them.
func TestSweeperReclaims(t *testing.T) {
	s := openStore(t, testConfig(t.TempDir()))
	for i, f := range purgeFixture {
		mustSet(t, s, f.key, testEntry(f.tenant, f.id, f.tags, body(i, 0, 4000)))
	}
	// Disk writes are queued: the sweep the purge kicks walks Badger, so
	// the records must be there first (under load they were not yet).
	for _, f := range purgeFixture {
		landed(s, f.key)
	}
	before := s.Stats()
	if err := s.Purge(Purge{Tenant: "acme", All: true}); err != nil {
		t.Fatal(err)
	}
	// The purge kicks the sweeper (SweepDelay is 0 in tests): 5 memory
	// items and 5 disk records go.
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Swept < 10 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	after := s.Stats()
	if after.Swept != 10 {
		t.Fatalf("sweeper removed %d, want 10", after.Swept)
	}
	if after.Disk.Entries != before.Disk.Entries-5 || after.Memory.Entries != before.Memory.Entries-5 {
		t.Fatalf("entries before %d/%d, after %d/%d", before.Disk.Entries, before.Memory.Entries,
			after.Disk.Entries, after.Memory.Entries)
	}
	if n := diskRecords(t, s); n != 1 { // b-tom's record
		t.Fatalf("%d records left on disk, want 1", n)
	}
	wantBody(t, s, "b-tom", body(5, 0, 4000))
}
