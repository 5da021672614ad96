package cachestore

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
	"github.com/dgraph-io/badger/v4"
)

// Errors returned by Set and Purge, wrapped with %w where there is more to say.
var (
	ErrClosed   = errors.New("cachestore: store closed")
	ErrEmptyKey = errors.New("cachestore: empty key")
	ErrTooLarge = errors.New("cachestore: entry larger than the cache")
	ErrExpired  = errors.New("cachestore: entry already expired")
	// ErrPurged means Set dropped an entry because its image was purged
	// after the Generation the fill started from: storing it would
	// resurrect purged content. A Generation older than the previous
	// periodic sweep is refused the same way, purged or not (trim.go).
	ErrPurged = errors.New("cachestore: image purged during fill")
)

// Store is a tiered, byte-bounded, crash-safe cache: a memory tier over a
// disk tier (segment files indexed by Badger), each with an S3-FIFO byte budget, with O(1) purges by
// generation. Keys are opaque bytes. All methods are safe for concurrent
// use; none blocks for long except Purge (one fsync) and Close.
type Store struct {
	cfg    Config
	mem    *memTier
	tier   atomic.Pointer[diskTier] // see disk
	gens   *generations
	health healthState

	purgeMu sync.Mutex // serialises purges (and trims) so generations only grow
	gcMu    sync.Mutex // serialises GC runs (the loop's and tests' own)
	counters

	// floor is the oldest stamp Set accepts (trim.go). fill is held shared
	// by every Set from its check through its writes, and by a Get from
	// its disk read through its copy into memory; raising floor holds it
	// exclusively, so that no entry stamped below floor is stored after.
	floor atomic.Uint64
	fill  sync.RWMutex
	trim  trimState

	closed    atomic.Bool
	life      sync.RWMutex // held shared by disk operations (useDisk), exclusively by Close
	stop      chan struct{}
	kick      chan struct{} // asks the sweeper for an early sweep
	gcKick    chan struct{} // asks the GC loop for an early run
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

type counters struct {
	diskHits, misses          atomic.Uint64
	checksumFailures, dropped atomic.Uint64
	swept, gcRewrites         atomic.Uint64
	trimmed                   atomic.Uint64
	failedBefore              atomic.Uint64 // failed writes of dropped disk tiers
	dirBytes, written         atomic.Int64
}

// New opens (or creates) the store described by cfg, rebuilds the disk
// tier's index from what is on disk, and starts the GC, sweeper and
// health goroutines, which Close stops. A directory Badger cannot open is
// moved aside and the store starts empty (see Config.Dir); one without
// room to write starts with its disk tier degraded (health.go).
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d, err := openDisk(cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, mem: newMemTier(cfg.MemoryBytes),
		stop: make(chan struct{}), kick: make(chan struct{}, 1), gcKick: make(chan struct{}, 1)}
	s.health.faults = make(map[DiskFault]uint64, len(Faults))
	var floor uint64
	if s.gens, floor, err = loadGenerations(d.db); err == nil {
		err = s.watchDirLocked()
	}
	if err != nil {
		d.halt()
		return nil, errors.Join(err, d.closeAll())
	}
	// A Generation from before the reopen may not outlive the counters
	// trimmed then (trim.go).
	s.floor.Store(floor)
	d.onFault = s.degrade
	s.tier.Store(d)
	if cfg.Dir != "" {
		if err := makeReserve(cfg.Dir, cfg.reserveBytes()); err != nil {
			s.degrade(d, classify(err), err)
		}
	}
	s.wg.Add(3)
	go s.gcLoop()
	go s.sweepLoop()
	go s.healthLoop()
	return s, nil
}

// disk returns the current disk tier: the one opened, or after a fault an
// empty stand-in or the tier reopened since (reopen.go).
func (s *Store) disk() *diskTier { return s.tier.Load() }

