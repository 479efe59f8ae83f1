package gen

import (
	"image"
	"image/color"
	"math"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/idcard/internal/geom"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// This file simulates phone photos of a card (issue 16): portrait or landscape frames, the
// card covering a quarter to nearly all of the frame at any in-plane rotation, tilted in 3-D
// up to ±25°, on procedural backgrounds (plain, wooden desk, fabric, keyboard, printed
// papers), optionally held by a hand, with glare, shadow, motion blur, sensor noise and JPEG.
// Every draw is recorded in a Shot so that an evaluation can report per condition.

// Shot records how one photo was taken. Corners are the card's corners in photo pixels,
// clockwise from the top-left of the upright card.
type Shot struct {
	Side            string        `json:"side,omitempty"`
	Width           int           `json:"width"`
	Height          int           `json:"height"`
	Orientation     string        `json:"orientation"`  // portrait | landscape
	Fill            float64       `json:"fill"`         // card scale / largest scale that fits the frame
	Coverage        float64       `json:"coverage"`     // card area / frame area
	Rotation        float64       `json:"rotation_deg"` // in-plane, 0–360, 0 = upright
	TiltX           float64       `json:"tilt_x_deg"`   // about the card's horizontal axis
	TiltY           float64       `json:"tilt_y_deg"`   // about its vertical axis
	Background      string        `json:"background"`   // plain | desk | fabric | keyboard | papers
	Hand            bool          `json:"hand"`
	Glare           float64       `json:"glare"` // peak added brightness (0 = none)
	GlareOverNumber bool          `json:"glare_over_number"`
	Shadow          float64       `json:"shadow"`      // darkening depth (0 = none)
	MotionBlur      float64       `json:"motion_blur"` // streak length in photo pixels
	Defocus         int           `json:"defocus"`     // box blur radius
	Noise           float64       `json:"noise"`       // sensor noise sigma
	Quality         int           `json:"jpeg_quality"`
	Cut             bool          `json:"cut"` // part of the card outside the frame
	Corners         [4][2]float64 `json:"corners"`
}

// ShotOptions constrain the random draw; the zero value draws from the full range.
type ShotOptions struct {
	Cut         bool    // place the card partly outside the frame
	MaxFill     float64 // upper bound of Fill (default 0.97)
	MinFill     float64 // lower bound of Fill (default 0.55: the card covers ≥ ~25 % of the frame)
	Orientation string  // "portrait" | "landscape" | "" random
	Rotation    float64 // fixed in-plane rotation in degrees when RotationSet
	RotationSet bool
	LongSide    int // frame long side (default random 1280/1600/2048)
	NoEffects   bool
	Defocus     int  // force this box-blur radius (a photo too blurred to read: ≥ 4)
	GlareNumber bool // force a saturating glare spot over the number row
}

var backgrounds = []string{"plain", "desk", "fabric", "keyboard", "papers"}

// Shoot photographs a rendered card side and returns the JPEG and how it was taken.
func (g *Generator) Shoot(card *image.RGBA, o ShotOptions) ([]byte, Shot) {
	r := g.rng
	var s Shot
	long := o.LongSide
	if long == 0 {
		long = []int{1280, 1600, 2048}[r.IntN(3)]
	}
	s.Orientation = o.Orientation
	if s.Orientation == "" {
		s.Orientation = []string{"portrait", "landscape"}[r.IntN(2)]
	}
	s.Width, s.Height = long, long*3/4
	if s.Orientation == "portrait" {
		s.Width, s.Height = s.Height, s.Width
	}
	switch k := r.Float64(); {
	case o.RotationSet:
		s.Rotation = o.Rotation
	case k < 0.4:
		s.Rotation = (r.Float64()*2 - 1) * 10
	case k < 0.85:
		s.Rotation = float64(90*(1+r.IntN(3))) + (r.Float64()*2-1)*10
	default:
		s.Rotation = r.Float64() * 360
	}
	s.Rotation = math.Mod(s.Rotation+360, 360)
	s.TiltX, s.TiltY = (r.Float64()*2-1)*25, (r.Float64()*2-1)*25
	lo, hi := o.MinFill, o.MaxFill
	if lo == 0 {
		lo = 0.55
	}
	if hi == 0 {
		hi = 0.97
	}
	s.Fill = lo + (hi-lo)*r.Float64()
	if !o.NoEffects {
		s.Background = backgrounds[r.IntN(len(backgrounds))]
		s.Hand = r.IntN(10) < 3
		if r.IntN(20) < 7 {
			s.Glare = 60 + 90*r.Float64()
		}
		if r.IntN(10) < 3 {
			s.Shadow = 0.2 + 0.35*r.Float64()
		}
		if r.IntN(10) < 3 {
			s.MotionBlur = 2 + float64(long)/1600*5*r.Float64()
		}
		s.Defocus = r.IntN(2)
		s.Noise = 1 + 4*r.Float64()
	} else {
		s.Background = "plain"
	}
	if o.Defocus > 0 {
		s.Defocus = o.Defocus
	}
	if o.GlareNumber {
		s.Glare = 230
	}
	s.Quality = 50 + r.IntN(46)
	s.Cut = o.Cut

	// The card's corners: rotate in the plane, tilt in 3-D, project with a phone-like focal
	// length (the camera ~2.2 card widths away), then scale and place inside the frame.
	var p [4][2]float64
	th := s.Rotation * math.Pi / 180
	ax, ay := s.TiltX*math.Pi/180, s.TiltY*math.Pi/180
	D := 2.2 * W
	for k, c := range [4][2]float64{{-W / 2, -H / 2}, {W / 2, -H / 2}, {W / 2, H / 2}, {-W / 2, H / 2}} {
		x, y := c[0]*math.Cos(th)-c[1]*math.Sin(th), c[0]*math.Sin(th)+c[1]*math.Cos(th)
		z := 0.0
		y, z = y*math.Cos(ax), y*math.Sin(ax) // about the x axis
		x, z = x*math.Cos(ay)+z*math.Sin(ay), -x*math.Sin(ay)+z*math.Cos(ay)
		p[k] = [2]float64{D * x / (D + z), D * y / (D + z)}
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, q := range p {
		x0, y0, x1, y1 = math.Min(x0, q[0]), math.Min(y0, q[1]), math.Max(x1, q[0]), math.Max(y1, q[1])
	}
	fw, fh := float64(s.Width), float64(s.Height)
	fit := math.Min(fw/(x1-x0), fh/(y1-y0))
	if o.MinFill == 0 && o.MaxFill == 0 { // draw the covered share of the frame: 25 % … as much as fits
		full := quadArea(p) * fit * fit / (fw * fh)
		want := 0.25 + (0.85-0.25)*r.Float64()
		s.Fill = math.Min(0.97, math.Sqrt(want/full))
	}
	sc := s.Fill * fit
	bw, bh := (x1-x0)*sc, (y1-y0)*sc
	tx := (fw-bw)*r.Float64() - x0*sc
	ty := (fh-bh)*r.Float64() - y0*sc
	if o.Cut { // push the card 12–30 % of its extent over one frame edge
		d := 0.12 + 0.18*r.Float64()
		switch r.IntN(4) {
		case 0:
			tx = -x0*sc - d*bw
		case 1:
			tx = fw - bw*(1-d) - x0*sc
		case 2:
			ty = -y0*sc - d*bh
		default:
			ty = fh - bh*(1-d) - y0*sc
		}
	}
	for k := range p {
		s.Corners[k] = [2]float64{p[k][0]*sc + tx, p[k][1]*sc + ty}
	}
	s.Coverage = quadArea(s.Corners) / (fw * fh)

	dst := image.NewRGBA(image.Rect(0, 0, s.Width, s.Height))
	g.paintBackground(dst, s.Background)
	var hand handPose
	if s.Hand {
		hand = g.handPose(s.Corners)
		g.paintFingers(dst, hand) // behind the card
	}
	src := card
	if sc < 0.6 { // the camera integrates: pre-filter strong reductions
		src = boxBlur(card, 1)
	}
	g.placeCard(dst, src, s.Corners)
	if s.Hand {
		g.paintThumb(dst, hand)
	}
	if s.Glare > 0 {
		u, v := 0.1+0.8*r.Float64(), 0.15+0.75*r.Float64()
		rad := H * (0.12 + 0.18*r.Float64()) * sc
		if o.GlareNumber {
			u, v, rad = 0.45+0.3*r.Float64(), 0.87, H*0.16*sc
		}
		cx, cy := project(geom.Homography(s.Corners, W, H), u*W, v*H)
		s.GlareOverNumber = u > 0.3-rad/sc/W && v > 0.8-rad/sc/H && v < 0.93+rad/sc/H && s.Glare > 110
		glare(dst, cx, cy, rad, s.Glare)
	}
	if s.Shadow > 0 {
		g.shadow(dst, s.Shadow)
	}
	if s.MotionBlur > 0 {
		dst = motionBlur(dst, s.MotionBlur, r.Float64()*math.Pi)
	}
	if s.Defocus > 0 {
		dst = boxBlur(dst, s.Defocus)
	}
	if s.Noise > 0 {
		for i := 0; i < len(dst.Pix); i += 4 {
			n := r.NormFloat64() * s.Noise
			for c := 0; c < 3; c++ {
				dst.Pix[i+c] = uint8(clamp(float64(dst.Pix[i+c])+n+r.NormFloat64()*s.Noise*0.5, 0, 255))
			}
		}
	}
	return EncodeJPEG(dst, s.Quality), s
}

func quadArea(q [4][2]float64) float64 {
	a := 0.0
	for i := range q {
		j := (i + 1) % 4
		a += q[i][0]*q[j][1] - q[j][0]*q[i][1]
	}
	return math.Abs(a) / 2
}

func project(h [9]float64, u, v float64) (float64, float64) {
	d := h[6]*u + h[7]*v + h[8]
	return (h[0]*u + h[1]*v + h[2]) / d, (h[3]*u + h[4]*v + h[5]) / d
}

// placeCard draws the card (rounded corners) into dst at the given corners.
func (g *Generator) placeCard(dst, card *image.RGBA, q [4][2]float64) {
	hm := geom.Homography(q, W, H)
	inv := invert3(hm)
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range q {
		x0, y0, x1, y1 = math.Min(x0, c[0]), math.Min(y0, c[1]), math.Max(x1, c[0]), math.Max(y1, c[1])
	}
	pw, ph := dst.Rect.Dx(), dst.Rect.Dy()
	for y := max(0, int(y0)); y < min(ph, int(y1)+1); y++ {
		for x := max(0, int(x0)); x < min(pw, int(x1)+1); x++ {
			u, v, ok := onCard(inv, x, y)
			if !ok {
				continue
			}
			i := y*dst.Stride + x*4
			p := geom.Bilinear(card, u, v)
			for c := 0; c < 3; c++ {
				dst.Pix[i+c] = uint8(clamp(p[c], 0, 255))
			}
			dst.Pix[i+3] = 255
		}
	}
}

// paintBackground fills dst with one of the procedural scenes.
func (g *Generator) paintBackground(dst *image.RGBA, kind string) {
	r := g.rng
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	base := [3]float64{40 + 150*r.Float64(), 40 + 140*r.Float64(), 35 + 130*r.Float64()}
	set := func(x, y int, c [3]float64) {
		i := y*dst.Stride + x*4
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(clamp(c[0], 0, 255)), uint8(clamp(c[1], 0, 255)), uint8(clamp(c[2], 0, 255)), 255
	}
	switch kind {
	case "desk": // wood grain: warped stripes in browns
		base = [3]float64{110 + 60*r.Float64(), 70 + 40*r.Float64(), 35 + 30*r.Float64()}
		a := r.Float64() * math.Pi
		ca, sa := math.Cos(a), math.Sin(a)
		f := (20 + 30*r.Float64()) / float64(w)
		ph := r.Float64() * 6
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				u, v := float64(x)*ca+float64(y)*sa, -float64(x)*sa+float64(y)*ca
				t := 0.5 + 0.5*math.Sin(u*f*2*math.Pi+2.5*math.Sin(v*0.004+ph)+0.8*math.Sin(v*0.013))
				k := 0.75 + 0.35*t*t
				set(x, y, [3]float64{base[0] * k, base[1] * k, base[2] * k})
			}
		}
	case "fabric": // woven threads with folds
		p := 3 + r.IntN(5)
		fold := r.Float64() * 6
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				weave := 0.85 + 0.15*math.Sin(float64(x)*2*math.Pi/float64(p))*math.Sin(float64(y)*2*math.Pi/float64(p))
				k := weave * (0.8 + 0.2*math.Sin(float64(x+y)*0.006+fold))
				set(x, y, [3]float64{base[0] * k, base[1] * k, base[2] * k})
			}
		}
	case "keyboard": // dark case, grey keys with letters
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				set(x, y, [3]float64{28, 28, 32})
			}
		}
		key := max(w, h) / (10 + r.IntN(8))
		gap := key / 8
		keys := "QWERTYUIOPASDFGHJKLZXCVBNM1234567890"
		col := [3]float64{70 + 80*r.Float64(), 0, 0}
		col[1], col[2] = col[0], col[0]+5
		light := col[0] < 100
		for ky := gap; ky+key < h; ky += key + gap {
			off := (ky / (key + gap) % 3) * key / 3
			for kx := gap + off; kx+key < w; kx += key + gap {
				for y := ky; y < ky+key; y++ {
					for x := kx; x < kx+key; x++ {
						k := 1 - 0.15*float64(y-ky)/float64(key)
						set(x, y, [3]float64{col[0] * k, col[1] * k, col[2] * k})
					}
				}
				c := color.RGBA{20, 20, 20, 255}
				if light {
					c = color.RGBA{230, 230, 230, 255}
				}
				g.textCol(dst, string(keys[r.IntN(len(keys))]), kx+key/5, ky+key*2/5, float64(key)/3, c)
			}
		}
	case "papers": // printed sheets with Chinese text on a table
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				set(x, y, [3]float64{base[0] * 0.7, base[1] * 0.7, base[2] * 0.7})
			}
		}
		for n := 0; n < 2; n++ {
			sx, sy := r.IntN(w*2/3), r.IntN(h*2/3)
			sw, sh := w/3+r.IntN(w/2), h/3+r.IntN(h/2)
			for y := sy; y < min(h, sy+sh); y++ {
				for x := sx; x < min(w, sx+sw); x++ {
					set(x, y, [3]float64{238, 236, 230})
				}
			}
			px := float64(max(w, h)) / 60
			for ly := sy + int(2*px); ly < min(h, sy+sh)-int(px); ly += int(2 * px) {
				var line []rune
				for k := 0; k < 6+r.IntN(14); k++ {
					line = append(line, given[r.IntN(len(given))], streets[r.IntN(len(streets))])
				}
				g.textCol(dst, string(line), sx+int(px), ly, px, ink)
			}
		}
	default: // plain, with a gradient
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				f := 0.8 + 0.4*float64(x+y)/float64(w+h)
				set(x, y, [3]float64{base[0] * f, base[1] * f, base[2] * f})
			}
		}
	}
}

