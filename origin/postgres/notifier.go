package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notifier runs the outbox sequencer and relays LISTEN/NOTIFY wake-ups. It
// holds one dedicated connection that LISTENs on the outbox and events
// channels: an outbox notification (a writer committed) triggers Sequence;
// an events notification (some process numbered events) calls onEvents.
// While committed rows wait for an older transaction, it re-runs Sequence
// with backoff; it also runs it every Interval as a safety net against
// lost notifications and reconnects with backoff when the connection
// drops. Close stops it and waits.
type Notifier struct {
	catalog  *Catalog
	onEvents func()
	interval time.Duration
	kick     chan struct{}
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
}

// StartNotifier starts the notifier's goroutines. onEvents must not block
// (origin.Service.EventsChanged does not). interval is the safety-net
// period (default 1s when ≤ 0).
func StartNotifier(c *Catalog, onEvents func(), interval time.Duration) *Notifier {
	if interval <= 0 {
		interval = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{catalog: c, onEvents: onEvents, interval: interval, kick: make(chan struct{}, 1), cancel: cancel}
	n.wg.Add(2)
	go func() { defer n.wg.Done(); n.listenLoop(ctx) }()
	go func() { defer n.wg.Done(); n.sequenceLoop(ctx) }()
	n.Kick()
	return n
}

// Kick asks for a sequencing pass soon. Never blocks.
func (n *Notifier) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Close stops the goroutines and waits for them. Idempotent.
func (n *Notifier) Close() {
	n.once.Do(n.cancel)
	n.wg.Wait()
}

func (n *Notifier) listenLoop(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		err := n.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		slog.Warn("postgres notifier: listen connection lost", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (n *Notifier) listen(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, n.catalog.db.connConfig())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, ch := range []string{channelOutbox, channelEvents} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return err
		}
	}
	n.Kick() // anything committed while we were not listening
	n.onEvents()
	for {
		note, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch note.Channel {
		case channelOutbox:
			n.Kick()
		case channelEvents:
			n.onEvents()
		}
	}
}

func (n *Notifier) sequenceLoop(ctx context.Context) {
	safety := time.NewTicker(n.interval)
	defer safety.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	backoff := 2 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.kick:
		case <-retry.C:
		case <-safety.C:
		}
		numbered, waiting, err := n.catalog.Sequence(ctx)
		if numbered > 0 {
			n.onEvents() // our own NOTIFY will follow; this saves a round trip
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			slog.Warn("postgres notifier: sequence", "err", err)
		}
		if waiting > 0 || err != nil {
			retry.Reset(backoff)
			backoff = min(backoff*2, 500*time.Millisecond)
		} else {
			backoff = 2 * time.Millisecond
		}
	}
}
