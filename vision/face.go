package vision

import (
	"image"
	"math"
	"sort"
)

// Point is a position in image pixels.
type Point struct{ X, Y float32 }

// Face is one detected face with what was asked for.
type Face struct {
	Box       [4]float32 // x1,y1,x2,y2 in image pixels (detector box)
	Score     float32    // detector score
	Landmarks [68]Point  // image pixels (iBUG 68-point layout); zero unless NeedLandmarks/NeedEmbedding/NeedQuality
	Embedding []float32  // 512-d, L2-normalised (nil unless NeedEmbedding)
	Live      float32    // passive anti-spoof probability of "live", 0..1 (only with NeedLive)
	Quality   Quality    // only with NeedQuality
	Focus     float32    // variance of the Laplacian of the 64×64 face crop (always set; see Subjects)
}

// Quality measures how usable a face is for comparison.
type Quality struct {
	Size       float32 // face box short side, px
	Sharpness  float32 // 0..1 (1 - exp(-var(Laplacian)/sharpK)) of the aligned 112×112 face
	Brightness float32 // mean luma of the aligned face, 0..1
	Yaw        float32 // degrees, + = face turned to its left (image right)
	Pitch      float32 // degrees
	Roll       float32 // degrees, in-plane rotation of the eye line
	EyesOpen   float32 // 0..1, probability that both eyes are open (the less open eye)
	Score      float32 // 0–100 overall
}

// Need says what Faces computes beyond detection (bit flags).
type Need uint8

const (
	NeedLandmarks Need = 1 << iota
	NeedEmbedding
	NeedLive
	NeedQuality
)

// Faces detects faces (score threshold + NMS) and computes what need asks for.
// Faces are sorted largest first.
func (e *Engine) Faces(img *image.RGBA, need Need) ([]Face, error) {
	if img == nil || img.Rect.Dx() < 8 || img.Rect.Dy() < 8 {
		return nil, ErrBadImage
	}
	if img.Rect.Min != (image.Point{}) {
		img = toRGBA(img)
	}
	dets, err := e.detectFaces(img)
	if err != nil {
		return nil, err
	}
	faces := make([]Face, len(dets))
	crops := make([][]uint8, len(dets))
	for i, d := range dets {
		faces[i] = Face{Box: d.box, Score: d.score}
	}
	sort.SliceStable(faces, func(i, j int) bool { return boxArea(faces[i].Box) > boxArea(faces[j].Box) })
	for i := range faces {
		// one 64×64 crop of the square box serves the focus measure and the first
		// landmark pass (the same warp)
		crops[i] = squareCrop(img, faces[i].Box)
		faces[i].Focus = float32(focusOf(crops[i]))
		if err := e.fillCrop(img, &faces[i], need, true, crops[i]); err != nil {
			return nil, err
		}
	}
	return faces, nil
}

// Complete computes what need asks for on a face that Faces found on the same img with
// NeedLandmarks, reusing its detection and landmarks (the same values Faces would compute
// again: both are deterministic). For a tracked video frame that is later sampled.
func (e *Engine) Complete(img *image.RGBA, f *Face, need Need) error {
	if img == nil || img.Rect.Dx() < 8 || img.Rect.Dy() < 8 {
		return ErrBadImage
	}
	if img.Rect.Min != (image.Point{}) {
		img = toRGBA(img)
	}
	return e.fillWith(img, f, need, false)
}

func boxArea(b [4]float32) float32 { return (b[2] - b[0]) * (b[3] - b[1]) }

// squareBox is the detector box made square around its centre, side = box height
// (the crop the landmark and anti-spoof models were fed by their authors).
func squareBox(b [4]float32) (cx, cy, side float64) {
	cx = float64(b[0]+b[2]) / 2
	cy = float64(b[1]+b[3]) / 2
	side = float64(b[3] - b[1])
	return
}

func (e *Engine) fill(img *image.RGBA, f *Face, need Need) error {
	return e.fillWith(img, f, need, true)
}

func (e *Engine) fillWith(img *image.RGBA, f *Face, need Need, landmarks bool) error {
	return e.fillCrop(img, f, need, landmarks, nil)
}

// fillCrop is fill with the face's square 64×64 crop when the caller has it (nil: made here).
func (e *Engine) fillCrop(img *image.RGBA, f *Face, need Need, landmarks bool, crop []uint8) error {
	if landmarks && need&(NeedLandmarks|NeedEmbedding|NeedQuality) != 0 {
		lm, err := e.landmarksFrom(img, f.Box, crop)
		if err != nil {
			return err
		}
		f.Landmarks = lm
	}
	var aligned []uint8
	if need&(NeedEmbedding|NeedQuality) != 0 {
		aligned = alignFace(img, f.Landmarks)
	}
	if need&NeedEmbedding != 0 {
		emb, err := e.embed(aligned)
		if err != nil {
			return err
		}
		f.Embedding = emb
	}
	if need&NeedLive != 0 {
		l, err := e.live(img, f.Box)
		if err != nil {
			return err
		}
		f.Live = l
	}
	if need&NeedQuality != 0 {
		q, err := e.quality(img, f, aligned)
		if err != nil {
			return err
		}
		f.Quality = q
	}
	return nil
}

