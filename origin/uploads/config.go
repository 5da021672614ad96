package uploads

import (
	"errors"
	"fmt"
	"time"
)

// maxParts is S3's limit on parts per multipart upload.
const maxParts = 10000

// minioMultipartCleanup is how long MinIO keeps an unfinished multipart
// upload before dropping it; expiry must come sooner.
const minioMultipartCleanup = 24 * time.Hour

// Config tunes resumable uploads. The zero value is not valid; start from
// DefaultConfig.
type Config struct {
	// MaxSize is the largest upload accepted, in bytes (413 above it).
	// Default 50 MiB, the origin's image cap.
	MaxSize int64
	// PartSize is the size of every MinIO part but the last, in bytes; at
	// least 5 MiB. Each PATCH in flight holds one buffer of this size.
	// Default 5 MiB.
	PartSize int
	// Expiry is how long an upload may take from creation; shorter than
	// MinIO's 24-hour multipart cleanup. Default 12h.
	Expiry time.Duration
	// SweepInterval is how often the Sweeper looks for expired uploads.
	// Default 1m.
	SweepInterval time.Duration
	// SweepBatch caps the uploads the Sweeper handles per pass. Default 100.
	SweepBatch int
	// LockTTL is how long an upload's lease lasts unless renewed; a crashed
	// process blocks its uploads at most this long. Default 20s.
	LockTTL time.Duration
	// LockRenew is how often a holder renews its lease and checks whether a
	// waiter asked it to let go. Default 500ms.
	LockRenew time.Duration
	// LockWait is how long a request waits for an upload's lease before
	// failing. Default 20s.
	LockWait time.Duration
	// NetworkTimeout closes a request whose body sends nothing for this
	// long. Default 60s.
	NetworkTimeout time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		MaxSize:        50 << 20,
		PartSize:       MinPartSize,
		Expiry:         12 * time.Hour,
		SweepInterval:  time.Minute,
		SweepBatch:     100,
		LockTTL:        20 * time.Second,
		LockRenew:      500 * time.Millisecond,
		LockWait:       20 * time.Second,
		NetworkTimeout: 60 * time.Second,
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.MaxSize <= 0:
		return errors.New("uploads: MaxSize must be positive")
	case c.PartSize < MinPartSize:
		return fmt.Errorf("uploads: PartSize %d is below S3's minimum of %d", c.PartSize, MinPartSize)
	case c.MaxSize/int64(c.PartSize) >= maxParts:
		return fmt.Errorf("uploads: MaxSize needs more than %d parts of PartSize", maxParts)
	case c.Expiry <= 0 || c.Expiry >= minioMultipartCleanup:
		return fmt.Errorf("uploads: Expiry %v must be positive and shorter than MinIO's %v multipart cleanup", c.Expiry, minioMultipartCleanup)
	case c.SweepInterval <= 0 || c.SweepBatch <= 0:
		return errors.New("uploads: SweepInterval and SweepBatch must be positive")
	case c.LockRenew <= 0 || c.LockTTL < 2*c.LockRenew:
		return errors.New("uploads: LockTTL must be at least twice LockRenew, both positive")
	case c.LockWait <= 0 || c.NetworkTimeout <= 0:
		return errors.New("uploads: LockWait and NetworkTimeout must be positive")
	}
	return nil
}
