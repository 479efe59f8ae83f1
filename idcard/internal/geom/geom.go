// Package geom holds the plane geometry (and the image helpers) shared by the ID card
// reader and its synthetic card generator.
package geom

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
)

// EncodeJPEG encodes img as JPEG at quality q.
func EncodeJPEG(img image.Image, q int) []byte {
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: q})
	return b.Bytes()
}

// Homography returns H (3×3, row-major, H[8] = 1) mapping the corners of a w×h rectangle —
// (0,0), (w,0), (w,h), (0,h) — to the quad q (same order): q ~ H·corner.
func Homography(q [4][2]float64, w, h float64) [9]float64 {
	rect := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	// Solve the 8×8 linear system by Gauss–Jordan elimination with partial pivoting.
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		X, Y := rect[i][0], rect[i][1]
		u, v := q[i][0], q[i][1]
		a[2*i] = [9]float64{X, Y, 1, 0, 0, 0, -u * X, -u * Y, u}
		a[2*i+1] = [9]float64{0, 0, 0, X, Y, 1, -v * X, -v * Y, v}
	}
	for c := 0; c < 8; c++ {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		if math.Abs(a[c][c]) < 1e-12 {
			continue
		}
		for r := 0; r < 8; r++ {
			if r == c {
				continue
			}
			f := a[r][c] / a[c][c]
			for k := c; k < 9; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	var hm [9]float64
	for i := 0; i < 8; i++ {
		if a[i][i] != 0 {
			hm[i] = a[i][8] / a[i][i]
		}
	}
	hm[8] = 1
	return hm
}

// Project maps the centre of pixel (x, y) through the homography hm into the other image,
// in its pixel coordinates (pixel centres at whole numbers).
func Project(hm [9]float64, x, y int) (u, v float64) {
	X, Y := float64(x)+0.5, float64(y)+0.5
	d := hm[6]*X + hm[7]*Y + hm[8]
	return (hm[0]*X+hm[1]*Y+hm[2])/d - 0.5, (hm[3]*X+hm[4]*Y+hm[5])/d - 0.5
}

// Bilinear returns the colour (R, G, B) of img at (u, v), 0 ≤ u ≤ width-1 and
// 0 ≤ v ≤ height-1, interpolated between its four nearest pixels.
func Bilinear(img *image.RGBA, u, v float64) [3]float64 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	x0, y0 := int(u), int(v)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	ax, ay := u-float64(x0), v-float64(y0)
	var p [3]float64
	for c := 0; c < 3; c++ {
		p00 := float64(img.Pix[y0*img.Stride+x0*4+c])
		p01 := float64(img.Pix[y0*img.Stride+x1*4+c])
		p10 := float64(img.Pix[y1*img.Stride+x0*4+c])
		p11 := float64(img.Pix[y1*img.Stride+x1*4+c])
		p[c] = (1-ay)*((1-ax)*p00+ax*p01) + ay*((1-ax)*p10+ax*p11)
	}
	return p
}
