#!/usr/bin/env bash
# Hit path over TLS: pixcdn edge with --tls-cert/--tls-key vs nginx over TLS
# with the same certificate (a throwaway ECDSA P-256 one) and the same
# cipher (TLS 1.3, AES-128-GCM: Go's choice; nginx is told to prefer it over
# the AES-256-GCM wrk's OpenSSL asks for first) serving the same
# ~8 KB WebP as a static file, and both again over plain HTTP for the cost
# of TLS itself. Keep-alive: wrk opens its connections (and handshakes)
# once per run. Servers on SERVER_CPU, wrk on LOAD_CPU; rounds interleaved,
# each starting one target later; medians and per-round ratios printed.
#
#   RUNS=9 DUR=3s bench/hitpath/tls.sh
set -euo pipefail
RUNS=${RUNS:-9} DUR=${DUR:-3s} CONNS=${CONNS:-50}
SERVER_CPU=${SERVER_CPU:-1} LOAD_CPU=${LOAD_CPU:-0}
P_EDGE=${P_EDGE:-19480} P_INT=${P_INT:-19481} P_EDGEP=${P_EDGEP:-19482} P_INTP=${P_INTP:-19483} P_NGINX=${P_NGINX:-19484} P_NGINXP=${P_NGINXP:-19485}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/pixcdn-hitpath-tls.XXXXXX)
chmod 755 "$WORK" # nginx workers run unprivileged
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for tool in wrk nginx taskset curl openssl; do command -v $tool >/dev/null || { echo "missing $tool (make deps)"; exit 1; }; done
(cd "$ROOT" && go build -o "$WORK/pixcdn" ./cmd/pixcdn && go run ./bench/hitpath/srcimage -o "$WORK/photo.jpg")
mkdir -p "$WORK/img/acme" "$WORK/static/acme" "$WORK/nginx-tmp"
cp "$WORK/photo.jpg" "$WORK/img/acme/photo.jpg"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
chmod 644 "$WORK/key.pem"

