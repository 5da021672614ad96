package libvips

import (
	"fmt"
	"os"
	"sync"

	"github.com/davidbyttow/govips/v2/vips"
)

var (
	startOnce sync.Once
	startErr  error
)

// startup starts libvips once per process with explicit settings: one
// thread per operation (Workers gives the parallelism), the operation cache
// off (every transform is cold and memory stays bounded), untrusted
// operations and every loader but JPEG/PNG/WebP/HEIF/GIF blocked, and
// libvips' own log output discarded (errors are returned, not logged).
// libvips cannot be restarted, so it is never shut down.
func startup() error {
	startOnce.Do(func() {
		// Read by vips_init; blockLoaders below sets the same at run time.
		if err := os.Setenv("VIPS_BLOCK_UNTRUSTED", "1"); err != nil {
			startErr = fmt.Errorf("libvips: %w", err)
			return
		}
		vips.LoggingSettings(func(string, vips.LogLevel, string) {}, vips.LogLevelError)
		startErr = vips.Startup(&vips.Config{
			ConcurrencyLevel: 1,
			MaxCacheFiles:    0,
			MaxCacheMem:      0,
			MaxCacheSize:     0,
		})
		if startErr != nil {
			startErr = fmt.Errorf("libvips: startup: %w", startErr)
			return
		}
		blockLoaders()
	})
	return startErr
}
