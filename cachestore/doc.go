// Package cachestore is a tiered byte cache: a memory tier over a Badger v4
// disk tier, with byte budgets, eviction, freshness and staleness,
// checksums and O(1) purges by generation. Keys are opaque bytes; it knows
// nothing of images, HTTP or peers (an entry names its image only so that
// purges can match it).
//
// # Tiers and budgets
//
// Both tiers run S3-FIFO (package internal/s3fifo) over byte sizes: a small
// probationary FIFO, a main FIFO with lazy promotion and a ghost queue, so
// one-hit wonders and scans do not flush the working set. cmd/cachesim
// compares it with exact LRU. Memory-tier hits are reported to the disk
// tier's policy in batches, so what is hot in memory stays on disk too.
//
// The memory tier holds decoded entries within Config.MemoryBytes. The disk
// tier keeps two records per key in Badger, under the key's 64-bit xxhash:
// the entry (headers, full key, body, CRC-32C) in the value log and a small
// index record (generation stamp, expiry, image) in the LSM tree; its
// policy lives in memory and is rebuilt on open from keys alone. Badger's
// own memory is bounded by explicit block, index and memtable sizes. Disk
// space is bounded by scheduled value-log GC plus a controller that lowers
// the live budget when the directory would pass Config.DiskBytes.
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
// # Integrity and crashes
//
// Every disk read is verified; a mismatch is a miss, the entry is deleted
// and Stats.ChecksumFailures goes up. A directory Badger cannot open is
// moved aside (one log line) and the store starts cold. Zero-length log
// files that a crash leaves behind (badger#2207) are removed before opening.
// Badger v4.9.6's value-log GC can resurrect deleted entry records (index
// records live in the LSM and stay deleted): a read that finds an entry
// without its index treats it as absent and deletes it, and each GC run
// deletes entry records the policy does not track.
package cachestore
