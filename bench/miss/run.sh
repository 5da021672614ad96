#!/usr/bin/env bash
# Miss-path benchmark (issue 15): one edge per setting over a dir: origin
# holding the corpus JPEGs, each server pinned to SERVER_CPU and the load
# on LOAD_CPU (taskset), loopback only, bounded in time (about 8 minutes
# with the defaults, 10 on a busy machine). Parts (PARTS, default
# "formats cold zipf"):
#
#   formats  AVIF and WebP at 800 px, one request at a time over every
#            photo, on each edge: median bytes and request time, CPU per request.
#   cold     every request a new width (300-799 px WebP) over the photos,
#            after each original's first touch (one 100 px variant each):
#            pixcdn with masters, pixcdn without, and the naive ceiling
#            (bench/miss/ceiling: libvips thumbnail from the original in
#            memory, in process), ROUNDS interleaved rounds of REQS requests
#            (2 connections, 1 transform worker), each round's order
#            rotated; per-round ratios by requests per CPU-second. Keep
#            REQS a multiple of the photos (21): each run of 21 requests
#            asks for every photo once, so rounds carry the same mix.
#   zipf     Zipf(0.9) over photos × 50 widths × {webp, jpeg}, from cold
#            (a fresh edge), CONNS connections for DUR, ZIPF_ROUNDS rounds
#            of masters on and off alternately: requests served,
#            transforms, p50/p99.
#   effort   BenchmarkAVIFEffort (transform/libvips): AV1 effort EFFORTS
#            (default 0..6; 7-9 take 3-15 s of CPU per 800 px photo) at
#            the default quality, beside WebP: bytes, encode CPU, PSNR.
#
# Masters on is `--master-bound MASTER_BOUND` (2048), off is
# `--master-bound 0`; when the binary's --help has no --master-bound, only
# today's edge (masters off, no flag) runs. Peak RSS is each edge's VmHWM
# at the end of its run. Load averages before and after each part are
# printed: the machine may be shared.
#
#   make corpus bench-miss                    # the defaults
#   ROUNDS=3 REQS=21 DUR=10s ZIPF_ROUNDS=1 PARTS="cold zipf" make bench-miss
#   BIN=/tmp/pixcdn-at-commit make bench-miss # a prebuilt edge
#   BIN_B=/tmp/pixcdn-old PARTS=cold make bench-miss  # this tree (a) vs another build (b)
#
# With BIN_B, every part runs two edges with masters on, a-on (BIN, or this
# tree) and b-on (BIN_B), in place of on and off, and prints their ratio.
#
# The summary goes to stdout and OUT/summary-DATE.txt (OUT: .run/bench-miss).
set -euo pipefail
ROUNDS=${ROUNDS:-12} REQS=${REQS:-21} DUR=${DUR:-30s} ZIPF_ROUNDS=${ZIPF_ROUNDS:-3} CONNS=${CONNS:-16}
SERVER_CPU=${SERVER_CPU:-1} LOAD_CPU=${LOAD_CPU:-0} MASTER_BOUND=${MASTER_BOUND:-2048}
PARTS=${PARTS:-formats cold zipf} EFFORTS=${EFFORTS:-0,1,2,3,4,5,6} IMAGES=${IMAGES:-21}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS=${CORPUS:-$ROOT/.run/corpus}
OUT=${OUT:-$ROOT/.run/bench-miss}
PORT=${PORT:-19610}
WORK=$(mktemp -d /tmp/pixcdn-miss.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

for tool in taskset curl jq; do command -v $tool >/dev/null || { echo "missing $tool (make deps)"; exit 1; }; done
[ -d "$CORPUS/x" ] || { echo "no corpus under $CORPUS/x: run make corpus"; exit 1; }
mkdir -p "$OUT" "$WORK/img/bench"
SUMMARY="$OUT/summary-$(date -u +%Y%m%dT%H%M%SZ).txt"
say() { echo "$*" | tee -a "$SUMMARY"; }

(cd "$ROOT" && { [ -n "${BIN:-}" ] || go build -o "$WORK/pixcdn" ./cmd/pixcdn; } &&
  go build -o "$WORK/tracegen" ./bench/miss/tracegen && go build -o "$WORK/ceiling" ./bench/miss/ceiling)
BIN=${BIN:-$WORK/pixcdn}
# The IMAGES largest corpus JPEGs (all 21 of them by default).
find "$CORPUS/x" -type f -iname '*.jpg' -printf '%s %p\n' | sort -rn | head -n "$IMAGES" |
  while read -r _ f; do cp "$f" "$WORK/img/bench/"; done
[ "$(ls "$WORK/img/bench" | wc -l)" -eq "$IMAGES" ] || { echo "fewer than $IMAGES distinct corpus JPEGs"; exit 1; }
mapfile -t PHOTOS < <(ls "$WORK/img/bench")

HAS_MASTERS=0
if "$BIN" edge --help 2>&1 | grep -q -- '--master-bound'; then HAS_MASTERS=1; fi
EDGES=(off); [ $HAS_MASTERS = 1 ] && EDGES=(on off)
[ -z "${BIN_B:-}" ] || EDGES=(a-on b-on)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
say "# pixcdn miss-path benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), tree $COMMIT, binary $BIN${BIN_B:+ (a), $BIN_B (b)}"
say "# $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), server on CPU $SERVER_CPU, load on CPU $LOAD_CPU"
say "# $IMAGES photos, $(du -sh "$WORK/img/bench" | cut -f1); masters: $([ $HAS_MASTERS = 1 ] && echo "on = --master-bound $MASTER_BOUND, off = --master-bound 0" || echo "the binary has no --master-bound: today's edge only (masters off)")"
loadavg() { say "# load average $(cut -d' ' -f1-3 /proc/loadavg) ($1)"; }

wait_http() { for _ in $(seq 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }
declare -A EPID EPORT
# start_edge NAME: a fresh edge, masters on or off as NAME ends (on, -on;
# off, -off), pinned to SERVER_CPU, one transform worker, a queue and a
# per-client miss limit wide enough that CONNS connections from one address
# are never refused for their number (a transform waiting more than the
# edge's 3 s for the worker is still a 503), caches that evict nothing.
start_edge() {
  local name=$1 port=$PORT flags=() bin=$BIN
  PORT=$((PORT + 2))
  case $name in b-* | *-b-*) bin=$BIN_B ;; esac
  case ${name##*-} in # on, fmt-on, z-on …
  on) flags=(--master-bound "$MASTER_BOUND") ;;
  off) [ $HAS_MASTERS = 1 ] && flags=(--master-bound 0) ;;
  *) echo "start_edge $name: the name must end in on or off"; exit 1 ;;
  esac
  rm -rf "$WORK/cache-$name"
  taskset -c "$SERVER_CPU" "$bin" edge --public 127.0.0.1:$port --internal 127.0.0.1:$((port + 1)) \
    --origin "dir:$WORK/img" --cache-dir "$WORK/cache-$name" --cache-size 8GiB --mem-cache 2GiB \
    --workers 1 --transform-queue 64 --max-misses-per-client 65 --request-timeout 60s \
    --log-level warn "${flags[@]}" >>"$WORK/edge-$name.log" 2>&1 &
  EPID[$name]=$!; EPORT[$name]=$port; PIDS+=($!)
  wait_http "http://127.0.0.1:$((port + 1))/readyz"
}
stop_edge() { kill "${EPID[$1]}"; wait "${EPID[$1]}" 2>/dev/null || true; rm -rf "$WORK/cache-$1"; }
# sources NAME: the edge's counts of transforms by source and of masters
# made, when it exports them (pixcdn_transform_sources_total, pixcdn_masters_total).
sources() {
  curl -sf "http://127.0.0.1:$((EPORT[$1] + 1))/metrics" |
    awk '/^pixcdn_(transform_sources|masters)_total\{/{sub(/^pixcdn_/, ""); sub(/_total/, ""); printf "%s%s %s", sep, $1, $2; sep = ", "}'
}
hwm_mb() { awk '/VmHWM/{printf "%.0f\n", $2/1024}' "/proc/${EPID[$1]}/status"; }
# cpu_ticks PID: user+system clock ticks PID has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
median() { sort -n | awk '{a[NR]=$1} END{if (NR) print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
# ratios A B COLUMN: per round (line), column COLUMN of A over that of B.
ratios() { paste -d' ' "$1" "$2" | awk -v c="$3" '{n = NF / 2; if ($(n + c) > 0) print $c / $(n + c)}'; }
# spread: median, middle half and min-max of the numbers on stdin.
spread() { sort -n | awk '{a[NR]=$1} END{if (NR) printf "%.2f (middle half %.2f-%.2f, min-max %.2f-%.2f, %d rounds)", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2, a[int((NR+3)/4)], a[int((3*NR+3)/4)], a[1], a[NR], NR}'; }
# first_touch NAME: each photo once (a 100 px WebP): the edge fetches the
# original and, with masters, derives the master. Prints seconds in total.
first_touch() {
  local name=$1 p t total=0
  for p in "${PHOTOS[@]}"; do
    t=$(taskset -c "$LOAD_CPU" curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:${EPORT[$name]}/bench/$p?w=100&fm=webp")
    total=$(awk -v a="$total" -v b="$t" 'BEGIN{print a + b}')
  done
  echo "$total"
}

part_formats() {
  say ""; say "## AVIF and WebP at 800 px, one request at a time, each photo once per format (medians over the photos)"
  loadavg before
  local name fm p src
  for name in "${EDGES[@]}"; do
    start_edge "fmt-$name"
    first_touch "fmt-$name" >/dev/null
    for fm in webp avif; do
      : >"$WORK/fmt.txt"
      local b a
      b=$(cpu_ticks "${EPID[fmt-$name]}")
      for p in "${PHOTOS[@]}"; do
        taskset -c "$LOAD_CPU" curl -sf -o /dev/null -w '%{size_download} %{time_total}\n' \
          "http://127.0.0.1:${EPORT[fmt-$name]}/bench/$p?w=800&fm=$fm" >>"$WORK/fmt.txt"
      done
      a=$(cpu_ticks "${EPID[fmt-$name]}")
      say "$(printf '  masters %-3s %-4s bytes %7s  request ms %6.1f (min-max %s)  server CPU ms/request (mean) %6.1f' \
        "$name" $fm "$(cut -d' ' -f1 "$WORK/fmt.txt" | median)" \
        "$(cut -d' ' -f2 "$WORK/fmt.txt" | awk '{print $1 * 1000}' | median)" \
        "$(cut -d' ' -f2 "$WORK/fmt.txt" | awk '{print $1 * 1000}' | sort -n | sed -n '1p;$p' | xargs printf '%.0f-%.0f')" \
        "$(awk -v t=$((a - b)) -v hz="$HZ" -v n=${#PHOTOS[@]} 'BEGIN{print t * 1000 / hz / n}')")"
    done
    src=$(sources "fmt-$name"); [ -z "$src" ] || say "  masters $name: $src"
    stop_edge "fmt-$name"
  done
  loadavg after
}

# bench_edge NAME TRACE RESULT [bench flags]: pixcdn bench on LOAD_CPU
# against edge NAME; appends a line to RESULT: req/s, req/CPU-s, 200s,
# transforms, p50 ms, p99 ms, other answers (503s when the queue is full).
bench_edge() {
  local name=$1 trace=$2 res=$3 b a; shift 3
  b=$(cpu_ticks "${EPID[$name]}")
  taskset -c "$LOAD_CPU" "$BIN" bench --target "http://127.0.0.1:${EPORT[$name]}" \
    --metrics "http://127.0.0.1:$((EPORT[$name] + 1))/metrics" --trace "$trace" --json "$@" >"$WORK/last.json"
  a=$(cpu_ticks "${EPID[$name]}")
  local ok; ok=$(jq '.status["200"] // 0' "$WORK/last.json")
  if [ "$ok" != "$(jq .requests "$WORK/last.json")" ]; then
    echo "note: $name: not every answer was 200: $(jq -c '{status, errors, error_kinds}' "$WORK/last.json")" >&2
  fi
  jq -r --arg t $((a - b)) --arg hz "$HZ" '"\(.requests_per_sec) \(if ($t|tonumber) > 0 then .responses * ($hz|tonumber) / ($t|tonumber) else 0 end) \(.status["200"] // 0) \(.metrics.transforms // 0) \(.latency_ms.p50) \(.latency_ms.p99) \(.requests - (.status["200"] // 0))"' "$WORK/last.json" >>"$res"
}

part_cold() {
  say ""; say "## Cold mixed widths: $ROUNDS rounds of $REQS requests, every request a new width 300-799 px WebP, 2 connections, 1 worker"
  loadavg before
  "$WORK/tracegen" -dir "$WORK/img/bench" -kind cold -rounds "$ROUNDS" -per-round "$REQS" -out "$WORK/cold"
  local name targets=() i k j src
  for name in "${EDGES[@]}"; do
    start_edge "$name"
    say "  first touch of the $IMAGES originals (one 100 px WebP each), masters $name: $(first_touch "$name") s"
    targets+=("$name"); : >"$WORK/cold-$name.res"
  done
  targets+=(naive); : >"$WORK/cold-naive.res"
  for i in $(seq "$ROUNDS"); do
    for k in "${!targets[@]}"; do
      j=${targets[$(((k + i) % ${#targets[@]}))]}
      if [ "$j" = naive ]; then
        taskset -c "$SERVER_CPU" "$WORK/ceiling" -trace "$WORK/cold-$i.txt" -dir "$WORK/img" |
          awk '{printf "%.3f %.3f %d %d 0 0 0\n", $2 / $4, $2 / $6, $2, $2}' >>"$WORK/cold-naive.res"
      else
        bench_edge "$j" "$WORK/cold-$i.txt" "$WORK/cold-$j.res" --requests "$REQS" --duration 0 --connections 2 --timeout 60s
      fi
    done
    local line="  round $i (req/s, req/CPU-s):"
    for j in "${targets[@]}"; do line="$line $j $(tail -1 "$WORK/cold-$j.res" | awk '{printf "%.1f/%.1f", $1, $2}')"; done
    echo "$line"
  done
  local t
  for t in "${targets[@]}"; do
    say "$(printf '  %-6s median req/s %6.1f  req/CPU-s %6.1f' "$t" "$(cut -d' ' -f1 "$WORK/cold-$t.res" | median)" "$(cut -d' ' -f2 "$WORK/cold-$t.res" | median)")"
  done
  for t in "${EDGES[@]}"; do
    say "  masters $t: transforms per request $(awk '{n += $3; x += $4; o += $7} END{printf "%.2f, answers other than 200: %d", x / n, o}' "$WORK/cold-$t.res")"
  done
  say "  per-round ratios by req/CPU-s (by req/s in brackets):"
  local pair
  for pair in "on naive" "off naive" "on off" "a-on naive" "b-on naive" "a-on b-on"; do
    set -- $pair
    [ -s "$WORK/cold-$1.res" ] || continue
    say "    $1/$2: $(ratios "$WORK/cold-$1.res" "$WORK/cold-$2.res" 2 | spread)  [$(ratios "$WORK/cold-$1.res" "$WORK/cold-$2.res" 1 | spread)]"
  done
  for name in "${EDGES[@]}"; do
    src=$(sources "$name")
    say "  masters $name: peak RSS (VmHWM) $(hwm_mb "$name") MB${src:+; $src}"
    stop_edge "$name"
  done
  loadavg after
}

part_zipf() {
  say ""; say "## Zipf mix: Zipf(0.9) over $IMAGES photos × 50 widths (200-1180 px) × {webp, jpeg}, from cold, $CONNS connections, $DUR, 1 worker"
  loadavg before
  "$WORK/tracegen" -dir "$WORK/img/bench" -kind zipf -n 300000 -out "$WORK/zipf.txt"
  local i k j name src
  for name in "${EDGES[@]}"; do : >"$WORK/zipf-$name.res"; : >"$WORK/zipf-$name.rss"; done
  for i in $(seq "$ZIPF_ROUNDS"); do
    for k in "${!EDGES[@]}"; do
      j=${EDGES[$(((k + i) % ${#EDGES[@]}))]}
      start_edge "z-$j"
      bench_edge "z-$j" "$WORK/zipf.txt" "$WORK/zipf-$j.res" --duration "$DUR" --connections "$CONNS" --timeout 60s
      hwm_mb "z-$j" >>"$WORK/zipf-$j.rss"
      src=$(sources "z-$j")
      [ "$i" != 1 ] || [ -z "$src" ] || say "  round 1, masters $j: $src"
      stop_edge "z-$j"
      echo "  round $i masters $j: $(tail -1 "$WORK/zipf-$j.res" | awk '{printf "%d served, %d transforms, p50 %.0f ms, p99 %.0f ms", $3, $4, $5, $6}'), VmHWM $(tail -1 "$WORK/zipf-$j.rss") MB"
    done
  done
  for name in "${EDGES[@]}"; do
    say "$(printf '  masters %-3s served (200s) %5s  other answers %4s  transforms %5s  p50 %6.0f ms  p99 %6.0f ms  peak RSS %5s MB   (medians of %d rounds)' "$name" \
      "$(cut -d' ' -f3 "$WORK/zipf-$name.res" | median)" "$(cut -d' ' -f7 "$WORK/zipf-$name.res" | median)" "$(cut -d' ' -f4 "$WORK/zipf-$name.res" | median)" \
      "$(cut -d' ' -f5 "$WORK/zipf-$name.res" | median)" "$(cut -d' ' -f6 "$WORK/zipf-$name.res" | median)" \
      "$(median <"$WORK/zipf-$name.rss")" "$ZIPF_ROUNDS")"
  done
  if [ $HAS_MASTERS = 1 ] && [ -s "$WORK/zipf-on.res" ]; then
    say "  per-round ratio on/off, served: $(ratios "$WORK/zipf-on.res" "$WORK/zipf-off.res" 3 | spread)"
    say "  per-round ratio on/off, peak RSS: $(ratios "$WORK/zipf-on.rss" "$WORK/zipf-off.rss" 1 | spread)"
  fi
  loadavg after
}

part_effort() {
  say ""; say "## AVIF effort $EFFORTS vs WebP defaults, encoder only, 800 px, each photo once (BenchmarkAVIFEffort)"
  loadavg before
  (cd "$ROOT" && go test -c -o "$WORK/libvips.test" ./transform/libvips)
  (cd "$ROOT/transform/libvips" && PIXCDN_CORPUS="$WORK/img" PIXCDN_AVIF_EFFORTS="$EFFORTS" taskset -c "$SERVER_CPU" \
    "$WORK/libvips.test" -test.run '^$' -test.bench '^BenchmarkAVIFEffort$' -test.benchtime "${IMAGES}x") |
    awk '/^BenchmarkAVIFEffort/{for (i = 3; i < NF; i++) m[$(i+1)] = $i; sub(/-[0-9]+$/, "", $1); split($1, n, "/");
      printf "  %-22s bytes %7.0f  encode CPU ms %8.1f  PSNR %5.2f dB  KB×ms %8.0f\n", n[3] "/" n[4] "/" n[5], m["out-B"], m["encode-cpu-ms"], m["PSNR-dB"], m["KB×ms"]}' | tee -a "$SUMMARY"
  loadavg after
}

for part in $PARTS; do "part_$part"; done
say ""; say "# done $(date -u '+%H:%M UTC'); summary in $SUMMARY"
