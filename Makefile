# pixcdn's front door. `make run` starts a local stack; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
BIN := bin/pixcdn
FUZZTIME ?= 30s
SOAK_DURATION ?= 10m
SOAK_OUT ?= $(CURDIR)/.run/soak
SOAK_TIMEOUT ?= 1h
BENCHTIME ?= 1s
CORPUS ?= $(CURDIR)/.run/corpus
export PATH := $(shell $(GO) env GOPATH)/bin:$(PATH)

.PHONY: all deps build run demo test race unit netns-test chaos soak lint fuzz bench bench-hitpath bench-cluster bench-scale bench-cache-open bench-transform bench-miss sim golden golden-png tidy corpus clean

all: build

## deps: install what is missing (Debian packages, the MinIO server, npm packages of the tests and the web console)
deps:
	@bash scripts/deps.sh

## build: compile bin/pixcdn
build:
	$(GO) build -o $(BIN) ./cmd/pixcdn

## run: deps, build, then a local stack (PostgreSQL, MinIO, origin, three edges) under .run/
run: deps build
	$(BIN) demo

## test: deps, vet, then every test with the race detector against real servers
test: deps
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./edge/... ./cluster/... ./cachestore/... ./transform ./internal/config
	$(GO) test -race -count=1 -timeout 30m ./...
	@if [ "$$(id -u)" -eq 0 ]; then bash scripts/netns/run.sh; \
	 else echo "netns-test: the multi-host test needs root (network namespaces); not run"; fi

race: test

## unit: the tests without the race detector (faster while editing)
unit:
	$(GO) test -count=1 ./...

## netns-test: the multi-host cluster test in network namespaces (root)
netns-test:
	bash scripts/netns/run.sh

## chaos: the long fault tests (repeated edge kills and origin outages under load, 12,000 slow connections); fails if PostgreSQL, MinIO or libvips is missing
chaos:
	CI=1 PIXCDN_CHAOS=1 $(GO) test -count=1 -timeout 20m -v -run '^TestChaos' ./edge/clustertest/

## soak: SOAK_DURATION (10m) of the demo stack under Zipf GETs, uploads, deletes, purges and one edge kill; RSS of every process every 10 s, summary and CSVs in SOAK_OUT (.run/soak); fails on any error or RSS growth after warm-up
soak:
	mkdir -p $(SOAK_OUT)
	CI=1 PIXCDN_SOAK=1 SOAK_DURATION=$(SOAK_DURATION) SOAK_OUT=$(SOAK_OUT) $(GO) test -count=1 -timeout $(SOAK_TIMEOUT) -v -run '^TestSoak$$' ./cmd/pixcdn/ 2>&1 | tee $(SOAK_OUT)/test.log; exit $${PIPESTATUS[0]}

## lint: gofmt, go vet and staticcheck (pinned)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## fuzz: every Fuzz target for FUZZTIME each (default 30s)
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

## bench: every Go micro-benchmark, BENCHTIME each (the 1M-entry cache open is bench-cache-open)
bench:
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkOpen$$' -benchmem -benchtime $(BENCHTIME) ./...

## bench-scale: cluster figures at 5 and 20 in-process gossip nodes (PIXCDN_SCALE_NODES=50 for more) (convergence after join, leave, kill; gossip load) and ring balance and key movement up to 100 members; a few minutes
bench-scale:
	PIXCDN_SCALE=1 $(GO) test ./cluster -run '^TestScale$$' -count=1 -v -timeout 20m

## bench-cache-open: open a disk cache of one million entries (builds ~1.2 GB in the temp folder)
bench-cache-open:
	$(GO) test ./cachestore -run '^$$' -bench '^BenchmarkOpen$$' -benchtime 3x -count 5

## bench-hitpath: edge hit path vs bare fasthttp vs nginx, wrk on one core, server on the other
bench-hitpath:
	RUNS=$${RUNS:-7} DUR=$${DUR:-10s} bash bench/hitpath/run.sh

## bench-cluster: a three-edge cluster over a seeded dir: origin, driven by pixcdn bench
bench-cluster:
	bash bench/scripts/scenario.sh 3

## sim: cache policy simulator, LRU vs pixcdn's S3-FIFO on Zipf and scan traces
sim:
	$(GO) run ./cachestore/cmd/cachesim

## golden: rewrite the transform golden hashes (review the diff before committing)
golden:
	$(GO) test ./transform/libvips -run TestGolden -update

## golden-png: write every golden output as PNG under .run/golden for a person to look at
golden-png:
	mkdir -p .run/golden && $(GO) test ./transform/libvips -run TestGolden -golden-png $(CURDIR)/.run/golden

## corpus: real photographs for the transform benchmarks (Debian's wallpaper packages) under CORPUS
corpus:
	mkdir -p $(CORPUS) && cd $(CORPUS) && apt-get download mate-backgrounds ukui-wallpapers && for f in *.deb; do dpkg-deb -x $$f x; done

## bench-transform: cold decode+resize+encode to 400 px per format over the corpus
bench-transform:
	PIXCDN_CORPUS=$(CORPUS)/x $(GO) test ./transform/libvips -run '^$$' -bench 'Cold' -benchtime 21x -count 5

## bench-miss: miss-path figures (issue 15, docs/benchmarks.md "Miss path"): AVIF/WebP per request at 800 px; every request a new width, pixcdn with masters vs without vs in-process libvips thumbnail (the naive ceiling), ROUNDS (12) rounds of REQS (21, each photo once); a Zipf mix from cold for DUR (30s), ZIPF_ROUNDS (3) rounds; peak RSS; server on one core, load on the other; 8-10 minutes. PARTS="formats cold zipf effort" adds the AVIF effort sweep (EFFORTS, 0,1,...,6); BIN=path runs a prebuilt edge
bench-miss:
	@[ -d $(CORPUS)/x ] || $(MAKE) corpus
	CORPUS=$(CORPUS) bash bench/miss/run.sh

## tidy: fail when go.mod or go.sum are not tidy
tidy:
	$(GO) mod tidy -diff

clean:
	rm -rf bin
