package cachestore

// TierStats describes one tier.
type TierStats struct {
	Bytes     int64  // bytes of entries held, as charged to the budget
	Entries   int    // entries held
	Evictions uint64 // entries evicted to make room, since New
	Capacity  int64  // current byte budget
}

// Stats is a snapshot of the store's counters. Counters count since New.
type Stats struct {
	Memory TierStats
	// Disk.Capacity is the live budget, which the directory-size controller
	// lowers when garbage in segments or Badger's overhead would push Dir
	// past DiskBytes. While the disk tier is dropped after a fault
	// (Health), Disk is all zero; after it is reopened, it counts afresh.
	Disk             TierStats
	MemoryHits       uint64 // Gets served from the memory tier
	DiskHits         uint64 // Gets served from the disk tier
	Misses           uint64 // Gets that found nothing servable
	ChecksumFailures uint64 // disk reads that failed verification (entry deleted)
	DroppedFills     uint64 // Sets refused with ErrPurged
	Swept            uint64 // purged, expired or orphaned entries the sweeper removed
	GCRewrites       uint64 // segments compacted (live frames moved, file deleted) by GC
	FailedWrites     uint64 // queued disk writes that failed (entry forgotten)
	DirBytes         int64  // disk space used by Dir (segments included) at the last GC run
	PurgeScopes      int    // purge counters held (scopes purged and not yet trimmed)
	TrimmedScopes    uint64 // purge counters dropped once no entry could need them
	Generation       Generation
}

// Stats returns the current counters. Safe for concurrent use; cheap
// enough to call on every metrics scrape.
func (s *Store) Stats() Stats {
	d := s.disk()
	return Stats{
		Memory:           s.mem.stats(),
		Disk:             d.stats(),
		MemoryHits:       s.mem.served(),
		DiskHits:         s.diskHits.Load(),
		Misses:           s.misses.Load(),
		ChecksumFailures: s.checksumFailures.Load(),
		DroppedFills:     s.dropped.Load(),
		Swept:            s.swept.Load(),
		GCRewrites:       s.gcRewrites.Load(),
		FailedWrites:     s.failedBefore.Load() + d.failedWrites.Load(),
		DirBytes:         s.dirBytes.Load(),
		PurgeScopes:      s.gens.size(),
		TrimmedScopes:    s.trimmed.Load(),
		Generation:       s.Snapshot(),
	}
}
