package origin

import (
	"context"
	"encoding/base64"
	"fmt"

	"pixcdn/contract"
)

// Image returns tenant's image publicID (ErrNotFound).
func (s *Service) Image(ctx context.Context, tenant, publicID string) (Image, error) {
	if err := validateRef(tenant, publicID); err != nil {
		return Image{}, err
	}
	return s.catalog.Image(ctx, tenant, publicID)
}

// Page is one page of a listing. Next is the cursor of the following page
// ("" on the last).
type Page struct {
	Images []Image `json:"images"`
	Next   string  `json:"next_cursor"`
}

// List pages through tenant's images in public id order. cursor is a
// previous Page.Next ("" for the first page); limit is clamped to 1..1000
// (0 means 100).
func (s *Service) List(ctx context.Context, tenant, tag, prefix, cursor string, limit int) (Page, error) {
	if !ValidTenant(tenant) {
		return Page{}, fmt.Errorf("%w: bad tenant id", ErrInvalid)
	}
	after, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return Page{}, fmt.Errorf("%w: bad cursor", ErrInvalid)
	}
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	// One extra row tells whether another page follows.
	ims, err := s.catalog.ListImages(ctx, tenant, ListQuery{Tag: tag, Prefix: prefix, After: string(after), Limit: limit + 1})
	if err != nil {
		return Page{}, err
	}
	page := Page{Images: ims}
	if len(ims) > limit {
		page.Images = ims[:limit]
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(ims[limit-1].PublicID))
	}
	if page.Images == nil {
		page.Images = []Image{}
	}
	return page, nil
}

// Patch changes tags, metadata or visibility; a visibility change writes
// an event.
func (s *Service) Patch(ctx context.Context, tenant, publicID string, p Patch) (Image, error) {
	if err := validateRef(tenant, publicID); err != nil {
		return Image{}, err
	}
	if p.Tags != nil {
		if err := ValidateTags(*p.Tags); err != nil {
			return Image{}, err
		}
	}
	if p.Visibility != nil && !p.Visibility.Valid() {
		return Image{}, fmt.Errorf("%w: visibility must be public or signed", ErrInvalid)
	}
	if err := validateMetadata(p.Metadata, s.cfg.MaxMetadataBytes); err != nil {
		return Image{}, err
	}
	im, ev, err := s.catalog.PatchImage(ctx, tenant, publicID, p)
	if err == nil {
		s.committed(ev)
	}
	return im, err
}

// Delete removes the image (its versions stay for history) and writes a
// deleted event.
func (s *Service) Delete(ctx context.Context, tenant, publicID string, cond Precondition) error {
	if err := validateRef(tenant, publicID); err != nil {
		return err
	}
	ev, err := s.catalog.DeleteImage(ctx, tenant, publicID, cond)
	if err == nil {
		s.committed(ev)
	}
	return err
}

// Purge writes a purge-tag event (tags) or a purge-prefix event (prefix);
// exactly one must be given.
func (s *Service) Purge(ctx context.Context, tenant string, tags []string, prefix string) (contract.Event, error) {
	if !ValidTenant(tenant) {
		return contract.Event{}, fmt.Errorf("%w: bad tenant id", ErrInvalid)
	}
	ev := contract.Event{Kind: contract.KindPurgeTag, Tags: tags}
	switch {
	case len(tags) > 0 && prefix == "":
		if err := ValidateTags(tags); err != nil {
			return contract.Event{}, err
		}
	case len(tags) == 0 && prefix != "" && len(prefix) <= contract.MaxPublicIDLen:
		ev = contract.Event{Kind: contract.KindPurgePrefix, Prefix: prefix}
	default:
		return contract.Event{}, fmt.Errorf("%w: give either tags or a prefix", ErrInvalid)
	}
	ev, err := s.catalog.Purge(ctx, tenant, ev)
	if err == nil {
		s.committed(ev)
	}
	return ev, err
}

// CreateTenant creates tenant id with cacheControl ("" = Config.CacheControl).
func (s *Service) CreateTenant(ctx context.Context, id, cacheControl string) (Tenant, error) {
	if !ValidTenant(id) {
		return Tenant{}, fmt.Errorf("%w: tenant id must be 1–63 of [a-z0-9-]", ErrInvalid)
	}
	if cacheControl == "" {
		cacheControl = s.cfg.CacheControl
	}
	if len(cacheControl) > 256 {
		return Tenant{}, fmt.Errorf("%w: cache_control too long", ErrInvalid)
	}
	t := Tenant{ID: id, CacheControl: cacheControl}
	if err := s.catalog.CreateTenant(ctx, t); err != nil {
		return Tenant{}, err
	}
	return s.catalog.Tenant(ctx, id)
}

// CreateKey makes a key with role for tenant ("" = a system key, role
// edge or admin) and returns it: the only time it is ever shown.
func (s *Service) CreateKey(ctx context.Context, tenant string, role Role) (string, error) {
	switch {
	case tenant == "" && role != RoleEdge && role != RoleAdmin:
		return "", fmt.Errorf("%w: system keys have role edge or admin", ErrInvalid)
	case tenant != "" && role != RoleAdmin && role != RoleEditor && role != RoleViewer:
		return "", fmt.Errorf("%w: tenant keys have role admin, editor or viewer", ErrInvalid)
	case tenant != "" && !ValidTenant(tenant):
		return "", fmt.Errorf("%w: bad tenant id", ErrInvalid)
	}
	key, hash := NewKey()
	if err := s.catalog.CreateKey(ctx, KeyRecord{Hash: hash, Tenant: tenant, Role: role}); err != nil {
		return "", err
	}
	return key, nil
}

func validateRef(tenant, publicID string) error {
	if !ValidTenant(tenant) {
		return fmt.Errorf("%w: bad tenant id", ErrInvalid)
	}
	return ValidatePublicID(publicID)
}
