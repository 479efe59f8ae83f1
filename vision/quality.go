package vision

import (
	"image"
	"math"
	"sync"
)

const sharpK = 150 // Laplacian variance at which Sharpness ≈ 0.63

// quality fills the quality measures of f (landmarks set) from its aligned crop.
func (e *Engine) quality(img *image.RGBA, f *Face, aligned []uint8) (Quality, error) {
	q := Quality{Size: min(f.Box[2]-f.Box[0], f.Box[3]-f.Box[1])}
	g := gray(aligned, 1)
	// Laplacian variance and mean luma over the inner face (skip the border of the crop).
	lv, lum := laplacianVar(g, 112, 24, 16, 88, 104)
	q.Sharpness = float32(1 - math.Exp(-lv/sharpK))
	q.Brightness = float32(lum / 255)

	le, re := meanPt(&f.Landmarks, 36, 37, 38, 39, 40, 41), meanPt(&f.Landmarks, 42, 43, 44, 45, 46, 47)
	q.Roll = float32(math.Atan2(re[1]-le[1], re[0]-le[0]) * 180 / math.Pi)
	yaw, pitch, err := e.headPose(img, f.Box)
	if err != nil {
		return q, err
	}
	q.Yaw, q.Pitch = yaw, pitch
	eo, err := e.eyesOpen(img, &f.Landmarks)
	if err != nil {
		return q, err
	}
	q.EyesOpen = eo
	q.Score = qualityScore(q)
	return q, nil
}

// qualityScore combines the measures into 0–100: each factor is 1 when comfortably good
// and falls towards 0 when the face is too small, blurred, badly exposed, turned or eyes shut.
func qualityScore(q Quality) float32 {
	ramp := func(v, lo, hi float64) float64 { // 0 at lo, 1 at hi
		return math.Max(0, math.Min(1, (v-lo)/(hi-lo)))
	}
	size := ramp(float64(q.Size), 24, 96)
	sharp := ramp(float64(q.Sharpness), 0.05, 0.5)
	b := float64(q.Brightness)
	bright := math.Min(ramp(b, 0.08, 0.3), ramp(-b, -0.95, -0.8))
	pose := ramp(-math.Max(math.Abs(float64(q.Yaw)), math.Abs(float64(q.Pitch))), -50, -20)
	eyes := ramp(float64(q.EyesOpen), 0.1, 0.6)
	s := size * (0.3 + 0.7*sharp) * bright * (0.2 + 0.8*pose) * (0.5 + 0.5*eyes)
	return float32(math.Round(1000*s) / 10)
}

// headPose runs the pose model (HopeNet-style bins) on the detector box enlarged by 1/4 on
// each side; returns yaw and pitch in degrees.
func (e *Engine) headPose(img *image.RGBA, box [4]float32) (yaw, pitch float32, err error) {
	w, h := float64(box[2]-box[0]), float64(box[3]-box[1])
	x0, y0 := float64(box[0])-w/4, float64(box[1])-h/4
	x1, y1 := float64(box[2])+w/4, float64(box[3])+h/4
	buf := poseBufs.Get().(*poseBuf)
	defer poseBufs.Put(buf)
	rgb := warpRGBInto(buf.rgb, img, rectAffine(x0, y0, x1, y1, 224, 224), 224, 224)
	n := 224 * 224
	in := buf.in
	for c := 0; c < 3; c++ { // the ImageNet normalisation, a table lookup per byte
		lut, plane := &ImageNetLUT[c], in[c*n:(c+1)*n]
		for i := range plane {
			plane[i] = lut[rgb[3*i+c]]
		}
	}
	out, err := e.pose.run(in)
	if err != nil {
		return 0, 0, err
	}
	deg := func(o []float32) float32 {
		p := softmax(o)
		var s float64
		for i, v := range p {
			s += v * float64(i)
		}
		return float32(s*3 - 99)
	}
	return deg(out[0]), deg(out[1]), nil
}

// ImageNetLUT[c][v] is the ImageNet-normalised input for byte v of channel c: (v/255 - mean)
// / std, the very float32 expression once per byte value instead of per pixel (the pose
// model here, PP-OCR's text detector in idcard).
var ImageNetLUT = func() (t [3][256]float32) {
	mean := [3]float32{0.485, 0.456, 0.406}
	std := [3]float32{0.229, 0.224, 0.225}
	for c := range t {
		for v := range t[c] {
			t[c][v] = (float32(v)/255 - mean[c]) / std[c]
		}
	}
	return
}()

type poseBuf struct {
	rgb []uint8
	in  []float32
}

// poseBufs: a pose run's crop and input tensor (0.75 MB), reused.
var poseBufs = sync.Pool{New: func() any {
	return &poseBuf{rgb: make([]uint8, 3*224*224), in: make([]float32, 3*224*224)}
}}

// eyesOpen returns the open-eye probability of the less open eye.
func (e *Engine) eyesOpen(img *image.RGBA, lm *[68]Point) (float32, error) {
	best := float32(1)
	for _, eye := range [2][6]int{{36, 37, 38, 39, 40, 41}, {42, 43, 44, 45, 46, 47}} {
		c := meanPt(lm, eye[1], eye[2], eye[4], eye[5])
		s := 1.6 * float64(lm[eye[3]].X-lm[eye[0]].X)
		if s < 2 {
			s = 2
		}
		rgb := warpRGB(img, rectAffine(c[0]-s/2, c[1]-s/2, c[0]+s/2, c[1]+s/2, 24, 24), 24, 24)
		out, err := e.eye.run(gray(rgb, 1.0/255))
		if err != nil {
			return 0, err
		}
		p := softmax(out[0])
		best = min(best, float32(p[eyeOpenClass]))
	}
	return best, nil
}

var eyeOpenClass = 1

// focusOf is a scale-free sharpness measure of a face: the variance of the Laplacian of a
// 64×64 gray crop of its square box (squareCrop). Used to tell in-focus subjects from blurred people in
// the background.
func focusOf(crop []uint8) float64 {
	lv, _ := laplacianVar(gray(crop, 1), 64, 8, 8, 56, 56)
	return lv
}

// laplacianVar is the variance of the 4-neighbour Laplacian of the gray image g (row
// length stride) over the pixels x0 ≤ x < x1, y0 ≤ y < y1, and their mean gray level.
func laplacianVar(g []float32, stride, x0, y0, x1, y1 int) (variance, meanGray float64) {
	var sum, sum2, lum float64
	n := 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			i := y*stride + x
			l := float64(4*g[i] - g[i-1] - g[i+1] - g[i-stride] - g[i+stride])
			sum += l
			sum2 += l * l
			n++
			lum += float64(g[i])
		}
	}
	m := sum / float64(n)
	return sum2/float64(n) - m*m, lum / float64(n)
}
