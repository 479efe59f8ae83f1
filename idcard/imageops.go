package idcard

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"runtime"
	"sync"

	"github.com/faceverify/faceverify/idcard/internal/geom"
)

// Canonical size of a rectified card (ISO/IEC 7810 ID-1, 85.6 × 54 mm at ~10.5 px/mm).
const (
	CardW = 900
	CardH = 568
)

// gray is an 8-bit luminance plane.
type gray struct {
	W, H int
	Pix  []uint8
}

func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(r, r.Rect, img, b.Min, draw.Src)
	return r
}

func grayOf(img *image.RGBA) *gray {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	g := &gray{W: w, H: h, Pix: make([]uint8, w*h)}
	bands(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride:]
			for x := 0; x < w; x++ {
				p := row[x*4:]
				g.Pix[y*w+x] = uint8((299*int(p[0]) + 587*int(p[1]) + 114*int(p[2]) + 500) / 1000)
			}
		}
	})
	return g
}

// crop returns the sub-plane of g in the fractional rectangle (x0,y0)-(x1,y1).
func (g *gray) crop(x0, y0, x1, y1 float64) *gray {
	ax, ay := clampI(int(x0*float64(g.W)), 0, g.W), clampI(int(y0*float64(g.H)), 0, g.H)
	bx, by := clampI(int(x1*float64(g.W)), 0, g.W), clampI(int(y1*float64(g.H)), 0, g.H)
	out := &gray{W: bx - ax, H: by - ay}
	out.Pix = make([]uint8, out.W*out.H)
	for y := 0; y < out.H; y++ {
		copy(out.Pix[y*out.W:(y+1)*out.W], g.Pix[(ay+y)*g.W+ax:])
	}
	return out
}

// scale resizes g by factor f with bilinear interpolation (area-averaging when shrinking).
func (g *gray) scale(f float64) *gray {
	w, h := int(math.Round(float64(g.W)*f)), int(math.Round(float64(g.H)*f))
	if w < 1 || h < 1 {
		return &gray{W: 0, H: 0}
	}
	src := g
	for f < 0.5 && src.W >= 2 && src.H >= 2 { // box-halve first to avoid aliasing
		src = src.half()
		f *= 2
	}
	out := &gray{W: w, H: h, Pix: make([]uint8, w*h)}
	sx, sy := float64(src.W)/float64(w), float64(src.H)/float64(h)
	for y := 0; y < h; y++ {
		fy := (float64(y)+0.5)*sy - 0.5
		for x := 0; x < w; x++ {
			fx := (float64(x)+0.5)*sx - 0.5
			out.Pix[y*w+x] = src.bilinear(fx, fy)
		}
	}
	return out
}

func (g *gray) half() *gray {
	w, h := g.W/2, g.H/2
	out := &gray{W: w, H: h, Pix: make([]uint8, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := 2*y*g.W + 2*x
			out.Pix[y*w+x] = uint8((int(g.Pix[i]) + int(g.Pix[i+1]) + int(g.Pix[i+g.W]) + int(g.Pix[i+g.W+1]) + 2) / 4)
		}
	}
	return out
}

func (g *gray) bilinear(fx, fy float64) uint8 {
	if fx < 0 {
		fx = 0
	}
	if fy < 0 {
		fy = 0
	}
	x0, y0 := int(fx), int(fy)
	if x0 >= g.W-1 {
		x0, fx = g.W-2, float64(g.W-1)
	}
	if y0 >= g.H-1 {
		y0, fy = g.H-2, float64(g.H-1)
	}
	if x0 < 0 || y0 < 0 {
		return g.Pix[0]
	}
	ax, ay := fx-float64(x0), fy-float64(y0)
	i := y0*g.W + x0
	v := (1-ay)*((1-ax)*float64(g.Pix[i])+ax*float64(g.Pix[i+1])) +
		ay*((1-ax)*float64(g.Pix[i+g.W])+ax*float64(g.Pix[i+g.W+1]))
	return uint8(v + 0.5)
}

