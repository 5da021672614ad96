package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"pixcdn/bench"
	"pixcdn/internal/config"
)

// benchSinkSettings configure `pixcdn bench sink`.
type benchSinkSettings struct {
	Listen string       `flag:"listen" help:"listen address"`
	Body   config.Bytes `flag:"body" help:"response body size"`
}

func benchSinkCommand() command {
	return command{
		name:  "sink",
		usage: "[--listen ADDR] [--body SIZE]",
		description: `Serves the same bytes from memory for every GET (X-Cache: HIT, a strong ETag, 304 on
If-None-Match) until interrupted: run it pinned to one core and pixcdn bench against it
on another to measure the load generator's own ceiling.`,
		newSettings: func() any { return &benchSinkSettings{Listen: "127.0.0.1:8099", Body: 8 << 10} },
		run:         func(ctx context.Context, s any, _ []string) error { return runBenchSink(ctx, s.(*benchSinkSettings)) },
	}
}

func runBenchSink(ctx context.Context, s *benchSinkSettings) error {
	sink, err := bench.NewSink(int(s.Body))
	if err != nil {
		return badUsage(err)
	}
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "pixcdn bench sink: serving %d bytes on http://%s\n", s.Body, ln.Addr())
	served := make(chan error, 1)
	go func() { served <- sink.Serve(ln) }()
	select {
	case err = <-served:
		return err
	case <-ctx.Done():
		if err := sink.Close(); err != nil {
			return err
		}
		return <-served
	}
}
