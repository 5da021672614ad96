package imgurl

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// Sign returns the signature of a URL: the unpadded base64url encoding of
// HMAC-SHA256(key, rawPath + "?" + rawQuery), with "?" omitted when rawQuery
// is empty. rawPath and rawQuery are as sent (percent-encoded), and rawQuery
// must not contain the "s" parameter.
func Sign(key []byte, rawPath, rawQuery string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(rawPath))
	if rawQuery != "" {
		m.Write([]byte{'?'})
		m.Write([]byte(rawQuery))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SignURL returns rawPath?rawQuery&s=SIG (or rawPath?s=SIG), ready to publish.
func SignURL(key []byte, rawPath, rawQuery string) string {
	sig := Sign(key, rawPath, rawQuery)
	if rawQuery == "" {
		return rawPath + "?s=" + sig
	}
	return rawPath + "?" + rawQuery + "&s=" + sig
}

// SignURLUntil returns rawPath?rawQuery&exp=UNIX&s=SIG: a signed URL that
// edges refuse with 403 from expires on (to the second, rounded down).
// rawQuery must contain neither s nor exp.
func SignURLUntil(key []byte, rawPath, rawQuery string, expires time.Time) string {
	q := expParam + "=" + strconv.FormatInt(expires.Unix(), 10)
	if rawQuery != "" {
		q = rawQuery + "&" + q
	}
	return SignURL(key, rawPath, q)
}

// verify reports whether sig is the signature of rawPath/rawQuery under any
// of keys. Comparison is constant-time per key.
func verify(keys [][]byte, rawPath, rawQuery, sig string) bool {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	ok := false
	for _, k := range keys {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(rawPath))
		if rawQuery != "" {
			m.Write([]byte{'?'})
			m.Write([]byte(rawQuery))
		}
		if hmac.Equal(m.Sum(nil), got) {
			ok = true
		}
	}
	return ok
}
