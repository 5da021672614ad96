package origin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"pixcdn/contract"
)

// URLSigner signs an edge URL, given as its path and query exactly as a
// browser will send them (percent-encoded, without s or exp), so that edges
// holding the same key accept it; expires is when edges start refusing it
// (zero: never). It returns path?query with exp and s appended. The origin
// never sees the key; cmd wires the edge's signing code in.
type URLSigner func(rawPath, rawQuery string, expires time.Time) string

// Limits of one POST /v1/{tenant}/sign.
const (
	maxSignURLs      = 64
	maxSignURLLen    = 2048
	maxSignExpiresIn = 366 * 24 * 60 * 60 // seconds
)

// signRequest is the body of POST /v1/{tenant}/sign.
type signRequest struct {
	URLs      []string `json:"urls"`       // "/tenant/public/id?w=400&fm=auto"
	ExpiresIn int64    `json:"expires_in"` // seconds from now; 0: the URLs never expire
}

// signAnswer is its answer: the signed URLs in the order asked.
type signAnswer struct {
	URLs    []string `json:"urls"`
	Expires int64    `json:"expires,omitempty"` // Unix seconds; absent when they never expire
}

// signURLs: POST /v1/{tenant}/sign {"urls":[…],"expires_in":3600} →
// {"urls":[…]}, for editors and admins of the tenant: the web console gets
// signed preview and copy URLs without ever holding the signing key.
func (s *Service) signURLs(sign URLSigner) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant := r.PathValue("tenant")
		if _, err := s.authorize(r, WriteImages, tenant); err != nil {
			writeError(w, err)
			return
		}
		var body signRequest
		if err := decodeJSON(r, &body); err != nil {
			writeError(w, err)
			return
		}
		if len(body.URLs) == 0 || len(body.URLs) > maxSignURLs {
			writeError(w, fmt.Errorf("%w: give 1–%d urls", ErrInvalid, maxSignURLs))
			return
		}
		if body.ExpiresIn < 0 || body.ExpiresIn > maxSignExpiresIn {
			writeError(w, fmt.Errorf("%w: expires_in must be 0 (never) to %d seconds", ErrInvalid, maxSignExpiresIn))
			return
		}
		var answer signAnswer
		var expires time.Time
		if body.ExpiresIn > 0 {
			expires = time.Now().Add(time.Duration(body.ExpiresIn) * time.Second)
			answer.Expires = expires.Unix()
		}
		for _, u := range body.URLs {
			rawPath, rawQuery, err := signable(tenant, u)
			if err != nil {
				writeError(w, err)
				return
			}
			answer.URLs = append(answer.URLs, sign(rawPath, rawQuery, expires))
		}
		writeJSON(w, http.StatusOK, answer)
	}
}

// signable splits u ("/tenant/id?query") into the path and query to sign,
// refusing anything outside tenant, an invalid public id, and a query that
// already carries s or exp.
func signable(tenant, u string) (rawPath, rawQuery string, err error) {
	if len(u) > maxSignURLLen {
		return "", "", fmt.Errorf("%w: url longer than %d bytes", ErrInvalid, maxSignURLLen)
	}
	rawPath, rawQuery, _ = strings.Cut(u, "?")
	rest, ok := strings.CutPrefix(rawPath, "/"+tenant+"/")
	if !ok {
		return "", "", fmt.Errorf("%w: url %q is not a path under /%s/", ErrInvalid, u, tenant)
	}
	id, err := url.PathUnescape(rest)
	if err != nil {
		return "", "", fmt.Errorf("%w: url %q: bad percent-encoding", ErrInvalid, u)
	}
	if err := contract.CheckPublicID(id); err != nil {
		return "", "", fmt.Errorf("%w: url %q: %v", ErrInvalid, u, err)
	}
	for param := range strings.SplitSeq(rawQuery, "&") {
		name, _, _ := strings.Cut(param, "=")
		if name == "s" || name == "exp" {
			return "", "", fmt.Errorf("%w: url %q already has %s=; the origin adds s and exp", ErrInvalid, u, name)
		}
	}
	return rawPath, rawQuery, nil
}
