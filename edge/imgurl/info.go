package imgurl

import "fmt"

// InfoParam is the query parameter that asks for an image's description
// (JSON) instead of the image: `?info`, `?info=` or `?info=1`.
const InfoParam = "info"

// infoOnly reports whether params ask for info; it refuses (ErrBadQuery) an
// info parameter with another value or beside any option or preset (only
// exp may accompany it, and s, removed before).
func infoOnly(params []param) (bool, error) {
	info := false
	for _, p := range params {
		if p.key != InfoParam {
			continue
		}
		if p.value != "" && p.value != "1" {
			return false, fmt.Errorf("%w: info: takes no value (or 1), got %q", ErrBadQuery, truncate(p.value))
		}
		info = true
	}
	if !info {
		return false, nil
	}
	for _, p := range params {
		if p.key != InfoParam && p.key != expParam {
			return false, fmt.Errorf("%w: info: takes no other option, got %s", ErrBadQuery, truncate(p.key))
		}
	}
	return true, nil
}