// useDisk returns the current disk tier, held for one operation, or false
// once the store is closed. Callers call s.done(d) when they are done.
func (s *Store) useDisk() (*diskTier, bool) {
	s.life.RLock()
	if s.closed.Load() {
		s.life.RUnlock()
		return nil, false
	}
	for {
		// A tier dropped between the load and enter is closing: the
		// store has swapped in another one by then.
		if d := s.disk(); d.enter() {
			return d, true
		}
	}
}

// done ends an operation useDisk began.
func (s *Store) done(d *diskTier) {
	d.leave()
	s.life.RUnlock()
}

func hashKey(key []byte) uint64 { return xxhash.Sum64(key) }

// Get returns the entry for key if it is present, intact, not purged and
// not expired; stale entries are returned (after FreshUntil). The
// returned Entry, its Body, Meta and Tags are shared with the cache and other
// callers: they stay valid forever but must not be modified. A disk read
// that fails its checksum is a miss, and the entry is deleted.
func (s *Store) Get(key []byte) (Entry, bool) {
	e, _, ok := s.GetTier(key)
	return e, ok
}

// Tier names the tier that answered a GetTier.
type Tier string

// The tiers of a Store.
const (
	TierMemory Tier = "memory"
	TierDisk   Tier = "disk"
)

// GetTier is Get that also reports which tier held the entry ("" on a
// miss).
func (s *Store) GetTier(key []byte) (Entry, Tier, bool) {
	if s.closed.Load() {
		return Entry{}, "", false
	}
	h := hashKey(key)
	if it, ok, hits := s.mem.get(h, key); ok {
		if hits != nil {
			s.disk().hitAll(hits)
		}
		if s.servable(&it.entry, it.stamp) {
			s.mem.countServed(h)
			return it.entry, TierMemory, true
		}
		s.mem.remove(h, key)
	}
	s.fill.RLock()
	it, ok := s.readDisk(h, key)
	if ok {
		s.mem.set(h, it)
	}
	s.fill.RUnlock()
	if !ok {
		s.misses.Add(1)
		return Entry{}, "", false
	}
	s.diskHits.Add(1)
	return it.entry, TierDisk, true
}

func (s *Store) servable(e *Entry, stamp uint64) bool {
	exp := e.expiresAt()
	return (exp.IsZero() || s.cfg.Now().Before(exp)) && s.gens.alive(&e.Image, stamp)
}

// readDisk reads, verifies and decodes key's frame from the disk tier,
// deleting the entry when its frame is damaged or gone, or it is purged
// or expired.
func (s *Store) readDisk(h uint64, key []byte) (*memItem, bool) {
	d, ok := s.useDisk()
	if !ok {
		return nil, false
	}
	defer s.done(d)
	rec, err := d.read(h)
	switch {
	case errors.Is(err, errNotFound):
		return nil, false
	case errors.Is(err, ErrCorrupt) || errors.Is(err, errBadFrame):
		s.checksumFailures.Add(1)
		d.discard(h)
		return nil, false
	case err != nil: // the frame is gone (segment lost, tail cut) or unreadable
		d.discard(h)
		return nil, false
	}
	if string(rec.key) != string(key) {
		return nil, false // 64-bit hash collision: the other key keeps the slot
	}
	if !s.servable(&rec.entry, rec.stamp) {
		d.discard(h)
		return nil, false
	}
	d.hit(h)
	return &memItem{key: rec.key, stamp: rec.stamp, entry: rec.entry, size: rec.entry.size(len(key))}, true
}

// Snapshot returns the current purge generation. Take it before starting a
// fill (fetching and transforming) and pass it to Set when the fill ends.
func (s *Store) Snapshot() Generation { return Generation(s.gens.clock.Load()) }

