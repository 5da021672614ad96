package main

import (
	"fmt"
	"log/slog"
	"strings"

	"pixcdn/edge"
	"pixcdn/edge/dirorigin"
	"pixcdn/edge/eventfeed"
	"pixcdn/edge/guarded"
)

// wireOrigin sets the origin (guarded by retries and a breaker) and, for
// the pixcdn origin service, its event feed.
func (n *edgeNode) wireOrigin(s *edgeSettings, log *slog.Logger, deps *edge.Deps) error {
	var inner edge.Origin
	if dir, ok := strings.CutPrefix(s.Origin, "dir:"); ok {
		cfg := dirorigin.DefaultConfig()
		cfg.Root, cfg.MaxBytes = dir, int64(s.MaxOriginal)
		o, err := dirorigin.New(cfg)
		if err != nil {
			return badUsage(fmt.Errorf("origin: %w", err))
		}
		n.closers = append(n.closers, o.Close)
		inner = o
	} else {
		o, err := newHTTPOrigin(s)
		if err != nil {
			return badUsage(fmt.Errorf("origin: %w", err))
		}
		inner = o
		if path := feedStatePath(s); path != "" {
			deps.Events, deps.FeedState = o, eventfeed.FileSeq{Path: path}
		} else {
			log.Warn("no --cache-dir or --feed-state: not following the origin's event feed")
		}
	}
	g, err := guarded.New(inner, guarded.DefaultConfig())
	if err != nil {
		return err
	}
	deps.Origin = g
	return nil
}
