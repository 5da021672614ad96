package cluster

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// selfConflictWindow is how long after a name conflict about ourselves the
// rejoin loop keeps re-announcing us to peers.
const selfConflictWindow = 30 * time.Second

// reconnects remembers failed members' addresses (to heal partitions) and a
// recent name conflict about ourselves. Safe for concurrent use; methods only
// take a short lock, so memberlist callbacks may call them.
type reconnects struct {
	mu           sync.Mutex
	addrs        map[string]reconnect // by node name
	conflictSeen time.Time
}

type reconnect struct {
	addr   string
	failed time.Time
}

func (r *reconnects) remember(name, addr string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs[name] = reconnect{addr: addr, failed: at}
}

func (r *reconnects) forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.addrs, name)
}

// count returns how many failed members are remembered.
func (r *reconnects) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.addrs)
}

func (r *reconnects) selfConflict(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conflictSeen = at
}

// targets returns failed members' addresses still inside window (expiring the
// rest) and whether a self-conflict is recent.
func (r *reconnects) targets(now time.Time, window time.Duration) ([]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for name, rc := range r.addrs {
		if now.Sub(rc.failed) > window {
			delete(r.addrs, name)
			continue
		}
		out = append(out, rc.addr)
	}
	return out, !r.conflictSeen.IsZero() && now.Sub(r.conflictSeen) < selfConflictWindow
}

// joinSeeds makes up to JoinAttempts rounds over the seeds with doubling
// backoff. Unreachable seeds are not an error (the rejoin loop keeps trying);
// a cancelled ctx is.
func (c *Cluster) joinSeeds(ctx context.Context) error {
	seeds := c.otherSeeds()
	if len(seeds) == 0 {
		return nil
	}
	backoff := c.cfg.JoinBackoff
	for attempt := 1; ; attempt++ {
		n, err := c.ml.Join(seeds)
		if n > 0 {
			c.log.Info("joined cluster", "seeds_reached", n, "attempt", attempt)
			return nil
		}
		if attempt >= c.cfg.JoinAttempts {
			c.log.Warn("no seed reachable; running alone and retrying in the background", "seeds", seeds, "err", err)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: join %v: %w", seeds, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, c.cfg.RejoinInterval)
	}
}

// otherSeeds drops our own advertised address from the seed list.
func (c *Cluster) otherSeeds() []string {
	return slices.DeleteFunc(slices.Clone(c.cfg.Seeds), func(s string) bool { return s == c.selfAddr })
}

// rejoinLoop, every RejoinInterval, push/pulls with seeds and recently failed
// members that are not alive (so partitions heal and a lone node finds the
// cluster), and after a conflict about our own name with live members too
// (so a node restarted on a new address is re-announced once peers have
// declared its old address dead).
func (c *Cluster) rejoinLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.RejoinInterval)
	defer t.Stop()
	var lagging map[string]string // name -> addr, from the previous tick
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if c.leaving.Load() {
			continue
		}
		targets := c.rejoinTargets(time.Now())
		var stale []string
		stale, lagging = c.staleMembers(lagging)
		c.rejoin(append(targets, stale...))
	}
}

// staleMembers returns the addresses of members that advertised a ring
// version other than ours both now and at the previous tick, and the current
// lagging set. Their metadata update was probably lost (gossip also goes to
// dead nodes, so a small cluster can miss one); a push/pull fetches it
// without waiting for the next periodic push/pull.
func (c *Cluster) staleMembers(prev map[string]string) ([]string, map[string]string) {
	r := c.ring.Load()
	now := map[string]string{}
	var out []string
	for _, m := range r.members {
		if m.RingVersion == r.version {
			continue
		}
		now[m.Name] = m.GossipAddr
		if prev[m.Name] == m.GossipAddr {
			out = append(out, m.GossipAddr)
		}
	}
	return out, now
}

// rejoin push/pulls with each address in turn, stopping early on Close so
// that unreachable addresses (TCP timeouts) do not hold Close up for long.
func (c *Cluster) rejoin(addrs []string) {
	for _, a := range addrs {
		select {
		case <-c.stop:
			return
		default:
		}
		n, err := c.ml.Join([]string{a})
		c.log.Debug("rejoin attempt", "target", a, "reached", n, "err", err)
	}
}

// rejoinTargets lists addresses to push/pull with this round.
func (c *Cluster) rejoinTargets(now time.Time) []string {
	alive := map[string]bool{}
	var live []string
	for name, n := range c.view.snapshot() {
		alive[n.addr] = true
		if name != c.cfg.NodeName {
			live = append(live, n.addr)
		}
	}
	failed, conflict := c.reconn.targets(now, c.cfg.ReconnectWindow)
	var out []string
	for _, a := range append(c.otherSeeds(), failed...) {
		if !alive[a] && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if conflict {
		out = append(out, live[:min(len(live), 3)]...)
	}
	return out
}
