#!/usr/bin/env bash
# Installs what pixcdn needs to build, test and run, and only what is missing:
# Debian packages (as root or through sudo), the MinIO server (go install,
# pinned), and the npm packages of the upload tests and the web console.
# Safe to run again.
set -euo pipefail

MINIO_VERSION="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"

# Debian packages and why pixcdn needs them.
declare -A why=(
  [libvips-dev]="libvips, the image library behind every transform (cgo via govips)"
  [pkg-config]="lets cgo find libvips"
  [gcc]="the C compiler cgo needs"
  [postgresql]="the origin's catalog; tests start throwaway servers"
  [nginx-light]="the static-file baseline of the hit-path benchmark"
  [wrk]="the HTTP load generator of the hit-path benchmark"
  [iproute2]="network namespaces for the multi-host cluster test"
  [nodejs]="runs the tus-js-client resumable-upload tests"
  [npm]="installs tus-js-client for the upload tests and the web console"
  [ca-certificates]="TLS to the package registries"
  [curl]="the benchmark scripts talk to the servers they start"
  [jq]="the benchmark scripts read JSON reports"
  [util-linux]="taskset pins benchmark servers and load generators to separate cores"
  [nghttp2-client]="h2load, the HTTP/2 load check of the nginx terminator test (docs/deploy-tls.md)"
  [chromium]="headless browser of the browser tests (edge responses, the web console)"
)

say() { printf 'deps: %s\n' "$*"; }

missing=()
for pkg in "${!why[@]}"; do
  # nodejs/npm may come from elsewhere (e.g. a preinstalled Node): accept the binaries.
  case "$pkg" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if ((${#missing[@]})); then
  for pkg in "${missing[@]}"; do say "installing $pkg: ${why[$pkg]}"; done
  if [ "$(id -u)" -eq 0 ]; then sudo=""
  elif command -v sudo >/dev/null 2>&1; then sudo="sudo"
  else
    say "cannot install ${missing[*]}: run 'make deps' as root or install sudo"; exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get here: install ${missing[*]} with your package manager"; exit 1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  say "Debian packages installed"
else
  say "Debian packages: all present"
fi

gobin="$(go env GOPATH)/bin"
if command -v minio >/dev/null 2>&1 || [ -x "$gobin/minio" ]; then
  say "MinIO server: present"
else
  say "building the MinIO server $MINIO_VERSION with go install (tests start throwaway"
  say "MinIO servers; the first build takes several minutes, later runs reuse it)"
  GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$MINIO_VERSION"
  say "MinIO server installed in $gobin"
fi

# The photo corpus of the transform tests and benchmarks (`make corpus` does
# the same): the photos of Debian's mate-backgrounds and ukui-wallpapers
# packages, unpacked under .run/corpus/x. The master fidelity test needs it.
corpus="$(cd "$(dirname "$0")/.." && pwd)/.run/corpus"
if [ -d "$corpus/x/usr/share" ]; then
  say "photo corpus: present"
else
  say "fetching the photo corpus (Debian's mate-backgrounds, ukui-wallpapers) into $corpus/x"
  sudo=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  mkdir -p "$corpus"
  (
    cd "$corpus"
    apt-get download -qq mate-backgrounds ukui-wallpapers 2>/dev/null ||
      { $sudo apt-get update -qq && apt-get download -qq mate-backgrounds ukui-wallpapers; }
    for f in mate-backgrounds_*.deb ukui-wallpapers_*.deb; do dpkg-deb -x "$f" x; done
  )
fi

# npm packages, pinned by package-lock.json: tus-js-client for the resumable-upload
# tests, and the web console's copy that the origin serves to browsers.
for dir in origin/uploads/testdata/js origin/console/npm; do
  if [ -f "$dir/package.json" ] && [ ! -d "$dir/node_modules" ]; then
    say "installing the npm packages of $dir (tus-js-client)"
    (cd "$dir" && npm ci --no-audit --no-fund --silent 2>/dev/null || npm install --no-audit --no-fund --silent)
  fi
done