// landmarks runs the 68-point model on the square detector crop, then again on a crop
// re-centred from the first landmarks (removes the detector box jitter).
func (e *Engine) landmarks(img *image.RGBA, box [4]float32) ([68]Point, error) {
	return e.landmarksFrom(img, box, nil)
}

// landmarksFrom is landmarks with the square detector crop already made (nil: made here).
func (e *Engine) landmarksFrom(img *image.RGBA, box [4]float32, crop []uint8) ([68]Point, error) {
	cx, cy, s := squareBox(box)
	if crop == nil {
		crop = squareCrop(img, box)
	}
	lm, err := e.landmarksRGB(crop, cx-s/2, cy-s/2, s)
	for it := 0; it < refineIters && err == nil; it++ {
		lx, ly, ext := lmFrame(&lm)
		s = ext / lmRatio
		lm, err = e.landmarksIn(img, lx-lmOffX*s, ly-lmOffY*s, s)
	}
	return lm, err
}

// squareCrop is the 64×64 RGB crop of the square detector box (the landmark model's input
// and the focus measure's).
func squareCrop(img *image.RGBA, box [4]float32) []uint8 {
	cx, cy, s := squareBox(box)
	x0, y0 := cx-s/2, cy-s/2
	return warpRGB(img, rectAffine(x0, y0, x0+s, y0+s, 64, 64), 64, 64)
}

// Mean position and scale of lmFrame in the detector's square box (measured on LFW).
const lmOffX, lmOffY, lmRatio = -0.001, 0.072, 0.6593

var refineIters = 1

// landmarksIn runs the 68-point model on the square crop of side s centred at (cx, cy)
// (64×64 gray /256).
func (e *Engine) landmarksIn(img *image.RGBA, cx, cy, s float64) ([68]Point, error) {
	x0, y0 := cx-s/2, cy-s/2
	return e.landmarksRGB(warpRGB(img, rectAffine(x0, y0, x0+s, y0+s, 64, 64), 64, 64), x0, y0, s)
}

// landmarksRGB runs the 68-point model on rgb, the 64×64 crop of the square of side s at
// (x0, y0).
func (e *Engine) landmarksRGB(rgb []uint8, x0, y0, s float64) ([68]Point, error) {
	var lm [68]Point
	g := gray(rgb, 1.0/256)
	out, err := e.landmark.run(g)
	if err != nil {
		return lm, err
	}
	o := out[0]
	for i := range lm {
		lm[i] = Point{float32(x0 + float64(o[2*i])*s), float32(y0 + float64(o[2*i+1])*s)}
	}
	return lm, nil
}

// arcface112 is the ArcFace 5-point template in the 112×112 crop.
var arcface112 = [5][2]float64{
	{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041},
}

func meanPt(lm *[68]Point, idx ...int) [2]float64 {
	var x, y float64
	for _, i := range idx {
		x += float64(lm[i].X)
		y += float64(lm[i].Y)
	}
	n := float64(len(idx))
	return [2]float64{x / n, y / n}
}

// fivePoints reduces 68 landmarks to eye centres, nose tip and mouth corners.
func fivePoints(lm *[68]Point) [5][2]float64 {
	return [5][2]float64{
		meanPt(lm, eyeL...),
		meanPt(lm, eyeR...),
		meanPt(lm, 30),
		meanPt(lm, 48),
		meanPt(lm, 54),
	}
}

// similarity returns the least-squares similarity transform (rotation, uniform scale,
// translation) taking src onto dst.
func similarity(src, dst [5][2]float64) affine {
	var msx, msy, mdx, mdy float64
	for i := range src {
		msx += src[i][0]
		msy += src[i][1]
		mdx += dst[i][0]
		mdy += dst[i][1]
	}
	n := float64(len(src))
	msx, msy, mdx, mdy = msx/n, msy/n, mdx/n, mdy/n
	var num1, num2, den float64
	for i := range src {
		sx, sy := src[i][0]-msx, src[i][1]-msy
		dx, dy := dst[i][0]-mdx, dst[i][1]-mdy
		num1 += sx*dx + sy*dy
		num2 += sx*dy - sy*dx
		den += sx*sx + sy*sy
	}
	a, b := num1/den, num2/den
	// x' = a x - b y + tx ; y' = b x + a y + ty
	return affine{A: a, B: -b, C: mdx - (a*msx - b*msy), D: b, E: a, F: mdy - (b*msx + a*msy)}
}

