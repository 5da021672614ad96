#!/usr/bin/env bash
# scenario.sh — a load scenario against real processes: N `pixcdn edge` nodes
# on loopback (one cluster when N > 1) over a dir: origin seeded with synthetic
# images, then `pixcdn bench` spread over every edge with their /metrics, so
# the report has hit ratio, p50/p99 and origin fetches and transforms per
# request. Everything it starts is stopped on exit.
#
# usage: bench/scripts/scenario.sh [EDGES] [-- extra pixcdn bench flags…]
#   env: IMAGES (200), SIZES (1024x768,640x480), WARMUP (30s), DURATION (30s),
#        CONNS (16), PORT_BASE (18300), WORK (a temp dir; the corpus is reused
#        when WORK is given and already seeded), JSON=1 for a JSON report.
set -euo pipefail
edges=${1:-3}
shift || true
[ "${1:-}" = "--" ] && shift
images=${IMAGES:-200}
sizes=${SIZES:-1024x768,640x480}
base=${PORT_BASE:-18300}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
bin="$work/pixcdn"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "${WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
go build -o "$bin" ./cmd/pixcdn

if [ ! -e "$work/origin/bench/$(printf 'img-%06d.jpg' $((images - 1)))" ]; then
	"$bin" bench seed --dir "$work/origin" --images "$images" --sizes "$sizes"
fi

secret=scenario-cluster-secret-0123456789
key=0123456789abcdef0123456789abcdef
targets=() metrics=()
for i in $(seq 0 $((edges - 1))); do
	args=(--origin "dir:$work/origin" --public "127.0.0.1:$((base + i))"
		--internal "127.0.0.1:$((base + 100 + i))" --name "edge$i" --log-level warn)
	if [ "$edges" -gt 1 ]; then
		args+=(--gossip "127.0.0.1:$((base + 200 + i))" --join "127.0.0.1:$((base + 200))"
			--cluster-secret "$secret" --gossip-key "$key")
	fi
	"$bin" edge "${args[@]}" >"$work/edge$i.log" 2>&1 &
	pids+=($!)
	targets+=(--target "http://127.0.0.1:$((base + i))")
	metrics+=(--metrics "http://127.0.0.1:$((base + 100 + i))/metrics")
done
for i in $(seq 0 $((edges - 1))); do
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "http://127.0.0.1:$((base + 100 + i))/readyz" 2>/dev/null && break
		sleep 0.1
	done
done

json=()
[ "${JSON:-}" = 1 ] && json=(--json)
"$bin" bench "${targets[@]}" "${metrics[@]}" --images "$images" \
	--warmup "${WARMUP:-30s}" --duration "${DURATION:-30s}" --connections "${CONNS:-16}" \
	--timeout 30s "${json[@]}" "$@"
