// Package geom holds the plane geometry shared by the ID card reader and its synthetic card
// generator.
package geom

import "math"

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