// alignFace warps the face to the 112×112 ArcFace crop (RGB bytes).
func alignFace(img *image.RGBA, lm [68]Point) []uint8 {
	fp := fivePoints(&lm)
	// Template coordinates are in pixel-index space (OpenCV); ours are continuous with
	// pixel centres at i+0.5: shift both by half a pixel.
	var src, dst [5][2]float64
	for i := range fp {
		src[i] = [2]float64{fp[i][0], fp[i][1]}
		dst[i] = [2]float64{arcface112[i][0] + 0.5, arcface112[i][1] + 0.5}
	}
	t := similarity(src, dst) // image -> crop
	return warpRGB(img, t.invert(), 112, 112)
}

// embed returns the L2-normalised embedding of an aligned face, fused with the embedding of
// its mirror image: both in one run of the model, a batch of two (the same values as two
// runs, TestRewrittenModelsMatchOriginal; 2–5 % less CPU than two runs).
func (e *Engine) embed(aligned []uint8) ([]float32, error) {
	const n = 3 * 112 * 112
	if !flipFusion {
		out, err := e.feature.run(chw(aligned, 112, 112, featOrder, 127.5, 1.0/128))
		if err != nil {
			return nil, err
		}
		normalize(out[0])
		return out[0], nil
	}
	in := make([]float32, 2*n)
	chwInto(in[:n], aligned, 112, 112, featOrder, 127.5, 1.0/128)
	chwInto(in[n:], mirror(aligned, 112, 112), 112, 112, featOrder, 127.5, 1.0/128)
	out, err := e.feature.runBatchInto(in, 2, nil)
	if err != nil {
		return nil, err
	}
	v, v2 := out[0][:512:512], out[0][512:]
	for i := range v {
		v[i] += v2[i]
	}
	normalize(v)
	return v, nil
}

var flipFusion = true

// featOrder: the embedding model was trained on BGR input (measured on LFW dev: d' 6.37 BGR vs 5.86 RGB).
var featOrder = [3]int{2, 1, 0}

func mirror(rgb []uint8, w, h int) []uint8 {
	out := make([]uint8, len(rgb))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			copy(out[3*(y*w+w-1-x):3*(y*w+w-x)], rgb[3*(y*w+x):3*(y*w+x+1)])
		}
	}
	return out
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	k := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= k
	}
}

// Similarity is the cosine similarity of two embeddings (0 if either is empty or sizes differ).
func Similarity(a, b []float32) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return 0
	}
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return d / math.Sqrt(na*nb)
}

func softmax(x []float32) []float64 {
	m := float64(x[0])
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(float64(v) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// liveCrop returns the 128×128 RGB crop the anti-spoof model sees: the square detector box
// enlarged 2.7× (less if the image is too small), moved to stay inside the image.
func liveCrop(img *image.RGBA, box [4]float32) []uint8 {
	W, H := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	cx, cy, s := squareBox(box)
	k := math.Min(2.7, math.Min(H/s, W/s))
	n := s * k
	x0, y0 := cx-n/2, cy-n/2
	x0 = math.Max(0, math.Min(x0, W-n))
	y0 = math.Max(0, math.Min(y0, H-n))
	return warpRGB(img, rectAffine(x0, y0, x0+n, y0+n, 128, 128), 128, 128)
}

// live returns the anti-spoof probability that the face is live (BGR 0–255 input).
func (e *Engine) live(img *image.RGBA, box [4]float32) (float32, error) {
	out, err := e.liveness.run(chw(liveCrop(img, box), 128, 128, [3]int{2, 1, 0}, 0, 1))
	if err != nil {
		return 0, err
	}
	p := softmax(out[0])
	return float32(p[liveClass]), nil
}

var liveClass = 0 // verified on nuaa live frames and the silent-face samples

var eyeL, eyeR = []int{36, 37, 38, 39, 40, 41}, []int{42, 43, 44, 45, 46, 47}

// lmFrame returns a reference centre and scale of the landmarks: the midpoint between the
// eye centres and the mouth centre, and the eye-to-mouth distance plus inter-ocular distance.
func lmFrame(lm *[68]Point) (cx, cy, ext float64) {
	fp := fivePoints(lm)
	ex, ey := (fp[0][0]+fp[1][0])/2, (fp[0][1]+fp[1][1])/2
	mx, my := (fp[3][0]+fp[4][0])/2, (fp[3][1]+fp[4][1])/2
	cx, cy = (ex+mx)/2, (ey+my)/2
	ext = math.Hypot(mx-ex, my-ey) + math.Hypot(fp[1][0]-fp[0][0], fp[1][1]-fp[0][1])
	return
}
