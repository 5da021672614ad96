package deploy_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"pixcdn/edge"
	"pixcdn/origin"
)

// serves reports whether pixcdn command answers path on the listener of
// flag with anything but 404, asking the real edge and origin handlers.
func serves(command, flag, path string) bool {
	switch {
	case command == "edge" && flag == "internal":
		return edgeInternalStatus(path) != http.StatusNotFound
	case command == "origin" && flag == "listen":
		return originStatus(path) != http.StatusNotFound
	}
	return false
}

var (
	edgeStatusMu    sync.Mutex
	edgeStatusCache = map[string]int{}
)

// edgeInternalStatus asks an edge.Server's internal listener for path. Its
// dependencies do nothing: health, readiness and metrics never reach them
// beyond the cache's stats and the ring's members.
func edgeInternalStatus(path string) int {
	edgeStatusMu.Lock()
	defer edgeStatusMu.Unlock()
	if code, ok := edgeStatusCache[path]; ok {
		return code
	}
	srv, err := edge.New(edge.DefaultConfig(), edge.Deps{
		Cache: idleCache{}, Ring: idleRing{}, Origin: idleOrigin{}, Codec: idleCodec{},
	})
	if err != nil {
		panic(fmt.Sprintf("edge.New: %v", err))
	}
	srv.Start()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.ServeInternal(ln)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
		ln.Close()
	}()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + ln.Addr().String() + path)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	edgeStatusCache[path] = resp.StatusCode
	return resp.StatusCode
}

// originStatus asks the origin's HTTP handler for path, over stores that
// answer pings.
func originStatus(path string) int {
	svc, err := origin.New(origin.DefaultConfig(), pingingCatalog{}, pingingBlobs{}, nil)
	if err != nil {
		panic(fmt.Sprintf("origin.New: %v", err))
	}
	rec := httptest.NewRecorder()
	svc.Handler(origin.HandlerOptions{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}

type idleCache struct{ edge.Cache }

func (idleCache) Stats() edge.CacheStats { return edge.CacheStats{} }

type idleRing struct{ edge.Ring }

func (idleRing) Members() []edge.Peer { return nil }

type idleOrigin struct{ edge.Origin }

type idleCodec struct{ edge.Codec }

type pingingCatalog struct{ origin.Catalog }

func (pingingCatalog) Ping(context.Context) error { return nil }

type pingingBlobs struct{ origin.Blobs }

func (pingingBlobs) Ping(context.Context) error { return nil }
