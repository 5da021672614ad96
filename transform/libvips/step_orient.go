package libvips

import (
	"github.com/davidbyttow/govips/v2/vips"

	"pixcdn/transform"
)

// rotate turns the image clockwise by Options.Rotate. govips rotates
// animations frame by frame only for 90/270, so 180 is done as 2×90 there.
func rotate(j *job) error {
	switch j.opts.Rotate {
	case 90:
		return j.rot(vips.Angle90, 1)
	case 180:
		if j.frames() > 1 {
			return j.rot(vips.Angle90, 2)
		}
		return j.rot(vips.Angle180, 1)
	case 270:
		return j.rot(vips.Angle270, 1)
	}
	return nil
}

func (j *job) rot(a vips.Angle, times int) error {
	for range times {
		if err := j.img.Rotate(a); err != nil {
			return corrupt("rotate", err)
		}
	}
	return nil
}

// flip mirrors the image. A vertical flip of an animation strip would also
// reverse the frames, so there it is a horizontal flip plus a 180° turn.
func flip(j *job) error {
	switch j.opts.Flip {
	case transform.FlipHorizontal:
		return j.mirror(vips.DirectionHorizontal)
	case transform.FlipVertical:
		if j.frames() > 1 {
			if err := j.mirror(vips.DirectionHorizontal); err != nil {
				return err
			}
			return j.rot(vips.Angle90, 2)
		}
		return j.mirror(vips.DirectionVertical)
	}
	return nil
}

func (j *job) mirror(d vips.Direction) error {
	if err := j.img.Flip(d); err != nil {
		return corrupt("flip", err)
	}
	return nil
}
