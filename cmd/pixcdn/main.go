// Command pixcdn is the one pixcdn binary. Each subcommand (edge, origin,
// demo, bench, upload, sign, url, version) reads a YAML --config file, then PIXCDN_*
// environment variables, then flags; see `pixcdn help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"pixcdn/internal/config"
)

// command is one subcommand. newSettings returns the settings struct with
// its defaults; run gets it back filled in, with the positional arguments.
type command struct {
	name        string
	summary     string // one line for `pixcdn help`
	usage       string // synopsis after the command name
	description string // paragraph for `pixcdn NAME --help`
	newSettings func() any
	run         func(ctx context.Context, settings any, args []string) error
}

// commands lists every subcommand in the order `pixcdn help` shows them.
func commands() []command {
	return []command{
		edgeCommand(),
		originCommand(),
		demoCommand(),
		benchCommand(),
		uploadCommand(),
		signCommand(),
		urlCommand(),
		versionCommand(),
	}
}

// Exit codes: 0 success, 1 a failure while running, 2 bad usage or
// configuration.
const (
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		writeHelp(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	cmd, ok := findCommand(args[0])
	if !ok {
		fmt.Fprintf(stderr, "pixcdn: unknown command %q (commands: %s; see pixcdn help)\n", args[0], commandNames())
		return exitUsage
	}
	settings := cmd.newSettings()
	rest, err := config.Load(config.Spec{
		Command: "pixcdn " + cmd.name, Usage: cmd.usage, Summary: cmd.description,
		Settings: settings, Output: stdout,
	}, args[1:])
	if errors.Is(err, config.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "pixcdn %s: %v\n", cmd.name, err)
		return exitUsage
	}
	if err := cmd.run(ctx, settings, rest); err != nil {
		fmt.Fprintf(stderr, "pixcdn %s: %s\n", cmd.name, oneLine(err.Error()))
		var usageErr usageError
		if errors.As(err, &usageErr) {
			return exitUsage
		}
		return exitFailure
	}
	return 0
}

// oneLine folds a multi-line error (pgx lists every address it tried, one per
// line) into one line, dropping repeated parts, so a failure reads as one
// clear line.
func oneLine(msg string) string {
	var parts []string
	seen := map[string]bool{}
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !seen[line] {
			seen[line] = true
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}

// usageError marks an error in what the user asked for (bad settings found
// by validation, missing arguments): exit code 2 rather than 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// badUsage wraps err as a usage error.
func badUsage(err error) error { return usageError{err} }

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func commandNames() string {
	var names string
	for i, c := range commands() {
		if i > 0 {
			names += ", "
		}
		names += c.name
	}
	return names
}

func writeHelp(w io.Writer) {
	fmt.Fprintln(w, "pixcdn — a self-hosted image CDN: edge nodes that resize and cache images, and an origin that stores them.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: pixcdn COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `pixcdn COMMAND --help` for a command's flags. Every flag can also be set")
	fmt.Fprintln(w, "in a YAML file given with --config, or as a PIXCDN_<FLAG_NAME> environment variable.")
}
