#!/usr/bin/env bash
# Hit-path benchmark: requests per second on ONE core for a cached ~8 KB WebP,
# pixcdn edge vs a bare fasthttp server returning the same bytes from memory
# (the ceiling) vs nginx serving them as a static file; wrk on the other core.
# Also the 304 path and the miss path (every request a new variant).
#
#   bench/hitpath/run.sh            # RUNS=5 DUR=10s CONNS=50 by default
#
# Every server is pinned to SERVER_CPU, wrk to LOAD_CPU (taskset). Runs are
# interleaved (pixcdn, ceiling, nginx, pixcdn, …) so drifting background load
# hits all three alike; medians are printed. Loopback only; bounded time.
set -euo pipefail
RUNS=${RUNS:-5} DUR=${DUR:-10s} CONNS=${CONNS:-50} MISS_CONNS=${MISS_CONNS:-2}
SERVER_CPU=${SERVER_CPU:-1} LOAD_CPU=${LOAD_CPU:-0}
P_EDGE=${P_EDGE:-19280} P_INT=${P_INT:-19281} P_CEIL=${P_CEIL:-19282} P_NGINX=${P_NGINX:-19283} P_CEIL2=${P_CEIL2:-19284} P_EDGE2=${P_EDGE2:-19285} P_INT2=${P_INT2:-19286} P_CEIL3=${P_CEIL3:-19287}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/pixcdn-hitpath.XXXXXX)
chmod 755 "$WORK" # nginx workers run unprivileged
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

for tool in wrk nginx taskset curl; do command -v $tool >/dev/null || { echo "missing $tool (apt-get install wrk nginx-light)"; exit 1; }; done
(cd "$ROOT" && go build -o "$WORK/pixcdn" ./cmd/pixcdn && go build -o "$WORK/ceiling" ./bench/hitpath/ceiling &&
  go run ./bench/hitpath/srcimage -o "$WORK/photo.jpg")
mkdir -p "$WORK/img/acme" "$WORK/static/acme" "$WORK/nginx-tmp"
cp "$WORK/photo.jpg" "$WORK/img/acme/photo.jpg"

wait_http() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }
EDGE_PID=""
start_edge() {
  taskset -c "$SERVER_CPU" "$WORK/pixcdn" edge --public 127.0.0.1:$P_EDGE --internal 127.0.0.1:$P_INT \
    --origin "dir:$WORK/img" --mem-cache 64MiB --cache-size 64MiB --workers 1 --log-level warn >>"$WORK/edge.log" 2>&1 &
  EDGE_PID=$!; PIDS+=($EDGE_PID); wait_http "http://127.0.0.1:$P_INT/readyz"
}
stop_edge() { kill "$EDGE_PID"; wait "$EDGE_PID" 2>/dev/null || true; }

start_edge
# The variant: the first width whose WebP is at least 8 KB.
URL=""
for w in $(seq 100 5 400); do
  size=$(curl -s -o "$WORK/v.webp" -w '%{size_download}' "http://127.0.0.1:$P_EDGE/acme/photo.jpg?w=$w&fm=webp")
  if [ "$size" -ge 8192 ]; then URL="/acme/photo.jpg?w=$w&fm=webp"; break; fi
