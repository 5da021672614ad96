package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Leave announces a graceful departure: peers first drop this node from
// their rings (metadata flag), then memberlist's leave message marks it left.
// It blocks until the leave is broadcast, ctx ends or Config.LeaveTimeout
// passes. Gossip keeps running until Close. Calling Leave twice is harmless.
func (c *Cluster) Leave(ctx context.Context) error {
	c.lifeMu.Lock() // memberlist panics on Leave after Shutdown
	defer c.lifeMu.Unlock()
	select {
	case <-c.stop:
		return ErrClosed
	default:
	}
	if c.leaving.Swap(true) {
		return nil
	}
	timeout := c.cfg.LeaveTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	if timeout <= 0 {
		return fmt.Errorf("cluster: leave: %w", context.DeadlineExceeded)
	}
	start := time.Now()
	if err := c.ml.UpdateNode(timeout / 2); err != nil {
		c.log.Debug("leave: metadata update not confirmed", "err", err)
	}
	if err := c.ml.Leave(timeout - time.Since(start)); err != nil {
		return fmt.Errorf("cluster: leave: %w", err)
	}
	return nil
}

// Close leaves the cluster (bounded by Config.LeaveTimeout) unless Leave was
// already called, stops gossip and every goroutine of the Cluster, and waits
// for them. Subscriber channels are closed. Idempotent; later calls return
// the first result.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.LeaveTimeout)
		defer cancel()
		var leaveErr error
		if !c.leaving.Load() {
			leaveErr = c.Leave(ctx)
		}
		c.closeErr = errors.Join(leaveErr, c.stopAll())
	})
	return c.closeErr
}

// shutdown stops without leaving, as a crash would look to peers. Used when
// Join fails and by tests that kill a node.
func (c *Cluster) shutdown() error {
	var err error
	c.closeOnce.Do(func() { c.closeErr = c.stopAll(); err = c.closeErr })
	return err
}

func (c *Cluster) stopAll() error {
	close(c.stop)
	c.lifeMu.Lock()
	err := c.ml.Shutdown()
	c.lifeMu.Unlock()
	c.wg.Wait()
	c.subs.closeAll()
	if err != nil {
		return fmt.Errorf("cluster: shutdown gossip: %w", err)
	}
	return nil
}
