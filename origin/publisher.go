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

// PurgeRequest is the body of POST /_purge on an edge.
type PurgeRequest struct {
	Tenant string    `json:"tenant"`
	IDs    []string  `json:"ids"`
	Tags   []string  `json:"tags"`
	Prefix string    `json:"prefix"`
	All    bool      `json:"all"`
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
}

// PurgeFor translates an event into the purge it implies.
func PurgeFor(ev Event) PurgeRequest {
	p := PurgeRequest{Tenant: ev.Tenant, IDs: []string{}, Tags: []string{}, Seq: ev.Seq, At: ev.At}
	switch ev.Kind {
	case KindPurgeTag:
		p.Tags = append(p.Tags, ev.Tags...)
	case KindPurgePrefix:
		p.Prefix = ev.Prefix
	default:
		p.IDs = append(p.IDs, ev.PublicID)
	}
	return p
}

// Publisher follows the event feed from the moment it starts and pushes
// each event, in order, to every configured edge, retrying with backoff.
// One goroutine follows the feed and one per edge posts; Close stops them
// and waits.
type Publisher struct {
	cfg    PublisherConfig
	svc    *Service
	client *http.Client
	queues []chan Event
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// StartPublisher starts following the feed after its current end. With no
// edges configured it starts nothing.
func StartPublisher(ctx context.Context, cfg PublisherConfig, svc *Service) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Publisher{cfg: cfg, svc: svc, client: &http.Client{Timeout: cfg.Timeout}}
	if len(cfg.Edges) == 0 {
		return p, nil
	}
	after, err := svc.catalog.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for _, edge := range cfg.Edges {
		q := make(chan Event, cfg.QueueSize)
		p.queues = append(p.queues, q)
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.pushLoop(runCtx, strings.TrimRight(edge, "/")+"/_purge", q) }()
	}
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.follow(runCtx, after) }()
	return p, nil
}

// Close stops following and pushing, and waits. Idempotent.
func (p *Publisher) Close() {
	p.once.Do(func() {
		if p.cancel != nil {
			p.cancel()
		}
	})
	p.wg.Wait()
}

func (p *Publisher) follow(ctx context.Context, after int64) {
	for ctx.Err() == nil {
		evs, err := p.svc.Events(ctx, after, 25*time.Second)
		if err != nil {
			slog.Warn("origin publisher: read feed", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		for _, ev := range evs {
			after = ev.Seq
			for _, q := range p.queues {
				select {
				case q <- ev:
				default:
					p.svc.metrics.pushes.WithLabelValues("dropped").Inc()
				}
			}
		}
	}
}

func (p *Publisher) pushLoop(ctx context.Context, target string, q <-chan Event) {
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
func (p *Publisher) push(ctx context.Context, target string, ev Event) {
	body, _ := json.Marshal(PurgeFor(ev))
	backoff := p.cfg.Backoff
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := p.post(ctx, target, body)
		if err == nil {
			p.svc.metrics.pushes.WithLabelValues("ok").Inc()
			return
		}
		if attempt >= p.cfg.Attempts {
			p.svc.metrics.pushes.WithLabelValues("failed").Inc()
			slog.Warn("origin publisher: giving up on event", "edge", target, "seq", ev.Seq, "err", err)
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