done
[ -n "$URL" ] || { echo "no variant reached 8 KB"; exit 1; }
cp "$WORK/v.webp" "$WORK/static/acme/photo.webp"
ETAG=$(curl -s -D - -o /dev/null "http://127.0.0.1:$P_EDGE$URL" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
echo "variant $URL: $(stat -c %s "$WORK/static/acme/photo.webp") bytes, ETag $ETAG"

# A second edge without connection timeouts: the apples-to-apples match for
# the bare ceiling (fasthttp moves deadlines 3× per keep-alive request).
taskset -c "$SERVER_CPU" "$WORK/pixcdn" edge --public 127.0.0.1:$P_EDGE2 --internal 127.0.0.1:$P_INT2 \
  --origin "dir:$WORK/img" --mem-cache 64MiB --cache-size 64MiB --workers 1 --log-level warn \
  --read-timeout 0 --write-timeout 0 --idle-timeout 0 >>"$WORK/edge2.log" 2>&1 &
EDGE2_PID=$!; PIDS+=($EDGE2_PID); wait_http "http://127.0.0.1:$P_INT2/readyz"
curl -s -o /dev/null "http://127.0.0.1:$P_EDGE2$URL" # fill its cache
taskset -c "$SERVER_CPU" "$WORK/ceiling" -listen 127.0.0.1:$P_CEIL2 -edge-limits -file "$WORK/static/acme/photo.webp" &
CEIL2_PID=$!; PIDS+=($CEIL2_PID)
# A third ceiling sends the same response bytes as a pixcdn hit: its
# headers, as the edge sent them.
taskset -c "$SERVER_CPU" "$WORK/ceiling" -listen 127.0.0.1:$P_CEIL3 -file "$WORK/static/acme/photo.webp" -same-as "http://127.0.0.1:$P_EDGE$URL" &
CEIL3_PID=$!; PIDS+=($CEIL3_PID)
taskset -c "$SERVER_CPU" "$WORK/ceiling" -listen 127.0.0.1:$P_CEIL -file "$WORK/static/acme/photo.webp" &
PIDS+=($!)
sed -e "s|@WORK@|$WORK|g" -e "s|@PORT@|$P_NGINX|g" "$ROOT/bench/hitpath/nginx.conf.in" >"$WORK/nginx.conf"
taskset -c "$SERVER_CPU" nginx -c "$WORK/nginx.conf" -p "$WORK" &
PIDS+=($!)
wait_http "http://127.0.0.1:$P_CEIL/"; wait_http "http://127.0.0.1:$P_CEIL2/"; wait_http "http://127.0.0.1:$P_CEIL3/"; wait_http "http://127.0.0.1:$P_NGINX/acme/photo.webp"

# cpu_ticks PID prints the CPU time (user+system, in clock ticks) used so far
# by PID and its children (nginx's worker).
cpu_ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
TICKS=$(getconf CLK_TCK)

# rps CONNS URL PID [wrk args…] runs wrk once (bounded) and prints two
# numbers: requests/s, and requests per CPU-second the server PID used
# (its one-core rate, robust to other load on a shared machine). A run
# with any non-2xx/3xx answer is reported on stderr and prints "0 0".
rps() {
  local c=$1 url=$2 pid=$3; shift 3
  local before after
  before=$(cpu_ticks "$pid")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$c" -d"$DUR" --latency "$@" "$url" >"$WORK/wrk.out"
  after=$(cpu_ticks "$pid")
  if grep -q 'Non-2xx' "$WORK/wrk.out"; then grep 'Non-2xx' "$WORK/wrk.out" >&2; echo "0 0"; return; fi
  local n r
  n=$(awk '/requests in/{print $1}' "$WORK/wrk.out")
  r=$(awk '/Requests\/sec/{print $2}' "$WORK/wrk.out")
  awk -v n="$n" -v r="$r" -v t=$((after - before)) -v hz="$TICKS" 'BEGIN{printf "%s %.0f\n", r, (t > 0 ? n * hz / t : 0)}'
}
# median [COLUMN] of the numbers on stdin.
median() { awk -v c="${1:-1}" '{print $c}' | sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

CEIL_PID=${PIDS[-2]} NGINX_PID=${PIDS[-1]}
# measure TARGET appends one run's figures to $WORK/TARGET.txt.
measure() {
  case $1 in
  edge) rps "$CONNS" "http://127.0.0.1:$P_EDGE$URL" "$EDGE_PID" ;;
  edge2) rps "$CONNS" "http://127.0.0.1:$P_EDGE2$URL" "$EDGE2_PID" ;;
  ceil) rps "$CONNS" "http://127.0.0.1:$P_CEIL$URL" "$CEIL_PID" ;;
  ceil2) rps "$CONNS" "http://127.0.0.1:$P_CEIL2$URL" "$CEIL2_PID" ;;
  ceil3) rps "$CONNS" "http://127.0.0.1:$P_CEIL3$URL" "$CEIL3_PID" ;;
  nginx) rps "$CONNS" "http://127.0.0.1:$P_NGINX/acme/photo.webp" "$NGINX_PID" ;;
  304) rps "$CONNS" "http://127.0.0.1:$P_EDGE$URL" "$EDGE_PID" -H "If-None-Match: $ETAG" ;;
  esac >>"$WORK/$1.txt"
}
TARGETS=(edge edge2 ceil ceil2 ceil3 nginx 304)
for t in "${TARGETS[@]}"; do : >"$WORK/$t.txt"; done
for i in $(seq "$RUNS"); do
  # Each round starts one target later, so no target always runs first
  # (or always after the same one).
  for k in "${!TARGETS[@]}"; do measure "${TARGETS[$(((k + i) % ${#TARGETS[@]}))]}"; done
  echo "run $i (req/s, req per CPU-second): edge $(tail -1 "$WORK/edge.txt")  edge-no-timeouts $(tail -1 "$WORK/edge2.txt")  ceiling $(tail -1 "$WORK/ceil.txt")  ceiling+limits $(tail -1 "$WORK/ceil2.txt")  ceiling-same-bytes $(tail -1 "$WORK/ceil3.txt")  nginx $(tail -1 "$WORK/nginx.txt")  edge-304 $(tail -1 "$WORK/304.txt")"
