#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME (default 30s) each,
# one at a time (the fuzzer uses every core).
set -euo pipefail
FUZZTIME="${FUZZTIME:-30s}"
status=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $target for $FUZZTIME"
    # A short minimisation budget: unbounded, it can stall a run for minutes.
    go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 5s || status=1
  done
done
exit $status
