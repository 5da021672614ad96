#!/usr/bin/env bash
# ceiling.sh — the load generator's own ceiling: requests/s that `pixcdn bench`
# drives from ONE core against `pixcdn bench sink` (fixed bytes from memory)
# pinned to the OTHER core, for each client stack, with wrk as a reference.
#
# usage: bench/scripts/ceiling.sh [RUNS] [SECONDS] [BODY]   (defaults 5 5 8KiB)
#   env: CONNS (32), PORT (18199), BENCH_CPUS (0) and SINK_CPUS (1): taskset CPU
#   lists; BENCH_CPUS=0,1 SINK_CPUS=0,1 compares the clients with both cores shared.
# needs: taskset (util-linux), jq; wrk optional. Loads 127.0.0.1 only.
set -euo pipefail
runs=${1:-5}
secs=${2:-5}
body=${3:-8KiB}
port=${PORT:-18199}
conns=${CONNS:-32}
bench_cpus=${BENCH_CPUS:-0}
sink_cpus=${SINK_CPUS:-1}
procs() { echo "$1" | tr ',' '\n' | wc -l; }
bin=$(mktemp -d)/pixcdn
trap 'kill "$sink" 2>/dev/null || true; wait "$sink" 2>/dev/null || true; rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/pixcdn

GOMAXPROCS=$(procs "$sink_cpus") taskset -c "$sink_cpus" "$bin" bench sink --listen "127.0.0.1:$port" --body "$body" &
sink=$!
for _ in $(seq 50); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
	sleep 0.1
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

run_bench() { # CLIENT → req/s
	GOMAXPROCS=$(procs "$bench_cpus") taskset -c "$bench_cpus" "$bin" bench --target "http://127.0.0.1:$port" \
		--client "$1" --connections "$conns" --duration "${secs}s" --revisit 0 --json 2>/dev/null |
		jq -r '.requests_per_sec | floor'
}
run_wrk() {
	taskset -c "$bench_cpus" wrk -t"$(procs "$bench_cpus")" -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/bench/img-000000.jpg" |
		awk '/Requests\/sec/ {print int($2)}'
}

# Interleave the tools run by run so drift in the machine's load hits all alike.
declare -A results
tools="fasthttp nethttp"
command -v wrk >/dev/null && tools="$tools wrk"
for _ in $(seq "$runs"); do
	for tool in $tools; do
		if [ "$tool" = wrk ]; then rps=$(run_wrk); else rps=$(run_bench "$tool"); fi
		results[$tool]="${results[$tool]:-} $rps"
	done
done
for tool in $tools; do
	label="pixcdn bench --client $tool"
	[ "$tool" = wrk ] && label="wrk (reference)"
	# shellcheck disable=SC2086
	echo "$label, CPUs $bench_cpus (sink on $sink_cpus), $conns conns, ${body} body: runs${results[$tool]} median $(printf '%s\n' ${results[$tool]} | median) req/s"
done