func (g *Generator) textCol(dst *image.RGBA, s string, x, y int, px float64, c color.Color) {
	fc := g.face(g.sans, px)
	defer fc.Close()
	d := &font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: fc, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// handPose is a hand holding the card by one short edge: the thumb over the card's edge,
// fingers behind it showing past the opposite long edge.
type handPose struct {
	thumbA, thumbB [2]float64 // capsule ends (photo px)
	thumbR         float64
	fingers        [][2][2]float64
	fingerR        float64
	skin           [3]float64
}

func (g *Generator) handPose(q [4][2]float64) handPose {
	r := g.rng
	hm := geom.Homography(q, W, H)
	at := func(u, v float64) [2]float64 { x, y := project(hm, u*W, v*H); return [2]float64{x, y} }
	side := r.IntN(2) // 0 = left short edge, 1 = right
	u0, u1 := -0.25, 0.06
	if side == 1 {
		u0, u1 = 1.25, 0.94
	}
	v := 0.35 + 0.3*r.Float64()
	a, b := at(u0, v+0.15), at(u1, v)
	cardH := math.Hypot(q[3][0]-q[0][0], q[3][1]-q[0][1])
	hp := handPose{thumbA: a, thumbB: b, thumbR: cardH * 0.075, fingerR: cardH * 0.07,
		skin: [3]float64{205 + 30*r.Float64(), 150 + 30*r.Float64(), 120 + 30*r.Float64()}}
	for k := 0; k < 3; k++ {
		fu := 0.04 + 0.06*float64(k)
		if side == 1 {
			fu = 1 - fu
		}
		hp.fingers = append(hp.fingers, [2][2]float64{at(u0, 0.9), at(fu, 1.08+0.03*float64(k%2))})
	}
	return hp
}

func (g *Generator) paintFingers(dst *image.RGBA, h handPose) {
	for _, f := range h.fingers {
		capsule(dst, f[0], f[1], h.fingerR, h.skin)
	}
}

func (g *Generator) paintThumb(dst *image.RGBA, h handPose) {
	capsule(dst, h.thumbA, h.thumbB, h.thumbR, h.skin)
}

// capsule paints a shaded rounded segment (a finger).
func capsule(dst *image.RGBA, a, b [2]float64, rad float64, skin [3]float64) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	x0, x1 := int(math.Min(a[0], b[0])-rad), int(math.Max(a[0], b[0])+rad)
	y0, y1 := int(math.Min(a[1], b[1])-rad), int(math.Max(a[1], b[1])+rad)
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	for y := max(0, y0); y <= min(h-1, y1); y++ {
		for x := max(0, x0); x <= min(w-1, x1); x++ {
			t := clamp(((float64(x)-a[0])*dx+(float64(y)-a[1])*dy)/l2, 0, 1)
			d := math.Hypot(float64(x)-a[0]-t*dx, float64(y)-a[1]-t*dy)
			if d > rad {
				continue
			}
			k := 0.75 + 0.25*math.Sqrt(1-(d/rad)*(d/rad))
			i := y*dst.Stride + x*4
			for c := 0; c < 3; c++ {
				dst.Pix[i+c] = uint8(clamp(skin[c]*k, 0, 255))
			}
		}
	}
}

