package idcard

import (
	"math"
	"math/cmplx"
	"sort"
	"unicode"

	"github.com/faceverify/faceverify"
)

// signals are the raw measurements behind the legality scores (kept for evaluation).
type signals struct {
	ChromaSpread float64 // std of chroma over the card background (0 = grey, a copy)
	PeakRatio    float64 // strongest isolated high-frequency spectral peak / local median
	ChromaHF     float64 // fraction of chroma energy at high spatial frequencies
	Misalign     float64 // spread of value left edges and line heights (0 = printed layout)
	Temporary    bool    // 临时 read on the card
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// legality turns signals into the vendor's probabilities. The logistic centres and widths
// were set on generated cards (genuine / grey copy / screen re-capture / pasted text) and the
// contest cards; see docs/idcard.md for what each measures and its limits.
//
// The spectral peak's centre (screenPeakCentre) was 7 until session 13: photographed genuine
// cards (dev seeds 5, 7, 8: 180 sides) reach peak ratios of 5.9–6.4 under motion blur and
// shadow, which gave Screen 0.2–0.3 and called a genuine back fake; the weakest screen
// re-capture render measures 9. At 8.5 the refusal edge (Screen 0.2, ID_Photo 0.8 on its own)
// lies at 7.4, midway, and a render at 9 still scores Screen 0.65.
const screenPeakCentre = 8.5

func legality(s signals, threshold float64) faceverify.Legality {
	photocopy := sigmoid((5 - s.ChromaSpread) / 1.2)
	screen := math.Max(sigmoid((s.PeakRatio-screenPeakCentre)/0.8), sigmoid((s.ChromaHF-0.15)/0.025))
	edited := sigmoid((s.Misalign - 0.6) / 0.12)
	temp := 0.01
	if s.Temporary {
		temp = 0.95
	}
	id := (1 - photocopy) * (1 - screen) * (1 - edited) * (1 - temp)
	return faceverify.Legality{
		Photocopy: round3(photocopy), Edited: round3(edited), IDPhoto: round3(id),
		Screen: round3(screen), TemporaryIDPhoto: round3(temp), Threshold: threshold,
	}
}

// measure computes the pixel signals of a rectified card side (misalignment and the
// temporary flag come from the text layout and are filled by the caller).
func measure(v view) signals {
	var s signals
	img := v.rgba
	// Chroma spread over light (background) pixels, away from the card edge.
	var n, su, sv, suu, svv float64
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := h / 20; y < h-h/20; y += 2 {
		for x := w / 20; x < w-w/20; x += 2 {
			p := img.Pix[y*img.Stride+x*4:]
			r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
			l := 0.299*r + 0.587*g + 0.114*b
			if l < 90 || l >= 248 {
				continue // text and the portrait's dark parts; glare (washed out to white)
			}
			// Relative to the brightness: a shadow or dim light scales chroma down with the
			// luminance, a grey copy has none at any brightness.
			k := 200 / l
			u, vv := (b-l)*k, (r-l)*k
			n++
			su += u
			sv += vv
			suu += u * u
			svv += vv * vv
		}
	}
	if n > 0 {
		mu, mv := su/n, sv/n
		s.ChromaSpread = math.Sqrt(math.Max(0, suu/n-mu*mu) + math.Max(0, svv/n-mv*mv))
	}
	s.PeakRatio, s.ChromaHF = spectrum(v)
	return s
}

// spectrum analyses a 256×256 patch of the card's background (top-left text-free area and
// middle): periodic re-capture patterns (moiré, screen pixel grids, refresh bands) show up as
// isolated peaks far from the origin; the colour sub-pixel grid as high-frequency chroma.
func spectrum(v view) (peak, chromaHF float64) {
	const N = 256
	img := v.rgba
	w, h := img.Rect.Dx(), img.Rect.Dy()
	x0, y0 := (w-N)/2, (h-N)/2
	lum := make([]complex128, N*N)
	chr := make([]complex128, N*N)
	var ml, mc float64
	for y := 0; y < N; y++ {
		for x := 0; x < N; x++ {
			p := img.Pix[(y0+y)*img.Stride+(x0+x)*4:]
			r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
			lum[y*N+x] = complex(0.299*r+0.587*g+0.114*b, 0)
			chr[y*N+x] = complex(r-g, 0)
			ml += real(lum[y*N+x])
			mc += real(chr[y*N+x])
		}
	}
	ml /= N * N
	mc /= N * N
	for i := range lum { // remove the mean and apply a Hann window
		y, x := i/N, i%N
		wv := (0.5 - 0.5*math.Cos(2*math.Pi*float64(x)/N)) * (0.5 - 0.5*math.Cos(2*math.Pi*float64(y)/N))
		lum[i] = complex((real(lum[i])-ml)*wv, 0)
		chr[i] = complex((real(chr[i])-mc)*wv, 0)
	}
	fft2(lum, N)
	fft2(chr, N)
	mag := make([]float64, N*N)
	for i := range lum {
		mag[i] = cmplx.Abs(lum[i])
	}
	// Peak ratio over |f| in (N/8, N/2): magnitude against the median of its 9×9 neighbourhood.
	var neigh []float64
	for fy := -N/2 + 4; fy < N/2-4; fy++ {
		for fx := 0; fx < N/2-4; fx++ {
			rad := math.Hypot(float64(fx), float64(fy))
			if rad < N/8 {
				continue
			}
			m := mag[((fy+N)%N)*N+fx]
			// A peak is a local maximum: the median (the costly part) only there.
			if !localMax(mag, N, fx, fy, m) {
				continue
			}
			neigh = neigh[:0]
			for dy := -4; dy <= 4; dy++ {
				for dx := -4; dx <= 4; dx++ {
					neigh = append(neigh, mag[((fy+dy+N)%N)*N+(fx+dx+N)%N])
				}
			}
			med := nthSmallest(neigh, len(neigh)/2) + 1e-6 // the sorted middle, without sorting
			if r := m / med; r > peak {
				peak = r
			}
		}
	}
	var hi, all float64
	for fy := -N / 2; fy < N/2; fy++ {
		for fx := -N / 2; fx < N/2; fx++ {
			e := real(chr[((fy+N)%N)*N+(fx+N)%N])*real(chr[((fy+N)%N)*N+(fx+N)%N]) + imag(chr[((fy+N)%N)*N+(fx+N)%N])*imag(chr[((fy+N)%N)*N+(fx+N)%N])
			all += e
			if math.Hypot(float64(fx), float64(fy)) > N/4 {
				hi += e
			}
		}
	}
	if all > 0 {
		chromaHF = hi / all
	}
	return peak, chromaHF
}

// localMax: mag at (fx, fy) is not below any of its 8 neighbours (frequencies wrap).
func localMax(mag []float64, N, fx, fy int, m float64) bool {
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			if (dx != 0 || dy != 0) && mag[((fy+dy+N)%N)*N+(fx+dx+N)%N] > m {
				return false
			}
		}
	}
	return true
}

