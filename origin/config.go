package origin

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the origin domain and its HTTP API.
type Config struct {
	// MaxUploadBytes caps an image's size while it streams in (bytes;
	// default 50 MiB). Larger uploads fail with ErrTooLarge (413).
	MaxUploadBytes int64
	// MaxPixels caps width×height read from the header (pixels; default
	// 100 million). Larger images fail with ErrTooManyPixels (422).
	MaxPixels int64
	// MaxMetadataBytes caps an image's metadata JSON (bytes; default 4096).
	MaxMetadataBytes int
	// CacheControl is the Cache-Control policy of new tenants (default
	// "public, max-age=31536000, stale-while-revalidate=60, stale-if-error=86400").
	CacheControl string
	// SpoolDir holds uploads while they are hashed and probed (default ""
	// = the system temporary directory).
	SpoolDir string
	// AdminKey is the bootstrap system admin key (PIXCDN_ORIGIN_ADMIN_KEY;
	// default "" = none). It is compared, never stored.
	AdminKey string
	// KeyCacheTTL is how long a key lookup is remembered (default 10s).
	KeyCacheTTL time.Duration
	// MaxEventWait caps the wait of an events long poll (default 60s).
	MaxEventWait time.Duration
	// EventBatch is the most events one feed response carries (default 500).
	EventBatch int
	// FeedPoll is how often waiting feed readers re-read without a
	// notification, a safety net for lost notifications (default 1s).
	FeedPoll time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		MaxUploadBytes:   50 << 20,
		MaxPixels:        100_000_000,
		MaxMetadataBytes: 4096,
		CacheControl:     "public, max-age=31536000, stale-while-revalidate=60, stale-if-error=86400",
		KeyCacheTTL:      10 * time.Second,
		MaxEventWait:     60 * time.Second,
		EventBatch:       500,
		FeedPoll:         time.Second,
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.MaxUploadBytes <= 0:
		return fmt.Errorf("origin: MaxUploadBytes %d must be positive", c.MaxUploadBytes)
	case c.MaxPixels <= 0:
		return fmt.Errorf("origin: MaxPixels %d must be positive", c.MaxPixels)
	case c.MaxMetadataBytes <= 2:
		return fmt.Errorf("origin: MaxMetadataBytes %d too small", c.MaxMetadataBytes)
	case c.CacheControl == "":
		return errors.New("origin: CacheControl is required")
	case c.AdminKey != "" && len(c.AdminKey) < 16:
		return errors.New("origin: AdminKey must be at least 16 characters")
	case c.KeyCacheTTL < 0 || c.MaxEventWait <= 0 || c.FeedPoll <= 0:
		return errors.New("origin: KeyCacheTTL, MaxEventWait and FeedPoll must be positive")
	case c.EventBatch < 1:
		return fmt.Errorf("origin: EventBatch %d < 1", c.EventBatch)
	}
	return nil
}
