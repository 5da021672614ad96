package origin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// Role is what a key may do.
type Role string

// Roles. Tenant keys are admin, editor or viewer; system keys (no tenant)
// are edge (read every tenant's originals and the feed) or admin
// (everything, like the bootstrap key from configuration).
const (
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
	RoleEdge   Role = "edge"
)

// KeyRecord is a stored API key: its hash, never the key.
type KeyRecord struct {
	Hash   []byte // SHA-256 of the key
	Tenant string // "" for a system key
	Role   Role
}

// Principal is who a request acts as.
type Principal struct {
	Tenant string // "" for system keys
	Role   Role
}

// Action is something a principal may be allowed to do on a tenant.
type Action int

// Actions, from least to most privileged for tenant keys.
const (
	ReadOriginals Action = iota // GET/HEAD originals
	ReadImages                  // metadata and listing
	WriteImages                 // PUT, POST, PATCH, DELETE, purge, uploads
	ManageKeys                  // create the tenant's keys
	ManageSystem                // create tenants and system keys
	ReadEvents                  // the cross-tenant feed
)

// Can reports whether p may do a on tenant ("" for system actions).
// Safe for concurrent use.
func (p Principal) Can(a Action, tenant string) bool {
	if p.Tenant == "" {
		switch p.Role {
		case RoleAdmin:
			return true
		case RoleEdge:
			return a == ReadOriginals || a == ReadEvents
		}
		return false
	}
	if tenant == "" || tenant != p.Tenant {
		return false
	}
	switch p.Role {
	case RoleAdmin:
		return a <= ManageKeys
	case RoleEditor:
		return a <= WriteImages
	case RoleViewer:
		return a <= ReadImages
	}
	return false
}

// NewKey returns a fresh random API key (shown once) and its hash.
func NewKey() (key string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	key = "pk_" + base64.RawURLEncoding.EncodeToString(b[:])
	return key, HashKey(key)
}

// HashKey returns the stored form of key.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// bearer returns the key of an "Authorization: Bearer KEY" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" || len(key) > 256 {
		return "", false
	}
	return strings.TrimSpace(key), true
}

// Authenticate resolves the request's Bearer key to a principal: the
// bootstrap admin key from Config.AdminKey, else a stored key (cached for
// Config.KeyCacheTTL). It returns ErrUnauthorized for a missing or unknown
// key. Safe for concurrent use; blocks on the catalog on a cache miss.
func (s *Service) Authenticate(r *http.Request) (Principal, error) {
	key, ok := bearer(r)
	if !ok {
		return Principal{}, ErrUnauthorized
	}
	if s.cfg.AdminKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.AdminKey)) == 1 {
		return Principal{Role: RoleAdmin}, nil
	}
	return s.keys.lookup(r.Context(), HashKey(key))
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p (set by the HTTP layer after
// authentication, read by mounted handlers such as tus uploads).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal the HTTP layer authenticated.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
