#!/usr/bin/env bash
# A/B of edge builds or flags on the hit path, side by side with the bare
# fasthttp ceiling, and with the ceiling sending the same response bytes as
# the first edge's hit: each NAME=BINARY[:EXTRA FLAGS] is started as an edge
# on CPU 1 (a dir: origin, one cached 8 KB WebP variant), and wrk on CPU 0
# runs against each in turn, RUNS rounds of DUR. Compare ratios within a round:
# this VM's run-to-run spread is far larger than the differences measured.
#
#   go build -o /tmp/new ./cmd/pixcdn
#   RUNS=15 DUR=3s bench/hitpath/ab.sh new=/tmp/new "off=/tmp/new:--read-timeout 0 --write-timeout 0 --idle-timeout 0"
set -euo pipefail
RUNS=${RUNS:-5} DUR=${DUR:-5s}
ROOT=$(cd "$(dirname "$0")/../.." && pwd); WORK=$(mktemp -d /tmp/pixcdn-ab.XXXX); PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null||true; done; wait 2>/dev/null; rm -rf $WORK' EXIT
(cd $ROOT && go build -o $WORK/ceiling ./bench/hitpath/ceiling && go run ./bench/hitpath/srcimage -o $WORK/photo.jpg)
mkdir -p $WORK/img/acme; cp $WORK/photo.jpg $WORK/img/acme/
URL="/acme/photo.jpg?w=265&fm=webp"
port=19400; names=(); ports=(); pids=()
for spec in "$@"; do
  name=${spec%%=*}; rest=${spec#*=}; bin=${rest%%:*}; args=""; [[ $rest == *:* ]] && args=${rest#*:}
  taskset -c 1 $bin edge --public 127.0.0.1:$port --internal 127.0.0.1:$((port+1)) --origin dir:$WORK/img --mem-cache 64MiB --cache-size 64MiB --cache-dir $WORK/c$port --workers 1 --log-level warn $args >$WORK/$name.log 2>&1 &
  PIDS+=($!); pids+=($!); names+=($name); ports+=($port)
  for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$((port+1))/readyz && break; sleep 0.1; done
  curl -sf -o $WORK/v.webp "http://127.0.0.1:$port$URL"
  port=$((port+10))
done
taskset -c 1 $WORK/ceiling -listen 127.0.0.1:19399 -file $WORK/v.webp & PIDS+=($!); pids+=($!); names+=(ceiling); ports+=(19399)
# The same ceiling sending the same response bytes as the first edge's hit.
taskset -c 1 $WORK/ceiling -listen 127.0.0.1:19398 -file $WORK/v.webp -same-as "http://127.0.0.1:${ports[0]}$URL" & PIDS+=($!); pids+=($!); names+=(same-bytes); ports+=(19398)
sleep 0.5
ticks() { local t=0 p; for p in "$1" $(pgrep -P "$1"||true); do t=$((t+$(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
for i in $(seq $RUNS); do
  # Each round starts one target later: no target always runs first.
  for k in "${!names[@]}"; do
    j=$(((k + i) % ${#names[@]}))
    b=$(ticks ${pids[$j]}); taskset -c 0 wrk -t1 -c50 -d$DUR http://127.0.0.1:${ports[$j]}$URL >$WORK/w.out; a=$(ticks ${pids[$j]})
    n=$(awk '/requests in/{print $1}' $WORK/w.out); r=$(awk '/Requests\/sec/{print $2}' $WORK/w.out)
    c=$(awk -v n=$n -v t=$((a-b)) 'BEGIN{printf "%.0f", n*100/t}')
    echo "$r $c" >>$WORK/${names[$j]}.res
  done
  line="run $i:"; for n in "${names[@]}"; do line="$line $n $(tail -1 $WORK/$n.res | tr ' ' /)"; done; echo "$line"
done
echo "medians (req/s, req/CPU-s); per-round ratios are in the run lines:"
for n in "${names[@]}"; do
  printf "  %-12s %10s %10s\n" $n $(sort -n -k1 $WORK/$n.res | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') $(sort -n -k2 $WORK/$n.res | awk '{a[NR]=$2} END{print a[int((NR+1)/2)]}')
done
for base in ceiling same-bytes; do
  echo "per-round req/s ratios to $base: median (middle half of the rounds)"
  for n in "${names[@]}"; do
    printf "  %-12s %s\n" $n "$(paste -d' ' $WORK/$n.res $WORK/$base.res | awk '{print $1/$3}' | sort -n | awk '{a[NR]=$1} END{printf "%.3f (%.3f-%.3f)", a[int((NR+1)/2)], a[int((NR+3)/4)], a[int((3*NR+3)/4)]}')"
  done
done
