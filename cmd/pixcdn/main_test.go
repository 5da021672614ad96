package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
)

func TestRunMainExitCodes(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, exitUsage, "Commands:", ""},
		{[]string{"help"}, 0, "version", ""},
		{[]string{"nope"}, exitUsage, "", `unknown command "nope"`},
		{[]string{"version", "--help"}, 0, "Usage: pixcdn version", ""},
		{[]string{"version", "--bogus"}, exitUsage, "", "bogus"},
		// Invalid limits stop the edge with a usage error before it opens
		// anything (it once panicked while unwinding a half-started node).
		{[]string{"edge", "--max-header", "10"}, exitUsage, "", "max-header: 10 is below"},
		{[]string{"edge", "--max-url", "9000"}, exitUsage, "", "max-url: 9000 is outside"},
		{[]string{"edge", "--write-buffer", "10"}, exitUsage, "", "write-buffer: 10 is outside"},
		{[]string{"edge", "--pprof"}, exitUsage, "", "cluster-secret: required with --pprof"},
		{[]string{"edge", "--cluster-secret", "x", "--cluster-secret-file", "/nonexistent"}, exitUsage, "", "both given"},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		code := runMain(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.inStdout) || !strings.Contains(stderr.String(), tc.inStderr) {
			t.Errorf("pixcdn %v: code %d, stdout %q, stderr %q; want code %d with %q / %q",
				tc.args, code, stdout.String(), stderr.String(), tc.code, tc.inStdout, tc.inStderr)
		}
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		var stdout, stderr bytes.Buffer
		if code := runMain(context.Background(), []string{c.name, "--help"}, &stdout, &stderr); code != 0 {
			t.Errorf("pixcdn %s --help: exit %d, stderr %q", c.name, code, stderr.String())
		}
		if c.summary == "" || !strings.Contains(stdout.String(), "Usage: pixcdn "+c.name) {
			t.Errorf("pixcdn %s: summary %q, help %q", c.name, c.summary, stdout.String())
		}
	}
}

func TestOneLineFoldsMultiLineErrors(t *testing.T) {
	in := "postgres: failed to connect:\n\t127.0.0.1:1: refused\n\t127.0.0.1:1: refused\n"
	if got, want := oneLine(in), "postgres: failed to connect: 127.0.0.1:1: refused"; got != want {
		t.Fatalf("oneLine = %q, want %q", got, want)
	}
}

func TestEdgeThatCannotListenFailsCleanly(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	args := []string{"edge", "--public", taken.Addr().String(), "--internal", "127.0.0.1:0",
		"--origin", "dir:" + t.TempDir(), "--cache-dir", t.TempDir(), "--log-level", "error"}
	var stdout, stderr bytes.Buffer
	code := runMain(context.Background(), args, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "address already in use") {
		t.Fatalf("code %d, stderr %q; want 1 and the listen error", code, stderr.String())
	}
}