wait_http() { for _ in $(seq 100); do curl -skf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }
edge() { # edge PUBLIC INTERNAL [flags…]
  local pub=$1 int=$2; shift 2
  taskset -c "$SERVER_CPU" "$WORK/pixcdn" edge --public 127.0.0.1:$pub --internal 127.0.0.1:$int --origin "dir:$WORK/img" \
    --mem-cache 64MiB --cache-size 64MiB --workers 1 --log-level warn "$@" >>"$WORK/edge-$pub.log" 2>&1 &
  PIDS+=($!); wait_http "http://127.0.0.1:$int/readyz"
}
edge $P_EDGE $P_INT --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"; EDGE_PID=${PIDS[-1]}
edge $P_EDGEP $P_INTP; EDGEP_PID=${PIDS[-1]}
URL="/acme/photo.jpg?w=265&fm=webp" # an 8 KB WebP, as in ab.sh
curl -skf -o "$WORK/static/acme/photo.webp" "https://127.0.0.1:$P_EDGE$URL"
curl -sf -o /dev/null "http://127.0.0.1:$P_EDGEP$URL"
sed -e "s|@WORK@|$WORK|g" -e "s|@PORT@|$P_NGINXP|g" "$ROOT/bench/hitpath/nginx.conf.in" >"$WORK/nginx.conf"
# The same server block again, over TLS on its own port.
sed -i -e "s|^}$|    server {\n        listen 127.0.0.1:$P_NGINX ssl;\n        ssl_certificate $WORK/cert.pem;\n        ssl_certificate_key $WORK/key.pem;\n        ssl_protocols TLSv1.2 TLSv1.3;\n        ssl_session_cache shared:tls:1m;\n        ssl_prefer_server_ciphers on;\n        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;\n        root $WORK/static;\n        location / { add_header Cache-Control \"public, max-age=3600\"; }\n    }\n}|" "$WORK/nginx.conf"
taskset -c "$SERVER_CPU" nginx -c "$WORK/nginx.conf" -p "$WORK" & PIDS+=($!); NGINX_PID=$!
wait_http "https://127.0.0.1:$P_NGINX/acme/photo.webp"; wait_http "http://127.0.0.1:$P_NGINXP/acme/photo.webp"
echo "variant $URL: $(stat -c %s "$WORK/static/acme/photo.webp") bytes"
for u in "https://127.0.0.1:$P_EDGE$URL" "https://127.0.0.1:$P_NGINX/acme/photo.webp"; do
  echo "  $u: $(curl -sk -o /dev/null -w '%{http_version} %{size_download} bytes' "$u"), $(hostport=${u#https://}; echo | openssl s_client -connect "${hostport%%/*}" 2>/dev/null | grep -m1 -E '^New,' | sed 's/, Cipher is / /')" | sed "s|$URL||; s|/acme/photo.webp||"
done

ticks() { local t=0 p; for p in "$1" $(pgrep -P "$1" || true); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
HZ=$(getconf CLK_TCK)
declare -A TARGET=(
  [edge-tls]="https://127.0.0.1:$P_EDGE$URL $EDGE_PID" [nginx-tls]="https://127.0.0.1:$P_NGINX/acme/photo.webp $NGINX_PID"
  [edge-plain]="http://127.0.0.1:$P_EDGEP$URL $EDGEP_PID" [nginx-plain]="http://127.0.0.1:$P_NGINXP/acme/photo.webp $NGINX_PID")
NAMES=(edge-tls nginx-tls edge-plain nginx-plain)
for n in "${NAMES[@]}"; do : >"$WORK/$n.res"; done
for i in $(seq "$RUNS"); do
  line="run $i (req/s req/CPU-s):"
  for k in "${!NAMES[@]}"; do
    n=${NAMES[$(((k + i) % ${#NAMES[@]}))]}; read -r url pid <<<"${TARGET[$n]}"
    b=$(ticks "$pid"); taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DUR" "$url" >"$WORK/w.out"; a=$(ticks "$pid")
    if grep -q 'Non-2xx\|Socket errors' "$WORK/w.out"; then grep 'Non-2xx\|Socket errors' "$WORK/w.out" >&2; fi
    awk -v hz="$HZ" -v t=$((a - b)) '/requests in/{n=$1} /Requests\/sec/{r=$2} END{printf "%s %.0f\n", r, (t > 0 ? n * hz / t : 0)}' "$WORK/w.out" >>"$WORK/$n.res"
  done
  for n in "${NAMES[@]}"; do line="$line $n $(tail -1 "$WORK/$n.res")"; done; echo "$line"
done
median() { awk -v c="$1" '{print $c}' | sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
quartiles() { sort -n | awk '{a[NR]=$1} END{printf "%.3f (%.3f-%.3f)", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2, a[int((NR+3)/4)], a[int((3*NR+3)/4)]}'; }
echo
echo "medians of $RUNS interleaved runs, $DUR each, $CONNS keep-alive connections, servers on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU"
printf "  %-12s %10s %10s\n" "" req/s req/CPU-s
for n in "${NAMES[@]}"; do printf "  %-12s %10.1f %10.0f\n" "$n" "$(median 1 <"$WORK/$n.res")" "$(median 2 <"$WORK/$n.res")"; done
for col in 1 2; do
  echo "per-round ratios by $([ $col = 1 ] && echo req/s || echo req/CPU-s): median (middle half of the rounds)"
  for pair in "edge-tls nginx-tls" "edge-plain nginx-plain" "edge-tls edge-plain" "nginx-tls nginx-plain"; do
    read -r a b <<<"$pair"
    printf "  %-26s %s\n" "$a/$b" "$(paste -d' ' "$WORK/$a.res" "$WORK/$b.res" | awk -v c=$col '$(c + 2) > 0 {print $c / $(c + 2)}' | quartiles)"
  done
done