// glare adds a soft specular spot.
func glare(dst *image.RGBA, cx, cy, rad, peak float64) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for y := max(0, int(cy-3*rad)); y < min(h, int(cy+3*rad)); y++ {
		for x := max(0, int(cx-3*rad)); x < min(w, int(cx+3*rad)); x++ {
			gl := peak * math.Exp(-((float64(x)-cx)*(float64(x)-cx)+(float64(y)-cy)*(float64(y)-cy))/(2*rad*rad))
			i := y*dst.Stride + x*4
			for c := 0; c < 3; c++ {
				dst.Pix[i+c] = uint8(clamp(float64(dst.Pix[i+c])+gl, 0, 255))
			}
		}
	}
}

// shadow darkens one side of a soft random line (the phone's or the hand's shadow).
func (g *Generator) shadow(dst *image.RGBA, depth float64) {
	r := g.rng
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	a := r.Float64() * 2 * math.Pi
	nx, ny := math.Cos(a), math.Sin(a)
	c := (r.Float64()*0.6 + 0.2) * (math.Abs(nx)*float64(w) + math.Abs(ny)*float64(h))
	ox := 0.0
	if nx < 0 {
		ox = float64(w)
	}
	oy := 0.0
	if ny < 0 {
		oy = float64(h)
	}
	soft := 0.06 * float64(max(w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := (float64(x)-ox)*nx + (float64(y)-oy)*ny - c
			k := 1 - depth/(1+math.Exp(-d/soft*4))
			i := y*dst.Stride + x*4
			for ch := 0; ch < 3; ch++ {
				dst.Pix[i+ch] = uint8(float64(dst.Pix[i+ch]) * k)
			}
		}
	}
}

