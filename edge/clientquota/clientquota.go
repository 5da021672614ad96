// Package clientquota bounds how much of a shared resource one client may
// hold at once: a count per client address, refused past the quota, so one
// client cannot fill a queue the others need.
package clientquota

import (
	"net/netip"
	"sync"
)

// Quota counts what each client holds. The zero value is not usable: use
// New. Safe for concurrent use.
type Quota struct {
	max     int
	mu      sync.Mutex
	held    map[netip.Addr]int
	refused int64
}

// New returns a Quota of at most max per client; max < 1 means no bound.
func New(max int) *Quota { return &Quota{max: max, held: map[netip.Addr]int{}} }

// Acquire takes one unit for client and reports whether it was under its
// quota; on true the caller must call Release once. An invalid client (the
// zero Addr) is not counted and always admitted.
func (q *Quota) Acquire(client netip.Addr) bool {
	if q.max < 1 || !client.IsValid() {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.held[client] >= q.max {
		q.refused++
		return false
	}
	q.held[client]++
	return true
}

// Release returns a unit taken by a successful Acquire.
func (q *Quota) Release(client netip.Addr) {
	if q.max < 1 || !client.IsValid() {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if n := q.held[client]; n > 1 {
		q.held[client] = n - 1
	} else {
		delete(q.held, client)
	}
}

// Refused returns how many Acquires were refused.
func (q *Quota) Refused() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.refused
}

// Held returns how many units client holds.
func (q *Quota) Held(client netip.Addr) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.held[client]
}

// Total returns how many units all clients hold.
func (q *Quota) Total() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, h := range q.held {
		n += h
	}
	return n
}

// Clients returns how many clients hold at least one unit.
func (q *Quota) Clients() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.held)
}
