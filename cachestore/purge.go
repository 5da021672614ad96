package cachestore

import (
	"errors"
	"fmt"
)

// ErrBadPurge is wrapped by the errors Purge.Validate returns.
var ErrBadPurge = errors.New("cachestore: invalid purge")

// Purge names what to forget. Within a tenant, PublicIDs, Tags and Prefix
// may be combined (their union is purged). All with a Tenant purges the
// whole tenant; All without a Tenant purges everything.
type Purge struct {
	Tenant    string
	PublicIDs []string // exact public ids
	Tags      []string // every image carrying any of these tags
	Prefix    string   // every public id starting with this; "" means none
	All       bool
}

// Validate reports a purge that names nothing, or names a scope without
// its tenant, wrapping ErrBadPurge.
func (p Purge) Validate() error {
	narrow := len(p.PublicIDs) > 0 || len(p.Tags) > 0 || p.Prefix != ""
	switch {
	case p.All && narrow:
		return fmt.Errorf("%w: All excludes PublicIDs, Tags and Prefix", ErrBadPurge)
	case !p.All && p.Tenant == "":
		return fmt.Errorf("%w: Tenant is required unless All is set", ErrBadPurge)
	case !p.All && !narrow:
		return fmt.Errorf("%w: set PublicIDs, Tags, Prefix or All", ErrBadPurge)
	}
	for _, id := range p.PublicIDs {
		if id == "" {
			return fmt.Errorf("%w: empty public id", ErrBadPurge)
		}
	}
	for _, t := range p.Tags {
		if t == "" {
			return fmt.Errorf("%w: empty tag", ErrBadPurge)
		}
	}
	return nil
}

// scopes lists the generation counters p bumps.
func (p Purge) scopes() []scope {
	if p.All && p.Tenant == "" {
		return []scope{{kind: scopeAll}}
	}
	if p.All {
		return []scope{{kind: scopeTenant, tenant: p.Tenant}}
	}
	out := make([]scope, 0, len(p.PublicIDs)+len(p.Tags)+1)
	for _, id := range p.PublicIDs {
		out = append(out, scope{kind: scopeImage, tenant: p.Tenant, value: id})
	}
	for _, t := range p.Tags {
		out = append(out, scope{kind: scopeTag, tenant: p.Tenant, value: t})
	}
	if p.Prefix != "" {
		out = append(out, scope{kind: scopePrefix, tenant: p.Tenant, value: p.Prefix})
	}
	return out
}
