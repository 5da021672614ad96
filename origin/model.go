package origin

import (
	"strings"
	"time"
)

// Visibility says whether an image may be served unsigned.
type Visibility string

// Visibilities.
const (
	Public Visibility = "public"
	Signed Visibility = "signed"
)

// Valid reports whether v is public or signed.
func (v Visibility) Valid() bool { return v == Public || v == Signed }

// Image is the current version of one image with its metadata.
type Image struct {
	Tenant     string     `json:"-"`
	PublicID   string     `json:"public_id"`
	Version    int64      `json:"version"`
	SHA256     string     `json:"-"`
	Bytes      int64      `json:"bytes"`
	Format     string     `json:"format"`
	Width      int        `json:"width"`
	Height     int        `json:"height"`
	Tags       []string   `json:"tags"`
	Metadata   RawJSON    `json:"metadata"`
	Visibility Visibility `json:"visibility"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// ETag is the strong entity tag of the image's bytes: the quoted SHA-256.
func (im Image) ETag() string { return `"` + im.SHA256 + `"` }

// BlobKey is the content-addressed object key of the image's bytes.
func (im Image) BlobKey() string { return BlobKey(im.Tenant, im.SHA256) }

// BlobKey returns the object key of tenant's bytes with hex SHA-256 sha:
// immutable, shared by every version and image with those bytes.
func BlobKey(tenant, sha string) string {
	return "blobs/" + tenant + "/" + sha[:2] + "/" + sha
}

// RawJSON is a JSON value kept as bytes; empty marshals as {}.
type RawJSON []byte

// MarshalJSON implements json.Marshaler.
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("{}"), nil
	}
	return r, nil
}

// Tenant is an isolated namespace of images and keys.
type Tenant struct {
	ID           string    `json:"id"`
	CacheControl string    `json:"cache_control"`
	CreatedAt    time.Time `json:"created_at"`
}

// etagListHas reports whether an If-Match list holds etag (strong
// comparison: W/ tags never match).
func etagListHas(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t == etag || t == "*" {
			return true
		}
	}
	return false
}

// etagListHasWeak reports whether an If-None-Match list holds etag (weak
// comparison, RFC 9110 §13.1.2: W/"x" matches "x").
func etagListHasWeak(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimPrefix(strings.TrimSpace(t), "W/"); t == etag || t == "*" {
			return true
		}
	}
	return false
}

// UnmarshalJSON implements json.Unmarshaler; it keeps a copy of data.
func (r *RawJSON) UnmarshalJSON(data []byte) error {
	*r = append((*r)[:0], data...)
	return nil
}
