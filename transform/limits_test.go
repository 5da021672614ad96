package transform

import (
	"errors"
	"testing"
)

func TestCheckWork(t *testing.T) {
	l := DefaultLimits()
	const mp = 1_000_000
	for _, c := range []struct {
		name              string
		o                 Options
		src, peak, effect int64
		wantParam         string
	}{
		{"within", Options{Width: 400}, 5 * mp, 1 * mp, 1 * mp, ""},
		{"enlarged past the limit", Options{Width: 8192, Height: 8192, Fit: FitFill}, 5 * mp, 67 * mp, 67 * mp, "w,h"},
		{"re-encoding a large source", Options{Format: WebP}, 40 * mp, 40 * mp, 40 * mp, ""},
		{"blur within", Options{Blur: 14}, 5 * mp, 5 * mp, 5 * mp, ""},
		{"blur past", Options{Blur: 15}, 5 * mp, 5 * mp, 5 * mp, "blur"},
		{"blur 100 on a thumbnail", Options{Blur: 100}, 5 * mp, mp / 10, mp / 10, ""},
		{"sharpen past", Options{Sharpen: 40}, 5 * mp, 1 * mp, 1 * mp, "sharpen"},
	} {
		err := l.CheckWork(c.o, c.src, c.peak, c.effect)
		var oe *OptionError
		switch {
		case c.wantParam == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantParam != "" && (!errors.As(err, &oe) || oe.Param != c.wantParam || !errors.Is(err, ErrInvalidOption)):
			t.Errorf("%s: %v, want an option error naming %s", c.name, err, c.wantParam)
		}
	}
	if (Limits{MaxSourceBytes: 1, MaxPixels: 1, MaxFrames: 1, MaxTotalPixels: 1}).Validate() == nil {
		t.Error("limits without output bounds validated")
	}
}