// pgm encodes g as binary PGM, which leptonica reads from memory without a codec.
func (g *gray) pgm() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "P5\n%d %d\n255\n", g.W, g.H)
	b.Write(g.Pix)
	return b.Bytes()
}

// normalize stretches contrast so that the 2nd percentile maps to 0 and the 98th to 255.
func (g *gray) normalize() *gray {
	var hist [256]int
	for _, v := range g.Pix {
		hist[v]++
	}
	n := len(g.Pix)
	lo, hi, acc := 0, 255, 0
	for i := 0; i < 256; i++ {
		acc += hist[i]
		if acc >= n*2/100 {
			lo = i
			break
		}
	}
	acc = 0
	for i := 255; i >= 0; i-- {
		acc += hist[i]
		if acc >= n*2/100 {
			hi = i
			break
		}
	}
	out := &gray{W: g.W, H: g.H, Pix: make([]uint8, n)}
	if hi-lo < 8 {
		copy(out.Pix, g.Pix)
		return out
	}
	for i, v := range g.Pix {
		out.Pix[i] = uint8(clampI((int(v)-lo)*255/(hi-lo), 0, 255))
	}
	return out
}

func clampI(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// rotate180 returns img turned upside down.
func rotate180(img *image.RGBA) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			si := y*img.Stride + x*4
			di := (h-1-y)*out.Stride + (w-1-x)*4
			copy(out.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return out
}

// cropRGBA copies the fractional rectangle of img.
func cropRGBA(img *image.RGBA, x0, y0, x1, y1 float64) *image.RGBA {
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	r := image.Rect(int(x0*w), int(y0*h), int(x1*w), int(y1*h)).Intersect(img.Rect)
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Rect, img, r.Min, draw.Src)
	return out
}

// pt is a point in pixel coordinates.
type pt struct{ X, Y float64 }

// homography maps the corners (0,0),(w,0),(w,h),(0,h) to the src quad q (geom.Homography).
func homography(q [4]pt, w, h float64) [9]float64 {
	return geom.Homography([4][2]float64{{q[0].X, q[0].Y}, {q[1].X, q[1].Y}, {q[2].X, q[2].Y}, {q[3].X, q[3].Y}}, w, h)
}

// warp rectifies the quad q (clockwise from top-left) of src into a w×h RGBA image.
func warp(src *image.RGBA, q [4]pt, w, h int) *image.RGBA {
	hm := homography(q, float64(w), float64(h))
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	bands(h, func(y0, y1 int) { warpRows(src, out, hm, sw, sh, y0, y1) })
	return out
}

// warpRows is warp's rows y0 ≤ y < y1.
func warpRows(src, out *image.RGBA, hm [9]float64, sw, sh, y0, y1 int) {
	w := out.Rect.Dx()
	for y := y0; y < y1; y++ {
		for x := 0; x < w; x++ {
			u, v := geom.Project(hm, x, y)
			o := y*out.Stride + x*4
			if u < -0.5 || v < -0.5 || u > float64(sw)-0.5 || v > float64(sh)-0.5 {
				out.Pix[o+3] = 255 // black outside the photo
				continue
			}
			u = clampF(u, 0, float64(sw-1))
			v = clampF(v, 0, float64(sh-1))
			x0, y0 := int(u), int(v)
			x1, y1 := min(x0+1, sw-1), min(y0+1, sh-1)
			ax, ay := u-float64(x0), v-float64(y0)
			for c := 0; c < 3; c++ {
				p00 := float64(src.Pix[y0*src.Stride+x0*4+c])
				p01 := float64(src.Pix[y0*src.Stride+x1*4+c])
				p10 := float64(src.Pix[y1*src.Stride+x0*4+c])
				p11 := float64(src.Pix[y1*src.Stride+x1*4+c])
				out.Pix[o+c] = uint8((1-ay)*((1-ax)*p00+ax*p01) + ay*((1-ax)*p10+ax*p11) + 0.5)
			}
			out.Pix[o+3] = 255
		}
	}
}