done
: >"$WORK/miss.txt"
for i in $(seq "$RUNS"); do
  stop_edge; start_edge
  # Few connections: one transform worker; more would only queue (or 503).
  rps "$MISS_CONNS" "http://127.0.0.1:$P_EDGE/" "$EDGE_PID" -s "$ROOT/bench/hitpath/miss.lua" >>"$WORK/miss.txt"
  grep -A4 'Latency Distribution' "$WORK/wrk.out" | tr -s ' ' | paste -sd' ' >>"$WORK/miss-latency.txt"
done
echo
echo "medians of $RUNS interleaved runs, ${DUR} each, $CONNS connections, server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU"
echo "(req/s is what wrk saw; req/CPU-s divides requests by the CPU time the server used: its rate on one whole core)"
printf "  %-24s %12s %14s\n" "" "req/s" "req/CPU-s"
for row in "pixcdn hit:edge" "pixcdn hit, no timeouts:edge2" "bare fasthttp:ceil" "bare+edge limits:ceil2" "bare, pixcdn's headers:ceil3" "nginx static:nginx" "pixcdn 304:304" "pixcdn miss:miss"; do
  printf "  %-24s %12.1f %14.0f\n" "${row%%:*}" "$(median 1 <"$WORK/${row##*:}.txt")" "$(median 2 <"$WORK/${row##*:}.txt")"
done
echo "  miss latency (last run, $MISS_CONNS connections, 1 transform worker): $(tail -1 "$WORK/miss-latency.txt")"
# ratio A B COL: the median over rounds of A's figure over B's in the same
# round, with the middle half of the rounds' ratios (quartiles) around it.
ratio() { paste -d' ' "$WORK/$1.txt" "$WORK/$2.txt" | awk -v c="$3" '$(c + 2) > 0 {print $c / $(c + 2)}' | quartiles; }
quartiles() { sort -n | awk '{a[NR]=$1} END{printf "%.3f (%.3f-%.3f)", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2, a[int((NR+3)/4)], a[int((3*NR+3)/4)]}'; }
for col in 1 2; do
  echo "  per-round ratios by $([ $col = 1 ] && echo 'req/s' || echo 'req/CPU-s'): median (middle half of the rounds)"
  for row in "pixcdn/ceiling:edge ceil" "pixcdn/(ceiling, same bytes):edge ceil3" "pixcdn/(ceiling+limits):edge ceil2" "pixcdn/nginx:edge nginx" \
    "no-timeouts/ceiling:edge2 ceil" "no-timeouts/nginx:edge2 nginx" "pixcdn/no-timeouts:edge edge2"; do
    # shellcheck disable=SC2086 # the row's two target names
    printf "    %-30s %s\n" "${row%%:*}" "$(ratio ${row##*:} $col)"
  done
done
