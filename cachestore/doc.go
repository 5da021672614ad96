// Package cachestore is a tiered byte cache: a memory tier over a disk
// tier (append-only segment files indexed by Badger v4), with byte budgets, eviction, freshness and staleness,
// checksums and O(1) purges by generation. Keys are opaque bytes, and so is
// an entry's Meta, which the caller stores with the body (the edge keeps
// its caching policy there, in its own encoding); it knows nothing of
// images, HTTP or peers (an entry names its image only so that purges can
// match it). Why things are as they are, with the figures: docs/cachestore.md.
//
// # Tiers and budgets
//
// Both tiers run S3-FIFO (package internal/s3fifo) over byte sizes: a small
// probationary FIFO, a main FIFO with lazy promotion and a ghost queue, so
// one-hit wonders and scans do not flush the working set. cmd/cachesim
// compares it with exact LRU. Memory-tier hits are reported to the disk
// tier's policy in batches, so what is hot in memory stays on disk too.
//
// The memory tier holds decoded entries within Config.MemoryBytes. The
// disk tier keeps each entry's bytes (headers, full key, body, CRC-32C) as
// a frame in an append-only segment file (Dir/segments/NNNNNNNN.seg, up to
// Config.SegmentBytes each) and, in Badger under the key's 64-bit xxhash,
// one small record: a pointer to the frame (segment, offset, length) and
// an index record (generation stamp, expiry, image) for the sweeper. The
// pointers are also kept in memory (24 bytes a slot in a hash table at
// most 3/4 full: 32–64 bytes an entry), so a disk read is one pread of
// the frame, without a Badger lookup. The policy and the pointers are
// rebuilt on open from the Badger records alone, without reading
// segments. Badger's own memory is bounded by explicit block, index and
// memtable sizes.
//
// # Segments
//
// Bodies stay out of Badger (docs/cachestore.md says why). Segments are
// written with plain pwritev into the page cache and never synced: the cache is
// disposable, kill -9 keeps the page cache, and every read is verified,
// so a tail torn or lost by a power cut is a miss, never wrong bytes.
//
// One writer goroutine (writer.go) takes whatever Sets, deletions and
// compaction moves have queued, appends the batch's frames to the active
// segment with one pwritev and then commits their pointers in one Badger
// transaction, so a pointer never names bytes not yet written. While a
// write is queued its key's lock is held, which orders every change of a
// key's record and lets reads wait for writes queued before them. When a
// transaction lands, the in-memory pointers and the live bytes of every
// segment are updated from it (before the key locks are released, so the
// next change of a key always sees the previous one).
//
// Deleted, evicted, replaced and purged entries leave garbage in their
// segments. The GC loop compacts every sealed segment holding at least
// Config.GCDiscardRatio garbage: it walks the segment's frame headers and,
// under each key's lock, queues a move of the frames that records still
// point at (a concurrent Set or Delete of the key wins) to the active
// segment, then deletes the file once the moves have landed. A reader
// whose segment was deleted between reading the pointer and the frame
// looks the pointer up once more. Disk space is bounded by that
// compaction plus a controller that lowers the live budget when the
// directory (Badger's files and the segments) would pass Config.DiskBytes.
//
// Badger holds only records of about 150 bytes, below its value threshold,
// so its value log stays (nearly) empty and is never garbage-collected.
// Without a directory, segments are kept in memory, compacted the same way.
//
// # Purges and the fill protocol
//
// Every purge bumps one persisted generation counter per scope (everything,
// a tenant, an image, a tag of a tenant, a public-id prefix of a tenant) to
// the next value of a store-wide clock. An entry is stamped with the clock
// value at which its fill started and is dead once any counter covering its
// image is newer: checking is a few map lookups, never a scan, and a
// background sweeper reclaims the space. A caller filling the cache takes
// gen := s.Snapshot() before fetching, and calls s.Set(key, e, gen) after;
// Set refuses (ErrPurged) an entry whose image was purged in between, and
// if Set wins that race the entry reads as absent anyway.
//
// Counters are not kept forever (trim.go). Each periodic sweep (every
// SweepInterval, not those a purge triggers) first raises a store-wide
// floor to the clock at the start of the previous one: Set refuses any
// stamp below it, so only fills older than a whole SweepInterval are
// refused. Its walk notes the lowest stamp m of the entries it keeps, and
// then every counter at or below min(m, floor) is dropped, from disk
// first (with the clock, so that it never goes back on reopen): no stored
// or future entry is stamped below it, so such a counter decides nothing.
//
// # Integrity and crashes
//
// Every disk read is verified: the frame header (length, key hash, its
// own CRC-32C) and the record's CRC-32C. A mismatch is a miss, the entry
// is deleted and Stats.ChecksumFailures goes up; a frame that is not there
// (segment deleted, tail cut short, a hole never written) is a miss and
// the entry is deleted, without counting. Opening drops the records whose
// frames lie past the end of their segment or in a missing one, and new
// segments never reuse the id of a segment a record names. A directory
// Badger cannot open is moved aside (one log line) and the store starts
// cold; so does a directory in the format before segments (bodies in
// Badger's value log). Zero-length log files that a crash leaves behind
// (badger#2207) are removed before opening.
package cachestore