// bands runs fn over [0, h) cut into one band of rows per core (at most 4), at once: the
// per-pixel loops of a read (warp, grey, resize, the outline downsample) use the cores the
// models leave idle between runs. The bands write disjoint rows, so the result is the same
// however many there are.
func bands(h int, fn func(y0, y1 int)) {
	n := min(runtime.GOMAXPROCS(0), 4, max(1, h/64))
	if n <= 1 {
		fn(0, h)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(y0, y1 int) {
			defer wg.Done()
			fn(y0, y1)
		}(i*h/n, (i+1)*h/n)
	}
	wg.Wait()
}

var _ color.Color // keep image/color for helpers in other files

// darkMask marks pixels clearly darker than their surroundings' typical level (text ink).
func (g *gray) darkMask() []bool {
	var hist [256]int
	for _, v := range g.Pix {
		hist[v]++
	}
	t := otsu(hist[:])
	m := make([]bool, len(g.Pix))
	for i, v := range g.Pix {
		m[i] = int(v) < t
	}
	return m
}

// removeLines whitens long straight horizontal and vertical dark runs (stamp frames, card
// edges, table rules) that glue onto text lines and derail line segmentation. Only the thin
// part of a run is removed (where the ink across the run is at most maxThick pixels), so
// strokes of characters touching a rule survive.
func (g *gray) removeLines(minH, minV, maxThick int) *gray {
	m := g.darkMask()
	out := &gray{W: g.W, H: g.H, Pix: append([]uint8(nil), g.Pix...)}
	across := func(x, y, dx, dy int) int { // ink run length through (x,y) along (dx,dy)
		n := 1
		for k := 1; ; k++ {
			xx, yy := x+k*dx, y+k*dy
			if xx < 0 || yy < 0 || xx >= g.W || yy >= g.H || !m[yy*g.W+xx] {
				break
			}
			n++
		}
		for k := 1; ; k++ {
			xx, yy := x-k*dx, y-k*dy
			if xx < 0 || yy < 0 || xx >= g.W || yy >= g.H || !m[yy*g.W+xx] {
				break
			}
			n++
		}
		return n
	}
	// along whitens the thin part of every run at least min long in direction (dx, dy):
	// (1, 0) along the rows, (0, 1) along the columns; at(l, i) is pixel i of line l.
	along := func(dx, dy, min int) {
		length, lines := g.W, g.H
		if dy == 1 {
			length, lines = g.H, g.W
		}
		at := func(l, i int) int { return (i*dy+l*dx)*g.W + i*dx + l*dy }
		for l := 0; l < lines; l++ {
			for i := 0; i < length; {
				if !m[at(l, i)] {
					i++
					continue
				}
				e := i
				for e < length && m[at(l, e)] {
					e++
				}
				if e-i >= min {
					for k := i; k < e; k++ {
						if across(k*dx+l*dy, k*dy+l*dx, dy, dx) <= maxThick {
							out.Pix[at(l, k)] = 255
						}
					}
				}
				i = e
			}
		}
	}
	along(1, 0, minH)
	along(0, 1, minV)
	return out
}

// mainBand returns the row range [y0,y1) of the text line with the most ink whose height is
// between minH and maxH pixels; ok is false when no such line exists.
// Only columns [0, xFrac·W) are looked at (the start of the line, left of stamps).
func (g *gray) mainBand(minH, maxH int, xFrac float64) (y0, y1 int, ok bool) {
	m := g.darkMask()
	rows := make([]int, g.H)
	xe := int(xFrac * float64(g.W))
	for y := 0; y < g.H; y++ {
		for x := 0; x < xe; x++ {
			if m[y*g.W+x] {
				rows[y]++
			}
		}
	}
	thr := max(2, xe/100)
	best := 0
	for y := 0; y < g.H; {
		if rows[y] < thr {
			y++
			continue
		}
		e, mass := y, 0
		for e < g.H && rows[e] >= thr {
			mass += rows[e]
			e++
		}
		if h := e - y; h >= minH && h <= maxH && mass > best {
			best, y0, y1, ok = mass, y, e, true
		}
		y = e
	}
	return
}
