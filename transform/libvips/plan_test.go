package libvips

import (
	"testing"

	"pixcdn/transform"
)

func TestGravityOffset(t *testing.T) {
	cases := []struct {
		g    transform.Gravity
		x, y int
	}{
		{transform.Gravity{}, 50, 25},
		{transform.Gravity{Kind: transform.GravityNorthWest}, 0, 0},
		{transform.Gravity{Kind: transform.GravitySouthEast}, 100, 50},
		{transform.Gravity{Kind: transform.GravityFocal, X: 0, Y: 1}, 0, 50},
		{transform.Gravity{Kind: transform.GravityFocal, X: 0.5, Y: 0.4}, 50, 15},
	}
	for _, c := range cases {
		if x, y := gravityOffset(200, 100, 100, 50, c.g); x != c.x || y != c.y {
			t.Errorf("%v: offset %d,%d want %d,%d", c.g, x, y, c.x, c.y)
		}
	}
}

func TestCoverSizeCoversAndCaps(t *testing.T) {
	if w, h := coverSize(640, 480, 100, 100); w != 134 || h != 100 {
		t.Errorf("coverSize = %d×%d", w, h)
	}
	if w, h := coverSize(10, 10000, 8192, 10); w > transform.MaxSide || h > transform.MaxSide {
		t.Errorf("coverSize exceeds MaxSide: %d×%d", w, h)
	}
}
