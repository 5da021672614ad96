package imgurl

import (
	"errors"
	"testing"
	"time"
)

func TestInfoTakesNoOtherOption(t *testing.T) {
	p := testParser(t, Config{SignKeys: [][]byte{key1}, Presets: map[string]string{"thumb": "w=200"}})
	for _, q := range []string{"info", "info=", "info=1"} {
		r, err := p.Parse("/acme/x.jpg", q)
		if err != nil || !r.Info || r.Options != "" {
			t.Errorf("Parse(%q) = %+v, %v; want Info and no options", q, r, err)
		}
	}
	if r, err := p.Parse("/acme/x.jpg", "w=1"); err != nil || r.Info {
		t.Errorf("w=1: Info %v, %v", r.Info, err)
	}
	for _, bad := range []string{"info&w=100", "info&p=thumb", "info=yes", "info&info", "fm=png&info=1"} {
		if _, err := p.Parse("/acme/x.jpg", bad); !errors.Is(err, ErrBadQuery) {
			t.Errorf("Parse(%q) error = %v; want ErrBadQuery", bad, err)
		}
	}
}

func TestInfoIsSignedLikeAVariant(t *testing.T) {
	p := testParser(t, Config{SignKeys: [][]byte{key1}, Now: func() time.Time { return time.Unix(1000, 0) }})
	signed := SignURL(key1, "/acme/x.jpg", "info")
	r, err := p.Parse("/acme/x.jpg", signed[len("/acme/x.jpg?"):])
	if err != nil || !r.Info || !r.Signed {
		t.Fatalf("signed info: %+v, %v", r, err)
	}
	if _, err := p.Parse("/acme/x.jpg", "info&s="+Sign(key1, "/acme/x.jpg", "w=1")); !errors.Is(err, ErrSignature) {
		t.Errorf("info under another URL's signature: %v; want ErrSignature", err)
	}
	until := SignURLUntil(key1, "/acme/x.jpg", "info", time.Unix(2000, 0))
	if r, err := p.Parse("/acme/x.jpg", until[len("/acme/x.jpg?"):]); err != nil || !r.Info || r.Expires.Unix() != 2000 {
		t.Errorf("expiring signed info: %+v, %v", r, err)
	}
}

func TestInfoAllowedInPresetsOnlyMode(t *testing.T) {
	p := testParser(t, Config{PresetsOnly: true, Presets: map[string]string{"thumb": "w=200"}})
	if r, err := p.Parse("/acme/x.jpg", "info"); err != nil || !r.Info {
		t.Fatalf("info in presets-only mode: %+v, %v", r, err)
	}
}

func TestPresetsCannotAskForInfo(t *testing.T) {
	if err := (Config{Presets: map[string]string{"meta": "info"}}).Validate(); err == nil {
		t.Fatal("a preset setting info was accepted")
	}
}
