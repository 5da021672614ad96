// Command cachesim replays synthetic traces (Zipf α 0.7, 0.9, 1.1, and a
// Zipf trace with a one-off scan) against exact LRU and against the S3-FIFO
// policy cachestore uses, at 1% and 10% of the working set in bytes, and
// prints their hit ratios side by side.
//
//	go run ./cachestore/cmd/cachesim [-objects 100000] [-requests 2000000] [-seed 1]
package main

import (
	"flag"
	"fmt"
	"os"

	"pixcdn/cachestore/internal/sim"
)

func main() {
	p := sim.DefaultParams()
	flag.IntVar(&p.Objects, "objects", p.Objects, "distinct objects in the working set")
	flag.IntVar(&p.Requests, "requests", p.Requests, "requests per trace")
	flag.Float64Var(&p.Median, "median", p.Median, "median object size in bytes")
	flag.Uint64Var(&p.Seed, "seed", p.Seed, "random seed")
	flag.Parse()
	if p.Objects < 100 || p.Requests < 1 || p.Median < 1 {
		fmt.Fprintln(os.Stderr, "cachesim: need -objects >= 100, -requests >= 1, -median >= 1")
		os.Exit(2)
	}
	fmt.Printf("objects=%d requests=%d median=%.0fB seed=%d\n",
		p.Objects, p.Requests, p.Median, p.Seed)
	fmt.Println(sim.Header)
	worse := false
	for _, row := range sim.Run(p) {
		fmt.Println(row)
		worse = worse || row.Pixcdn.HitRatio() < row.LRU.HitRatio()
	}
	if worse {
		fmt.Println("pixcdn's policy lost to LRU on at least one trace")
		os.Exit(1)
	}
}
