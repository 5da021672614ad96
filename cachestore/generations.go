package cachestore

import (
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// Generation is a point on the store's purge clock. Take one with
// Store.Snapshot before a fill starts and hand it to Store.Set when the fill
// ends: an entry is stamped with it and is dead if any purge covering its
// image happened after it.
type Generation uint64

type scopeKind uint8

const (
	scopeAll scopeKind = iota + 1
	scopeTenant
	scopeImage
	scopeTag
	scopePrefix
)

// scope is one purge counter: everything, a tenant, an image, a tag of a
// tenant or a public-id prefix of a tenant.
type scope struct {
	kind   scopeKind
	tenant string
	value  string
}

// generations holds, for every scope purged, the clock value of its
// latest purge, until no entry can need it (trim.go). An entry stamped s
// is alive iff s >= every counter whose scope covers its image. Checking
// costs a handful of map lookups (one per tag and per distinct prefix
// length purged in the tenant), never a scan. Safe for concurrent use.
type generations struct {
	clock      atomic.Uint64 // latest purge; no counter exceeds it
	mu         sync.RWMutex
	purged     map[scope]uint64
	prefixLens map[string][]int // tenant → distinct prefix lengths purged, ascending
}

func newGenerations() *generations {
	return &generations{purged: make(map[scope]uint64), prefixLens: make(map[string][]int)}
}

// alive reports whether an entry of ref stamped stamp survives every purge.
func (g *generations) alive(ref *ImageRef, stamp uint64) bool {
	if stamp >= g.clock.Load() {
		return true // no purge since the stamp: the lock-free common case
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	ok := g.survives(scope{kind: scopeAll}, stamp) &&
		g.survives(scope{kind: scopeTenant, tenant: ref.Tenant}, stamp) &&
		g.survives(scope{kind: scopeImage, tenant: ref.Tenant, value: ref.PublicID}, stamp)
	for _, t := range ref.Tags {
		ok = ok && g.survives(scope{kind: scopeTag, tenant: ref.Tenant, value: t}, stamp)
	}
	for _, n := range g.prefixLens[ref.Tenant] {
		if n > len(ref.PublicID) {
			break
		}
		ok = ok && g.survives(scope{kind: scopePrefix, tenant: ref.Tenant, value: ref.PublicID[:n]}, stamp)
	}
	return ok
}

func (g *generations) survives(s scope, stamp uint64) bool {
	p, ok := g.purged[s]
	return !ok || stamp >= p
}

// apply records that scopes were purged at gen and advances the clock.
// Callers serialise apply calls and pass increasing gens.
func (g *generations) apply(scopes []scope, gen uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range scopes {
		if gen > g.purged[s] {
			g.purged[s] = gen
		}
		if s.kind == scopePrefix {
			g.addPrefixLen(s)
		}
	}
	if gen > g.clock.Load() {
		g.clock.Store(gen)
	}
}

// addPrefixLen notes the length of prefix scope s. Callers hold mu.
func (g *generations) addPrefixLen(s scope) {
	lens := g.prefixLens[s.tenant]
	if i, found := slices.BinarySearch(lens, len(s.value)); !found {
		g.prefixLens[s.tenant] = slices.Insert(lens, i, len(s.value))
	}
}

// scopeKey is the Badger key of a persisted counter:
// 'g', kind, uvarint tenant length, tenant, value.
func scopeKey(s scope) []byte {
	b := []byte{prefixGen, byte(s.kind)}
	b = binary.AppendUvarint(b, uint64(len(s.tenant)))
	b = append(b, s.tenant...)
	return append(b, s.value...)
}

var errBadScopeKey = errors.New("cachestore: bad generation key")

func parseScopeKey(k []byte) (scope, error) {
	if len(k) < 3 || k[0] != prefixGen || k[1] < byte(scopeAll) || k[1] > byte(scopePrefix) {
		return scope{}, errBadScopeKey
	}
	n, w := binary.Uvarint(k[2:])
	if w <= 0 || n > uint64(len(k)-2-w) {
		return scope{}, errBadScopeKey
	}
	rest := k[2+w:]
	return scope{kind: scopeKind(k[1]), tenant: string(rest[:n]), value: string(rest[n:])}, nil
}
