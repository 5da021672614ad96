package libvips

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"pixcdn/transform"
)

// Config configures a Processor. Zero values are not defaults: start from
// DefaultConfig.
type Config struct {
	// Workers is how many transforms run at once; default runtime.NumCPU().
	// libvips itself runs one thread per operation, so this is the number of
	// cores the processor keeps busy.
	Workers int
	// QueueDepth is how many transforms may wait for a worker; one more gets
	// ErrOverloaded at once. Default 4×Workers.
	QueueDepth int
	// QueueWait bounds how long a transform waits for a worker before it
	// fails with ErrOverloaded; default 3s.
	QueueWait time.Duration
	// Deadline bounds one transform, queueing included; default 10s. The
	// caller's context may end it sooner.
	Deadline time.Duration
	// Limits bound the source, checked from its header before decoding;
	// default transform.DefaultLimits() (50 MiB, 50 MP, 200 frames, 250 MP).
	Limits transform.Limits
	// JPEGQuality, WebPQuality and AVIFQuality are the encoder qualities
	// (1..100) used when Options.Quality is 0; defaults 80, 80, 60.
	JPEGQuality, WebPQuality, AVIFQuality int
	// AVIFEffort is the AV1 encoder effort 0 (fastest, aom speed 9) ..9;
	// default 0, the lowest bytes × encode time (docs/benchmarks.md, "AVIF
	// effort").
	AVIFEffort int
	// JXLQuality is the JPEG XL encoder quality (1..100) used when
	// Options.Quality is 0; default 80 (see docs/benchmarks.md, "JPEG XL").
	JXLQuality int
	// JXLEffort is the libjxl effort 1 (fastest) ..9; default 5.
	JXLEffort int
	// WebPEffort is the libwebp effort 0 (fastest) ..6; default 2.
	WebPEffort int
	// PNGCompression is the zlib level 0..9; default 6.
	PNGCompression int
	// GIFEffort is the GIF quantisation effort 1..10; default 4.
	GIFEffort int
	// MasterQuality is the JPEG quality (1..100) of working masters
	// (MakeMaster); default 95 (docs/benchmarks.md, "Working masters").
	MasterQuality int
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	n := runtime.NumCPU()
	return Config{
		Workers:        n,
		QueueDepth:     4 * n,
		QueueWait:      3 * time.Second,
		Deadline:       10 * time.Second,
		Limits:         transform.DefaultLimits(),
		JPEGQuality:    80,
		WebPQuality:    80,
		AVIFQuality:    60,
		AVIFEffort:     0,
		JXLQuality:     80,
		JXLEffort:      5,
		WebPEffort:     2,
		PNGCompression: 6,
		GIFEffort:      4,
		MasterQuality:  95,
	}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	checks := []struct {
		ok   bool
		what string
	}{
		{c.Workers >= 1, "Workers must be >= 1"},
		{c.QueueDepth >= 0, "QueueDepth must be >= 0"},
		{c.Deadline > 0, "Deadline must be > 0"},
		{c.QueueWait > 0, "QueueWait must be > 0"},
		{inRange(c.JPEGQuality, 1, 100) && inRange(c.WebPQuality, 1, 100) && inRange(c.AVIFQuality, 1, 100),
			"qualities must be 1..100"},
		{inRange(c.AVIFEffort, 0, 9), "AVIFEffort must be 0..9"},
		{inRange(c.JXLQuality, 1, 100), "JXLQuality must be 1..100"},
		{inRange(c.JXLEffort, 1, 9), "JXLEffort must be 1..9"},
		{inRange(c.WebPEffort, 0, 6), "WebPEffort must be 0..6"},
		{inRange(c.PNGCompression, 0, 9), "PNGCompression must be 0..9"},
		{inRange(c.GIFEffort, 1, 10), "GIFEffort must be 1..10"},
		{inRange(c.MasterQuality, 1, 100), "MasterQuality must be 1..100"},
	}
	for _, ch := range checks {
		if !ch.ok {
			return fmt.Errorf("libvips: config: %s", ch.what)
		}
	}
	if err := c.Limits.Validate(); err != nil {
		return errors.Join(errors.New("libvips: config"), err)
	}
	return nil
}

func inRange(v, lo, hi int) bool { return v >= lo && v <= hi }