// fft2 is an in-place 2-D radix-2 FFT of an N×N array (N a power of two).
func fft2(a []complex128, n int) {
	row := make([]complex128, n)
	for y := 0; y < n; y++ {
		fft(a[y*n : (y+1)*n])
	}
	for x := 0; x < n; x++ {
		for y := 0; y < n; y++ {
			row[y] = a[y*n+x]
		}
		fft(row)
		for y := 0; y < n; y++ {
			a[y*n+x] = row[y]
		}
	}
}

func fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for l := 2; l <= n; l <<= 1 {
		ang := -2 * math.Pi / float64(l)
		wl := complex(math.Cos(ang), math.Sin(ang))
		for i := 0; i < n; i += l {
			w := complex(1, 0)
			for k := 0; k < l/2; k++ {
				u, v := a[i+k], a[i+k+l/2]*w
				a[i+k], a[i+k+l/2] = u+v, u-v
				w *= wl
			}
		}
	}
}

// misalignment measures how far the value lines depart from one printed layout: the largest
// distance of a line's left edge from the median left edge, in median line heights. Lines
// with fewer than two Han characters or digits (noise, portrait edges) are ignored.
//
// When at least two lines carry the right edge of their own printed label (line.Ref), the
// offsets from the labels are compared instead of the left edges: a rectified photo that
// leans (a loose quad, perspective) moves a label and its value together, a pasted value
// moves alone. With four or more values the distance of each from the slanted line through
// the others is taken instead (a lean is a straight slant; label boxes jitter).
func misalignment(ls []line) float64 {
	hanDigits := func(t string) int {
		n := 0
		for _, r := range t {
			if unicode.Is(unicode.Han, r) || unicode.IsDigit(r) {
				n++
			}
		}
		return n
	}
	var rel, relH, abs, absY, absH []float64
	for _, l := range ls {
		// A one-character value (男/女) has a box too short for its left edge to be sure.
		if hanDigits(l.Text) < 2 {
			continue
		}
		if l.Ref > 0 {
			rel = append(rel, float64(l.X0-l.Ref))
			relH = append(relH, float64(l.Y1-l.Y0))
		}
		abs = append(abs, float64(l.X0))
		absY = append(absY, float64(l.Y0+l.Y1)/2)
		absH = append(absH, float64(l.Y1-l.Y0))
	}
	switch {
	case len(abs) >= 4:
		// The value column as printed is one straight x; a leaning page (residual shear of
		// the rectification) makes it a straight slanted line. Each value's distance from the
		// line through the others: a pasted value is off it, a lean is not — and it does not
		// depend on the label boxes, whose widths vary by ±10 px on photos.
		return leanResidual(abs, absY, absH)
	case len(rel) >= 2:
		return edgeSpread(rel, relH)
	case len(abs) >= 2:
		return edgeSpread(abs, absH)
	}
	return 0
}

// edgeSpread is the largest distance of an x from the median x, in median heights.
func edgeSpread(xs, hs []float64) float64 {
	mh := median(hs)
	if mh <= 0 {
		return 0
	}
	m := median(xs)
	d := 0.0
	for _, x := range xs {
		d = math.Max(d, math.Abs(x-m)/mh)
	}
	return d
}

// leanResidual is the largest distance of a left edge xs[i] (at height ys[i]) from the
// least-squares line x = a + b·y through the other edges, in median heights.
func leanResidual(xs, ys, hs []float64) float64 {
	mh := median(hs)
	if mh <= 0 {
		return 0
	}
	d := 0.0
	for i := range xs {
		var n, sy, sx, syy, sxy float64
		for j := range xs {
			if j == i {
				continue
			}
			n++
			sy += ys[j]
			sx += xs[j]
			syy += ys[j] * ys[j]
			sxy += ys[j] * xs[j]
		}
		den := n*syy - sy*sy
		if den <= 0 {
			return edgeSpread(xs, hs)
		}
		b := (n*sxy - sy*sx) / den
		a := (sx - b*sy) / n
		d = math.Max(d, math.Abs(xs[i]-(a+b*ys[i]))/mh)
	}
	return d
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// nthSmallest returns the value sort.Float64s would put at index k of a (quickselect,
// reordering a; no NaNs).
func nthSmallest(a []float64, k int) float64 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		// median of three as pivot
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		p := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < p {
				i++
			}
			for a[j] > p {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}
