package origin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"pixcdn/contract"
)

// PublisherConfig says where and how events are pushed.
type PublisherConfig struct {
	// Edges are the base URLs of the edges' internal ports (e.g.
	// http://10.0.0.5:9091); each receives POST {edge}/_purge. Default none.
	Edges []string
	// PurgeToken is sent as "Authorization: Bearer <token>". Required when
	// Edges is not empty.
	PurgeToken string
	// Attempts per event and edge before it is dropped (default 8); the
	// edge's feed follower still sees the event.
	Attempts int
	// Backoff before the first retry, doubling up to MaxBackoff (default
	// 50ms and 5s).
	Backoff, MaxBackoff time.Duration
	// Timeout of one POST (default 2s).
	Timeout time.Duration
	// QueueSize is how many events may wait per edge (default 4096);
	// beyond it the newest are dropped (the feed covers them).
	QueueSize int
}

// DefaultPublisherConfig returns the defaults documented on PublisherConfig.
func DefaultPublisherConfig() PublisherConfig {
	return PublisherConfig{Attempts: 8, Backoff: 50 * time.Millisecond, MaxBackoff: 5 * time.Second, Timeout: 2 * time.Second, QueueSize: 4096}
}

// Validate reports the first invalid field.
func (c PublisherConfig) Validate() error {
	for _, e := range c.Edges {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("origin: publisher edge %q is not an http(s) URL", e)
		}
	}
	switch {
	case len(c.Edges) > 0 && c.PurgeToken == "":
		return errors.New("origin: publisher needs PurgeToken")
	case c.Attempts < 1 || c.QueueSize < 1:
		return errors.New("origin: publisher Attempts and QueueSize must be ≥ 1")
	case c.Backoff <= 0 || c.MaxBackoff < c.Backoff || c.Timeout <= 0:
		return errors.New("origin: publisher Backoff, MaxBackoff and Timeout must be positive and ordered")
	}
	return nil
}

// Publisher pushes every event the service commits to every configured
// edge, directly and in parallel, right after the commit and before the
// event is sequenced: the edges' gossip and their feed followers are the
// back-ups, for events this process fails to push (it stopped, an edge was
// unreachable, a queue was full). Each edge gets this process's events in
// commit order, retried with backoff. One goroutine per edge posts; Close
// stops them and waits.
type Publisher struct {
	cfg    PublisherConfig
	svc    *Service
	client *http.Client
	queues []chan contract.Event
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// StartPublisher starts pushing the events svc commits from now on (it
// sets svc.OnCommit). With no edges configured it starts nothing.
func StartPublisher(_ context.Context, cfg PublisherConfig, svc *Service) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Publisher{cfg: cfg, svc: svc, client: newPushClient(cfg)}
	if len(cfg.Edges) == 0 {
		return p, nil
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for _, edge := range cfg.Edges {
		q := make(chan contract.Event, cfg.QueueSize)
		p.queues = append(p.queues, q)
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.pushLoop(runCtx, strings.TrimRight(edge, "/")+"/_purge", q) }()
	}
	svc.OnCommit(p.publish)
	return p, nil
}

// newPushClient keeps two idle connections per edge between pushes (the
// default transport's per-host limit), also beyond 50 edges, where its
// total limit of 100 would close some.
func newPushClient(cfg PublisherConfig) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(len(cfg.Edges)*2, 100)
	return &http.Client{Timeout: cfg.Timeout, Transport: t}
}

// Close stops pushing and waits. Events committed from then on are only
// on the feed. Idempotent.
func (p *Publisher) Close() {
	p.once.Do(func() {
		if p.cancel != nil {
			p.svc.OnCommit(nil)
			p.cancel()
		}
	})
	p.wg.Wait()
}

// publish queues ev for every edge. Never blocks: an edge whose queue is
// full misses the push (counted as dropped) and learns of ev from gossip
// or its feed.
func (p *Publisher) publish(ev contract.Event) {
	for _, q := range p.queues {
		select {
		case q <- ev:
		default:
			p.svc.metrics.pushes.WithLabelValues("dropped").Inc()
		}
	}
}

func (p *Publisher) pushLoop(ctx context.Context, target string, q <-chan contract.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-q:
			p.push(ctx, target, ev)
		}
	}
}

// push posts one event, retrying with backoff up to Attempts times.
func (p *Publisher) push(ctx context.Context, target string, ev contract.Event) {
	body, _ := json.Marshal(ev.Purge())
	backoff := p.cfg.Backoff
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := p.post(ctx, target, body)
		if err == nil {
			p.svc.metrics.pushes.WithLabelValues("ok").Inc()
			return
		}
		if attempt >= p.cfg.Attempts {
			p.svc.metrics.pushes.WithLabelValues("failed").Inc()
			slog.Warn("origin publisher: giving up on event; the edge's feed still has it", "edge", target, "event", ev.ID, "err", err)
			return
		}
		p.svc.metrics.pushes.WithLabelValues("retry").Inc()
		sleep(ctx, backoff)
		backoff = min(backoff*2, p.cfg.MaxBackoff)
	}
}

func (p *Publisher) post(ctx context.Context, target string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.cfg.PurgeToken)
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("edge answered %s", resp.Status)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
