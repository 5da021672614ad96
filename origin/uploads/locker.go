package uploads

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
)

// lockRetryMax caps the pause between two attempts to take a lease.
const lockRetryMax = 200 * time.Millisecond

// locker is tusd's Locker over PostgreSQL leases, so requests on one upload
// are serialised across origin processes. A waiter asks the holder to let
// go (tusd then ends the holder's request, keeping what it received).
type locker struct {
	locks Locks
	cfg   Config
}

// NewLock returns an unlocked lease for upload id; the tenant comes from
// the request context given to Lock.
func (l *locker) NewLock(id string) (handler.Lock, error) {
	return &lease{locker: l, id: id}, nil
}

// lease is one request's hold on an upload. Lock and Unlock are called by
// one request goroutine; the renewal goroutine is owned by the lease and
// stopped by Unlock.
type lease struct {
	locker *locker
	id     string
	tenant string
	holder string
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

func newHolder() string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// Lock blocks until the lease is held or ctx ends (handler.ErrLockTimeout).
// requestUnlock is called, at most once, when another request wants the
// upload or the lease was lost.
func (x *lease) Lock(ctx context.Context, requestUnlock func()) (err error) {
	defer func() { err = tusError(err) }()
	ex := exchangeFrom(ctx)
	if ex == nil {
		return errNoTenant
	}
	x.tenant, x.holder = ex.tenant, newHolder()
	locks, ttl := x.locker.locks, x.locker.cfg.LockTTL
	pause, asked := 5*time.Millisecond, false
	for {
		ok, err := locks.TryAcquire(ctx, x.tenant, x.id, x.holder, ttl)
		if ctx.Err() != nil {
			return handler.ErrLockTimeout
		}
		if err != nil {
			return err
		}
		if ok {
			x.startRenewing(requestUnlock)
			return nil
		}
		if !asked {
			asked = locks.RequestRelease(ctx, x.tenant, x.id) == nil
		}
		select {
		case <-ctx.Done():
			return handler.ErrLockTimeout
		case <-time.After(pause):
		}
		pause = min(2*pause, lockRetryMax)
	}
}

func (x *lease) startRenewing(requestUnlock func()) {
	x.stop, x.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(x.done)
		ticker := time.NewTicker(x.locker.cfg.LockRenew)
		defer ticker.Stop()
		for {
			select {
			case <-x.stop:
				return
			case <-ticker.C:
				if x.renew() {
					x.once.Do(requestUnlock)
				}
			}
		}
	}()
}

// renew extends the lease and reports whether the holder should let go.
// A failed renewal is retried on the next tick; the lease outlasts
// several ticks.
func (x *lease) renew() (letGo bool) {
	cfg := x.locker.cfg
	ctx, cancel := context.WithTimeout(context.Background(), cfg.LockRenew)
	defer cancel()
	held, asked, err := x.locker.locks.Renew(ctx, x.tenant, x.id, x.holder, cfg.LockTTL)
	return err == nil && (!held || asked)
}

// Unlock stops renewing and releases the lease; it waits for the renewal
// goroutine to end.
func (x *lease) Unlock() error {
	if x.stop == nil {
		return errors.New("uploads: unlock of a lease that is not held")
	}
	close(x.stop)
	<-x.done
	x.stop = nil
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return x.locker.locks.Release(ctx, x.tenant, x.id, x.holder)
}
