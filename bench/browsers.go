package bench

// Browser is a client profile: the Accept header a browser sends for
// images and its share of traffic.
type Browser struct {
	Name   string  `json:"name"`
	Accept string  `json:"accept"`
	Weight float64 `json:"weight"`
}

// DefaultBrowsers is a 2025-ish browser mix with the Accept headers those
// browsers send for <img> requests. Weights are relative.
func DefaultBrowsers() []Browser {
	return []Browser{
		{Name: "chrome", Weight: 65,
			Accept: "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"},
		{Name: "safari", Weight: 20,
			Accept: "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"},
		{Name: "firefox", Weight: 10,
			Accept: "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"},
		{Name: "old", Weight: 5,
			Accept: "image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"},
	}
}
