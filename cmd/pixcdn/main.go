// Command pixcdn is the one pixcdn binary: edge, origin, demo, bench, upload
// and version subcommands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "pixcdn: under construction")
	os.Exit(2)
}