// Set stores e under key in both tiers, stamped with gen, the Generation
// the caller took with Snapshot before it started producing e.
//
// The fill protocol: if a purge covering e.Image happens after gen was
// taken, Set drops e and returns ErrPurged, and should Set instead win the
// race with that purge, the stored entry is stamped older than the purge
// and every Get treats it as absent. Either way a fill that started before
// a purge never resurrects the purged variant. A gen newer than any
// Snapshot is treated as the current one. A gen older than the previous
// periodic sweep (SweepInterval) is refused with ErrPurged too, purged or
// not: see trim.go.
//
// Set copies key and e (Body, Meta and Tags included); the caller keeps
// ownership of them. It returns ErrExpired for an entry already expired,
// ErrTooLarge for one bigger than the disk budget, ErrClosed after Close.
// While the disk tier is degraded (Health), e is stored in memory only.
func (s *Store) Set(key []byte, e Entry, gen Generation) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	s.fill.RLock() // until both tiers are written: see Store.floor
	defer s.fill.RUnlock()
	stamp := min(uint64(gen), s.gens.clock.Load())
	if stamp < s.floor.Load() || !s.gens.alive(&e.Image, stamp) {
		s.dropped.Add(1)
		return ErrPurged
	}
	if exp := e.expiresAt(); !exp.IsZero() && !s.cfg.Now().Before(exp) {
		return ErrExpired
	}
	e.Image.Tags = slices.Clone(e.Image.Tags)
	h := hashKey(key)
	frame := encodeFrame(h, record{key: key, stamp: stamp, entry: e})
	if int64(len(frame)) > maxFrameLen {
		return ErrTooLarge
	}
	idx := encode(record{stamp: stamp, entry: Entry{FreshUntil: e.FreshUntil, StaleUntil: e.StaleUntil, Image: e.Image}})
	if err := s.writeDisk(h, frame, idx); err != nil && !errors.Is(err, errDiskHalted) {
		s.mem.remove(h, nil)
		return err
	}
	// The copies inside frame, read-only from now on: meta, then the body.
	bodyAt := len(frame) - len(e.Body)
	e.Body = frame[bodyAt:]
	if len(e.Meta) > 0 {
		e.Meta = frame[bodyAt-len(e.Meta) : bodyAt : bodyAt]
	}
	s.mem.set(h, &memItem{key: slices.Clone(key), stamp: stamp, entry: e, size: e.size(len(key))})
	return nil
}

func (s *Store) writeDisk(h uint64, frame, idx []byte) error {
	d, ok := s.useDisk()
	if !ok {
		return ErrClosed
	}
	defer s.done(d)
	if err := d.write(h, frame, idx); err != nil {
		return fmt.Errorf("cachestore: set: %w", err)
	}
	s.noteWritten(len(frame) + len(idx))
	return nil
}

// Delete removes key from both tiers. Deleting an absent key is not an
// error. While the disk tier cannot be written, the disk tier forgets the
// key and the sweeper deletes its record later.
func (s *Store) Delete(key []byte) error {
	h := hashKey(key)
	s.mem.remove(h, key)
	d, ok := s.useDisk()
	if !ok {
		return ErrClosed
	}
	defer s.done(d)
	if err := d.remove(h); err != nil && !errors.Is(err, errDiskHalted) {
		return err
	}
	return nil
}

// Close stops the GC, sweeper and health goroutines, waits for them and
// for in-flight operations, and closes Badger and the segment files. If
// the disk tier was lost (its directory removed), it is dropped rather
// than flushed: Close then waits at most about a second for it. It is
// idempotent: later calls return the first call's result. After Close,
// Get misses and Set, Delete and Purge return ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.cfg.Dir != "" {
			if f, err := s.inspectDir(); f == FaultDirGone {
				s.degrade(s.disk(), f, err)
			}
		}
		s.closed.Store(true)
		close(s.stop)
		s.wg.Wait()
		s.life.Lock()
		defer s.life.Unlock()
		s.closeErr = s.disk().closeAll()
		s.waitRetired(retireWait)
	})
	return s.closeErr
}

// db is for the package's own tests and loops: the current tier's Badger.
func (s *Store) db() *badger.DB { return s.disk().db }
