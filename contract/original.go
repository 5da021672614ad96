package contract

import (
	"strings"
	"time"
)

// The headers that carry an original's metadata, from the origin to an
// edge (GET /v1/{tenant}/originals/…) and from an edge to another
// (/_peer/o/…), besides ETag, Content-Type, Cache-Control and
// Last-Modified. HeaderVersion also answers an upload.
const (
	HeaderVersion    = "Pixcdn-Version"    // the image version, decimal
	HeaderVisibility = "Pixcdn-Visibility" // VisibilityPublic or VisibilitySigned
	HeaderTags       = "Pixcdn-Tags"       // the image's tags, JoinTags
)

// Visibility values.
const (
	VisibilityPublic = "public" // served to anyone
	VisibilitySigned = "signed" // served only under a valid URL signature
)

// Original is an original image and its metadata, as the origin serves it
// and edges pass it to each other.
type Original struct {
	Body         []byte // nil when NotModified
	ETag         string // strong, quoted
	ContentType  string
	CacheControl string // the tenant's policy
	Visibility   string // VisibilityPublic or VisibilitySigned
	LastModified time.Time
	Version      int64
	Tags         []string
	NotModified  bool // a conditional fetch's ETag is still current
}

// JoinTags is HeaderTags' value for tags ("" for none).
func JoinTags(tags []string) string { return strings.Join(tags, ",") }

// SplitTags parses a HeaderTags value; nil for "".
func SplitTags(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}
