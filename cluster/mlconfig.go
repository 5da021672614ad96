package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strings"

	"github.com/hashicorp/memberlist"
)

// memberlistConfig maps Config onto memberlist's LAN defaults.
func (c *Cluster) memberlistConfig() (*memberlist.Config, error) {
	m := memberlist.DefaultLANConfig()
	m.Name = c.cfg.NodeName
	host, port, err := splitHostPort(c.cfg.BindAddr)
	if err != nil {
		return nil, fmt.Errorf("%w: BindAddr: %w", ErrConfig, err)
	}
	m.BindAddr, m.BindPort, m.AdvertisePort = host, port, port
	if c.cfg.AdvertiseAddr != "" {
		if m.AdvertiseAddr, m.AdvertisePort, err = splitHostPort(c.cfg.AdvertiseAddr); err != nil {
			return nil, fmt.Errorf("%w: AdvertiseAddr: %w", ErrConfig, err)
		}
	}
	t := c.cfg.Timings
	m.ProbeInterval, m.ProbeTimeout = t.ProbeInterval, t.ProbeTimeout
	m.SuspicionMult, m.SuspicionMaxTimeoutMult = t.SuspicionMult, t.SuspicionMaxTimeoutMult
	m.GossipInterval, m.GossipNodes = t.GossipInterval, t.GossipNodes
	m.PushPullInterval, m.RetransmitMult = t.PushPullInterval, t.RetransmitMult
	m.TCPTimeout, m.DeadNodeReclaimTime = t.TCPTimeout, t.DeadNodeReclaim
	if len(c.cfg.SecretKey) > 0 {
		m.SecretKey = bytes.Clone(c.cfg.SecretKey)
	}
	d := &delegate{c: c}
	m.Delegate, m.Events, m.Alive, m.Conflict = d, d, d, d
	m.Logger = log.New(&slogWriter{log: c.log}, "", 0)
	return m, nil
}

// slogWriter turns memberlist's "[LEVEL] memberlist: text" lines into slog
// records at the matching level.
type slogWriter struct{ log *slog.Logger }

var _ io.Writer = (*slogWriter)(nil)

func (w *slogWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	for prefix, l := range map[string]slog.Level{
		"[DEBUG]": slog.LevelDebug, "[INFO]": slog.LevelInfo,
		"[WARN]": slog.LevelWarn, "[ERR]": slog.LevelError, "[ERROR]": slog.LevelError,
	} {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			level, line = l, strings.TrimSpace(rest)
			break
		}
	}
	line = strings.TrimPrefix(line, "memberlist: ")
	if strings.HasPrefix(line, "Conflicting address") {
		level = slog.LevelWarn // expected while a restarted node is re-admitted
	}
	w.log.Log(context.Background(), level, line, "source", "memberlist")
	return len(p), nil
}
