package browsertest

import (
	"context"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// exchange is one request a tab made, as the DevTools protocol reported
// it: the headers sent on the wire, the response the page got, and the
// status of the response on the wire (304 for a revalidation the page sees
// as its cached 200; 0 when the response came from the cache without a
// request).
type exchange struct {
	sent      network.Headers
	resp      *network.Response
	rawStatus int64
}

// netWatch records a tab's exchanges in the order they started.
type netWatch struct {
	mu    sync.Mutex
	order []network.RequestID
	byID  map[network.RequestID]*exchange
}

// watchNetwork records the exchanges of the tab of ctx from now on; with
// cacheDisabled every load goes to the server.
func watchNetwork(t *testing.T, ctx context.Context, cacheDisabled bool) *netWatch {
	t.Helper()
	w := &netWatch{byID: map[network.RequestID]*exchange{}}
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	sent := chromedp.Events(ctx, network.RequestWillBeSentExtraInfo)
	responses := chromedp.Events(ctx, network.ResponseReceived)
	raw := chromedp.Events(ctx, network.ResponseReceivedExtraInfo)
	go func() {
		for ev, err := range sent {
			if err != nil {
				return
			}
			w.update(ev.RequestID, func(x *exchange) { x.sent = ev.Headers })
		}
	}()
	go func() {
		for ev, err := range responses {
			if err != nil {
				return
			}
			w.update(ev.RequestID, func(x *exchange) { x.resp = ev.Response })
		}
	}()
	go func() {
		for ev, err := range raw {
			if err != nil {
				return
			}
			w.update(ev.RequestID, func(x *exchange) { x.rawStatus = ev.StatusCode })
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: cacheDisabled}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *netWatch) update(id network.RequestID, f func(*exchange)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	x, ok := w.byID[id]
	if !ok {
		x = &exchange{}
		w.byID[id] = x
		w.order = append(w.order, id)
	}
	f(x)
}

// all returns copies of the exchanges whose response URL is url, oldest
// first.
func (w *netWatch) all(url string) []exchange {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []exchange
	for _, id := range w.order {
		if x := w.byID[id]; x.resp != nil && x.resp.URL == url {
			out = append(out, *x)
		}
	}
	return out
}

// last returns the latest exchange for url, and false when there is none.
func (w *netWatch) last(url string) (exchange, bool) {
	xs := w.all(url)
	if len(xs) == 0 {
		return exchange{}, false
	}
	return xs[len(xs)-1], true
}
