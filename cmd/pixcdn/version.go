package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version recorded by the Go toolchain is shown.
var version = ""

type versionSettings struct{}

func versionCommand() command {
	return command{
		name:        "version",
		summary:     "print the version of this binary",
		usage:       "",
		description: "Prints pixcdn's version, the Go version and the platform.",
		newSettings: func() any { return &versionSettings{} },
		run: func(ctx context.Context, _ any, args []string) error {
			fmt.Fprintf(os.Stdout, "pixcdn %s %s %s/%s\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
