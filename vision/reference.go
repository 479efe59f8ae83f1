package vision

import (
	"errors"
	"image"
	"math"

	"github.com/faceverify/faceverify"
)

// Which faces of a photo are its subjects (Subjects, ReferenceFace, PickLargest):
//   - faces out of focus compared with the sharpest face (Focus < FocusRatio × the best)
//     are blurred people in the background and are ignored;
//   - faces whose box side is less than BackgroundRatio × the largest remaining face's side
//     are small people in the background and are ignored.
//
// A reference photo must have exactly one subject, at least MinFaceSize px high.
const (
	BackgroundRatio = 1.0 / 3
	FocusRatio      = 0.25
	MinFaceSize     = 40
)

// Subjects returns the faces that are not background (see above), largest first.
func Subjects(faces []Face) []Face {
	var best float32
	for _, f := range faces {
		best = max(best, f.Focus)
	}
	var sharp []Face
	for _, f := range faces {
		if f.Focus >= FocusRatio*best {
			sharp = append(sharp, f)
		}
	}
	if len(sharp) == 0 {
		return nil
	}
	side := func(f Face) float32 { return max(f.Box[2]-f.Box[0], f.Box[3]-f.Box[1]) }
	var big float32
	for _, f := range sharp {
		big = max(big, side(f))
	}
	out := sharp[:0]
	for _, f := range sharp {
		if side(f) >= float32(BackgroundRatio)*big {
			out = append(out, f)
		}
	}
	return out
}

// Messages of the errors ReferenceFace returns (faceverify.EINVALID).
const (
	MsgNotImage  = "not an image"
	MsgNoFace    = "no face"
	MsgManyFaces = "more than one face"
	MsgTooSmall  = "no face: face too small"
)

// ReferenceFace decodes a reference photo (ID photo, image_ref, registry photo) and returns
// its one usable face with embedding, landmarks and quality. Errors are *faceverify.Error
// with Code faceverify.EINVALID and a Message from Msg* (no Key: the caller sets it).
func (e *Engine) ReferenceFace(data []byte) (Face, error) {
	img, err := Decode(data)
	if err != nil {
		return Face{}, &faceverify.Error{Code: faceverify.EINVALID, Message: MsgNotImage}
	}
	return e.ReferenceFaceImage(img)
}

// ReferenceFaceImage is ReferenceFace for an already decoded image.
func (e *Engine) ReferenceFaceImage(img *image.RGBA) (Face, error) {
	faces, err := e.Faces(img, 0)
	if err != nil {
		if errors.Is(err, ErrBadImage) {
			return Face{}, &faceverify.Error{Code: faceverify.EINVALID, Message: MsgNotImage}
		}
		return Face{}, err
	}
	if len(faces) == 0 {
		return Face{}, &faceverify.Error{Code: faceverify.EINVALID, Message: MsgNoFace}
	}
	subj := Subjects(faces)
	if len(subj) > 1 {
		return Face{}, &faceverify.Error{Code: faceverify.EINVALID, Message: MsgManyFaces}
	}
	f := subj[0]
	if f.Box[3]-f.Box[1] < MinFaceSize {
		return Face{}, &faceverify.Error{Code: faceverify.EINVALID, Message: MsgTooSmall}
	}
	if err := e.fill(img, &f, NeedEmbedding|NeedQuality); err != nil {
		return Face{}, err
	}
	return f, nil
}

// MouthOpening is the inner-lip gap (mean of points 61–63 to 67–65) divided by the mouth
// width (48–54): about 0 closed, 0.3+ wide open.
func MouthOpening(lm *[68]Point) float32 {
	w := dist(lm[48], lm[54])
	if w <= 0 {
		return 0
	}
	g := (dist(lm[61], lm[67]) + dist(lm[62], lm[66]) + dist(lm[63], lm[65])) / 3
	return g / w
}

func dist(a, b Point) float32 {
	dx, dy := float64(a.X-b.X), float64(a.Y-b.Y)
	return float32(math.Sqrt(dx*dx + dy*dy))
}
