package main

import (
	"context"
	"log/slog"
	"os"

	"pixcdn/internal/demo"
)

// demoSettings configure `pixcdn demo`: a whole local stack on loopback.
type demoSettings struct {
	logSettings
	Dir       string `flag:"dir" help:"state directory for PostgreSQL, MinIO, caches and keys; kept between runs"`
	Tenant    string `flag:"tenant" help:"tenant created and filled with sample images"`
	Edges     int    `flag:"edges" help:"number of edge nodes (1..9)"`
	PortBase  int    `flag:"port-base" help:"first port: edges serve on BASE.., their internal ports BASE+100.., gossip BASE+200.., origin BASE+300, PostgreSQL BASE+301, MinIO BASE+302"`
	NoSamples bool   `flag:"no-samples" help:"do not upload the sample images"`
	// Restarts let an operator try a node failure (kill an edge, watch the
	// others take over and the node come back) without losing the stack.
	RestartEdges  bool `flag:"restart-edges" help:"restart an edge that exits, after a backoff; false leaves it down"`
	RestartOrigin bool `flag:"restart-origin" help:"restart the origin when it exits, after a backoff; false leaves it down"`
}

func demoCommand() command {
	return command{
		name:    "demo",
		summary: "run a local stack: PostgreSQL, MinIO, origin and three edges",
		usage:   "[flags]",
		description: `Starts PostgreSQL and MinIO under --dir (data persists between runs), the origin,
and --edges edge nodes joined into one cluster, uploads sample images to --tenant,
and prints the URLs to open. Secrets are generated into DIR/secrets and handed to
the processes as files, never on a command line. A process that exits is logged
with its exit status; edges and the origin are restarted after a backoff (see
--restart-edges, --restart-origin), PostgreSQL or MinIO exiting is reported and
the rest keeps running. Ctrl-C stops every process it started, newest first.`,
		newSettings: func() any {
			return &demoSettings{logSettings: defaultLogSettings(), Dir: ".run", Tenant: "demo", Edges: 3, PortBase: 8080,
				RestartEdges: true, RestartOrigin: true}
		},
		run: func(ctx context.Context, s any, _ []string) error { return runDemo(ctx, s.(*demoSettings)) },
	}
}

// config maps the flags to the demo's Config.
func (s *demoSettings) config(log *slog.Logger) demo.Config {
	return demo.Config{
		Dir: s.Dir, Tenant: s.Tenant, Edges: s.Edges, PortBase: s.PortBase, NoSamples: s.NoSamples,
		RestartEdges: s.RestartEdges, RestartOrigin: s.RestartOrigin,
		LogFormat: s.LogFormat, LogLevel: s.LogLevel, Stdout: os.Stdout, Logger: log,
	}
}

func runDemo(ctx context.Context, s *demoSettings) error {
	if err := s.config(nil).Validate(); err != nil {
		return badUsage(err)
	}
	log, err := s.newLogger(os.Stderr)
	if err != nil {
		return badUsage(err)
	}
	return demo.Run(ctx, s.config(log))
}
