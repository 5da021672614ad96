package main

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"pixcdn/bench"
)

// benchSeedSettings configure `pixcdn bench seed`.
type benchSeedSettings struct {
	Dir     string   `flag:"dir" help:"origin folder (the edge's --origin dir:PATH); images go to DIR/TENANT/ (required)"`
	Tenant  string   `flag:"tenant" help:"tenant folder"`
	Images  int      `flag:"images" help:"number of images, named img-000000.EXT.."`
	Sizes   []string `flag:"sizes" help:"pixel sizes WIDTHxHEIGHT used in turn"`
	Format  string   `flag:"format" enum:"jpeg,png" help:"image format (files .jpg or .png)"`
	Quality int      `flag:"quality" help:"JPEG quality 1..100"`
	Seed    int64    `flag:"seed" help:"random seed: the same seed writes the same pixels"`
}

func benchSeedCommand() command {
	d := bench.DefaultSeedConfig()
	sizes := make([]string, len(d.Sizes))
	for i, s := range d.Sizes {
		sizes[i] = s.String()
	}
	return command{
		name:  "seed",
		usage: "--dir PATH [flags]",
		description: `Writes synthetic images (gradients, shapes and noise; pure Go JPEG or PNG) to
DIR/TENANT/img-000000.jpg.. for an edge started with --origin dir:DIR. The synthetic
workload of pixcdn bench asks for exactly these names. Existing files are replaced.`,
		newSettings: func() any {
			return &benchSeedSettings{Tenant: d.Tenant, Images: d.Images, Sizes: sizes, Format: d.Format, Quality: d.Quality, Seed: int64(d.Seed)}
		},
		run: func(ctx context.Context, s any, _ []string) error { return runBenchSeed(ctx, s.(*benchSeedSettings)) },
	}
}

func runBenchSeed(ctx context.Context, s *benchSeedSettings) error {
	cfg := bench.SeedConfig{
		Dir: s.Dir, Tenant: s.Tenant, Images: s.Images, Format: s.Format, Quality: s.Quality,
		Seed: uint64(s.Seed), Workers: runtime.GOMAXPROCS(0),
	}
	for _, raw := range s.Sizes {
		size, err := bench.ParseSize(raw)
		if err != nil {
			return badUsage(err)
		}
		cfg.Sizes = append(cfg.Sizes, size)
	}
	if err := cfg.Validate(); err != nil {
		return badUsage(err)
	}
	res, err := bench.Seed(ctx, cfg)
	fmt.Fprintf(os.Stdout, "wrote %d images (%d bytes) to %s\n", res.Files, res.Bytes, res.Dir)
	return err
}
