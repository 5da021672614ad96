#!/usr/bin/env bash
# Upload throughput of a running origin: `pixcdn upload` (tus, sha256-checked
# PATCHes) against a plain PUT, on never-uploaded PNGs of 5 MB and 30 MB
# (uncompressed noise, so every run stores new bytes), N runs each; prints the
# medians. Loopback only.
#   usage: e2e_bench.sh ORIGIN_URL TENANT EDITOR_KEY [PIXCDN_BIN] [N] [CHUNK]
# e.g.  e2e_bench.sh http://127.0.0.1:8090 acme "$KEY" bin/pixcdn 5 8MiB
set -euo pipefail
origin=$1 tenant=$2 key=$3 bin=${4:-bin/pixcdn} runs=${5:-5} chunk=${6:-8MiB}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# makepng SIDE FILE: an uncompressed RGB PNG of random pixels, SIDE×SIDE.
makepng() {
  python3 - "$1" "$2" <<'PY'
import os, struct, sys, zlib
side, path = int(sys.argv[1]), sys.argv[2]
raw = b"".join(b"\0" + os.urandom(side * 3) for _ in range(side))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b""))
PY
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

for mb in 5 30; do
  side=$([ "$mb" = 5 ] && echo 1290 || echo 3160)
  for i in $(seq 1 "$runs"); do
    makepng "$side" "$dir/tus-$i.png"
    makepng "$side" "$dir/put-$i.png"
  done
  for i in $(seq 1 "$runs"); do
    start=$(date +%s.%N)
    "$bin" upload "$dir/tus-$i.png" --origin "$origin" --tenant "$tenant" --key "$key" --chunk "$chunk" \
      --id "bench/tus-$mb-$RANDOM$RANDOM.png" --quiet --state-dir "$dir/state" >/dev/null
    awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }' >>"$dir/tus-$mb"
    curl -sf -o /dev/null -w '%{time_total}\n' -T "$dir/put-$i.png" -H "Authorization: Bearer $key" \
      "$origin/v1/$tenant/images/bench/put-$mb-$RANDOM$RANDOM.png" >>"$dir/put-$mb"
  done
  size=$(stat -c %s "$dir/tus-1.png")
  for how in tus put; do
    t=$(median <"$dir/$how-$mb")
    awk -v how="$how" -v mb="$mb" -v t="$t" -v size="$size" -v n="$runs" \
      'BEGIN { printf "%s %2d MB: median %.3f s, %.1f MB/s (n=%d)\n", how, mb, t, size / t / 1e6, n }'
  done
done