// motionBlur averages along a straight streak of length l at angle a.
func motionBlur(src *image.RGBA, l, a float64) *image.RGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	n := max(2, int(math.Ceil(l)))
	var offs []int
	for k := 0; k < n; k++ {
		t := (float64(k)/float64(n-1) - 0.5) * l
		offs = append(offs, int(math.Round(t*math.Sin(a)))*src.Stride+int(math.Round(t*math.Cos(a)))*4)
	}
	out := image.NewRGBA(src.Rect)
	m := int(math.Ceil(l/2)) + 1
	copy(out.Pix, src.Pix)
	for y := m; y < h-m; y++ {
		for x := m; x < w-m; x++ {
			i := y*src.Stride + x*4
			var s [3]int
			for _, o := range offs {
				s[0] += int(src.Pix[i+o])
				s[1] += int(src.Pix[i+o+1])
				s[2] += int(src.Pix[i+o+2])
			}
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint8(s[0]/n), uint8(s[1]/n), uint8(s[2]/n)
		}
	}
	return out
}

// BlankCard renders a card with its background print only (no text, no portrait): a
// negative that must not be read as either side.
func (g *Generator) BlankCard() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	g.background(img, [3]float64{30, 12, 2}, [3]float64{4, 18, 26})
	return img
}

// WithBadCheck returns the identity with a wrong GB 11643 check character (a negative that
// must be refused as an invalid number).
func WithBadCheck(id faceverify.IDCardResult) faceverify.IDCardResult {
	n := []byte(id.Number)
	c := n[17]
	for _, k := range []byte("0123456789X") {
		if k != c {
			n[17] = k
			break
		}
	}
	id.Number = string(n)
	return id
}
