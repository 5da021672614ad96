package demo

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Config configures the demo stack.
type Config struct {
	// Dir is the state directory for PostgreSQL, MinIO, caches and
	// secrets, kept between runs. Default ".run".
	Dir string
	// Tenant is created and filled with the sample images. Default "demo".
	Tenant string
	// Edges is the number of edge nodes, 1..9. Default 3.
	Edges int
	// PortBase is the first port: edges serve on PortBase.., their
	// internal ports PortBase+100.., gossip PortBase+200.., the origin
	// PortBase+300, PostgreSQL PortBase+301, MinIO PortBase+302. Default
	// 8080.
	PortBase int
	// NoSamples skips uploading the sample images.
	NoSamples bool
	// RestartEdges and RestartOrigin restart a child that exits, after a
	// backoff; false leaves it down. Default true.
	RestartEdges, RestartOrigin bool
	// LogFormat and LogLevel are handed to every child (--log-format,
	// --log-level). Default "text", "info".
	LogFormat, LogLevel string
	// Binary is the pixcdn binary the children run. Default: this
	// process's own executable.
	Binary string
	// Stdout gets the children's output, each line prefixed with the
	// child's name, and the URLs to open. Default os.Stdout.
	Stdout io.Writer
	// Logger logs what the demo does. Default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the defaults given on Config's fields.
func DefaultConfig() Config {
	return Config{Dir: ".run", Tenant: "demo", Edges: 3, PortBase: 8080, RestartEdges: true, RestartOrigin: true,
		LogFormat: "text", LogLevel: "info"}
}

// Validate reports the first setting out of range.
func (c Config) Validate() error {
	switch {
	case c.Edges < 1 || c.Edges > 9:
		return fmt.Errorf("edges: %d is out of range 1..9", c.Edges)
	case c.PortBase < 1024 || c.PortBase > 65535-400:
		return fmt.Errorf("port-base: %d is out of range 1024..65135", c.PortBase)
	case c.Tenant == "" || strings.ContainsAny(c.Tenant, "/?# "):
		return fmt.Errorf("tenant: %q is not a valid tenant id", c.Tenant)
	case c.Dir == "":
		return errors.New("dir: empty")
	}
	return nil
}

// withDefaults fills in Binary, Stdout and Logger when unset.
func (c Config) withDefaults() (Config, error) {
	if c.Binary == "" {
		self, err := os.Executable()
		if err != nil {
			return c, err
		}
		c.Binary = self
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// Ports are the loopback ports of every process of the demo.
type Ports struct {
	Public, Internal, Gossip []int // one per edge
	Origin, Postgres, MinIO  int
}

// Ports returns the ports the demo uses with c.
func (c Config) Ports() Ports {
	p := Ports{Origin: c.PortBase + 300, Postgres: c.PortBase + 301, MinIO: c.PortBase + 302}
	for i := range c.Edges {
		p.Public = append(p.Public, c.PortBase+i)
		p.Internal = append(p.Internal, c.PortBase+100+i)
		p.Gossip = append(p.Gossip, c.PortBase+200+i)
	}
	return p
}
