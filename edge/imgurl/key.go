package imgurl

// Keys are length-prefixed so no choice of tenant, public id or options can
// make two different variants collide.

// VariantKey returns the cache and ring key of a variant: the tenant, public
// id, canonical options (transform.Options.Canonical) and the output format
// name (the negotiated one, never the raw Accept header). The returned slice
// is owned by the caller.
func VariantKey(tenant, publicID, canonical, format string) []byte {
	b := make([]byte, 0, 8+len(tenant)+len(publicID)+len(canonical)+len(format))
	b = append(b, "v1|"...)
	b = appendField(b, tenant)
	b = appendField(b, publicID)
	b = appendField(b, canonical)
	return appendField(b, format)
}

// OriginalKey returns the cache and ring key of an original image.
func OriginalKey(tenant, publicID string) []byte {
	b := make([]byte, 0, 8+len(tenant)+len(publicID))
	b = append(b, "o1|"...)
	b = appendField(b, tenant)
	return appendField(b, publicID)
}

func appendField(b []byte, s string) []byte {
	n := len(s)
	b = append(b, byte(n>>8), byte(n))
	b = append(b, s...)
	return append(b, '|')
}

// MasterKey returns the cache key of the working master of an original
// (kept by the original's ring owner, beside OriginalKey).
func MasterKey(tenant, publicID string) []byte {
	b := make([]byte, 0, 8+len(tenant)+len(publicID))
	b = append(b, "m1|"...)
	b = appendField(b, tenant)
	return appendField(b, publicID)
}
