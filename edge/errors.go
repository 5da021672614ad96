package edge

import (
	"context"
	"errors"
	"net/http"

	"pixcdn/contract"
	"pixcdn/edge/imgurl"
)

// Sentinel errors of the request path. Dependencies wrap them (see deps.go);
// statusFor maps them to HTTP status codes in one place.
var (
	ErrInvalidOption  = errors.New("invalid option")
	ErrNotFound       = errors.New("image not found")
	ErrForbidden      = errors.New("signature required")
	ErrSourceTooLarge = errors.New("source image too large")
	ErrUnsupported    = errors.New("unsupported image format")
	ErrUndecodable    = errors.New("image cannot be processed")
	ErrOverloaded     = errors.New("overloaded, retry later")
	// ErrTooManyMisses: the client already waits on as many fills as
	// Config.MaxMissesPerClient allows.
	ErrTooManyMisses = errors.New("too many uncached requests from your address, retry later")
	ErrOrigin        = errors.New("origin error")
	ErrOriginTimeout = errors.New("origin timeout")
)

// statusFor maps an error of the request path to its HTTP status and the
// short plain-text body sent to the client. Nothing internal leaks: the
// body is the sentinel's text, except for 400s, which name the parameter.
func statusFor(err error) (int, string) {
	switch {
	case errors.Is(err, imgurl.ErrBadQuery), errors.Is(err, ErrInvalidOption), errors.Is(err, imgurl.ErrBadID):
		return http.StatusBadRequest, clientMessage(err)
	case errors.Is(err, contract.ErrInvalidID):
		// The origin refused an id the edge let through: still the client's.
		return http.StatusBadRequest, "bad image id"
	case errors.Is(err, imgurl.ErrBadPath):
		return http.StatusNotFound, "not found: " + clientMessage(err)
	case errors.Is(err, imgurl.ErrSignature), errors.Is(err, ErrForbidden):
		return http.StatusForbidden, "forbidden: bad or missing signature"
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "image not found"
	case errors.Is(err, ErrSourceTooLarge):
		return http.StatusRequestEntityTooLarge, "source image too large"
	case errors.Is(err, ErrUnsupported):
		return http.StatusUnsupportedMediaType, "unsupported image format"
	case errors.Is(err, ErrUndecodable):
		return http.StatusUnprocessableEntity, "image cannot be processed"
	case errors.Is(err, ErrTooManyMisses):
		return http.StatusTooManyRequests, ErrTooManyMisses.Error()
	case errors.Is(err, ErrOverloaded):
		return http.StatusServiceUnavailable, "overloaded, retry later"
	case errors.Is(err, ErrOriginTimeout), errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "origin timeout"
	case errors.Is(err, ErrOrigin):
		return http.StatusBadGateway, "origin error"
	}
	return http.StatusInternalServerError, "internal error"
}

// clientMessage returns the error text, which for bad-option and bad-path
// errors is built from user-facing messages only, bounded in length.
func clientMessage(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
