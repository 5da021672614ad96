package origin

import (
	"context"
	"sync"
	"time"
)

// policyCache remembers tenants' Cache-Control policies briefly, so
// serving an original costs no extra catalog round trip. Safe for
// concurrent use.
type policyCache struct {
	mu      sync.Mutex
	entries map[string]policyEntry
}

type policyEntry struct {
	value   string
	expires time.Time
}

const policyTTL = 30 * time.Second

// tenantPolicy returns tenant's Cache-Control policy (ErrNotFound).
func (s *Service) tenantPolicy(ctx context.Context, tenant string) (string, error) {
	now := time.Now()
	s.policies.mu.Lock()
	e, ok := s.policies.entries[tenant]
	s.policies.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.value, nil
	}
	t, err := s.catalog.Tenant(ctx, tenant)
	if err != nil {
		return "", err
	}
	s.policies.mu.Lock()
	if s.policies.entries == nil || len(s.policies.entries) > 10000 {
		s.policies.entries = map[string]policyEntry{}
	}
	s.policies.entries[tenant] = policyEntry{value: t.CacheControl, expires: now.Add(policyTTL)}
	s.policies.mu.Unlock()
	return t.CacheControl, nil
}
