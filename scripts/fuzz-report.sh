#!/usr/bin/env bash
# Runs Go fuzz targets one at a time, each for FUZZTIME (default 5m) with
# -parallel=PARALLEL (default 1), and records for each: execs, "new
# interesting" (the fuzzer's last status line), the corpus before and after
# (committed seeds in testdata/fuzz/<Target> / entries in the Go fuzz cache
# $(go env GOCACHE)/fuzz/<import path>/<Target>), and any crash.
#
#   scripts/fuzz-report.sh                       # every target in the module
#   scripts/fuzz-report.sh ./edge FuzzPublicRequest   # one target
#
# One tab-separated line per target is appended to REPORT (default
# fuzz-report.tsv); the full output of each run goes to LOGDIR (default
# fuzz-logs/). A markdown table of REPORT is printed at the end (it is what
# docs/reliability.md's "Fuzzing" section holds).
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-5m}"
PARALLEL="${PARALLEL:-1}"
REPORT="${REPORT:-fuzz-report.tsv}"
LOGDIR="${LOGDIR:-fuzz-logs}"
MODULE="$(go list -m)"
CACHE="$(go env GOCACHE)/fuzz"
mkdir -p "$LOGDIR"

count() { if [ -d "$1" ]; then find "$1" -maxdepth 1 -type f | wc -l; else echo 0; fi; }

# Every "func FuzzX(" in a _test.go file, as "./dir Target".
targets() {
  grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . |
    sed -E 's#^(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' | sort
}

run_one() {
  local pkg="$1" target="$2"
  local dir="${pkg#./}" seeds="$1/testdata/fuzz/$2"
  local cached="$CACHE/$MODULE/$dir/$target"
  [ "$dir" = "." ] && cached="$CACHE/$MODULE/$target"
  local s0 c0 s1 c1 log="$LOGDIR/${dir//\//_}.$target.log"
  s0=$(count "$seeds"); c0=$(count "$cached")
  echo "fuzz: $pkg $target for $FUZZTIME (seeds $s0, cached $c0)" >&2
  local start=$SECONDS
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -parallel "$PARALLEL" \
    -fuzzminimizetime 30s "$pkg" >"$log" 2>&1
  local rc=$? took=$((SECONDS - start))
  s1=$(count "$seeds"); c1=$(count "$cached")
  local last elapsed execs interesting crash=none
  last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -1)
  elapsed=$(sed -nE 's/^fuzz: elapsed: ([^,]+),.*/\1/p' <<<"$last")
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
  interesting=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
  if [ $rc -ne 0 ]; then
    crash=$(grep -m1 -E 'Failing input written to' "$log" | sed -E 's/.*written to //')
    if [ -z "$crash" ] && [ "$(grep -A1 -E '^--- FAIL: ' "$log" | tail -1 | tr -d '[:space:]')" = contextdeadlineexceeded ]; then
      # Go's coordinator race at the -fuzztime deadline (go.dev/issue/75804,
      # fixed in Go 1.27): no input was written, nothing failed.
      crash="none (exit 1: fuzztime-end race, go.dev/issue/75804, no input written)"
    fi
    [ -z "$crash" ] && crash="exit $rc, see $log"
  fi
  printf '%s\t%s\t%s\t%s\t%s→%s / %s→%s\t%s\t%s\n' "$target" "$dir" "${elapsed:-0s} (${took}s wall)" \
    "${execs:-?}" "$s0" "$s1" "$c0" "$c1" "${interesting:-?}" "$crash" | tee -a "$REPORT"
}

if [ $# -ge 2 ]; then
  run_one "$1" "$2"
else
  while read -r pkg target; do run_one "$pkg" "$target"; done < <(targets)
fi

echo
echo '| target | package | time run | execs | corpus before → after (seeds / cached) | new interesting | crashes |'
echo '|---|---|---|---|---|---|---|'
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$REPORT"
