package vision

import (
	"image"
	"math"
	"sort"
	"sync"
)

// Detector parameters (Ultra-Light RFB-320).
const (
	detW, detH    = 320, 240
	detThreshold  = 0.65 // face score threshold
	detNMSIoU     = 0.4  // NMS IoU
	detTopK       = 750
	detMinFacePix = 12 // boxes with a smaller side (image px) are dropped
)

type detBuf struct {
	rgb []uint8
	in  []float32
	out [2][]float32 // scores, boxes
}

var detBufs = sync.Pool{New: func() any {
	return &detBuf{rgb: make([]uint8, 3*detW*detH), in: make([]float32, 3*detW*detH),
		out: [2][]float32{make([]float32, 4420*2), make([]float32, 4420*4)}}
}}

type detection struct {
	box   [4]float32 // image pixels
	score float32
}

// detectIn runs the detector on the region (x0,y0)-(x1,y1) of img (which may extend beyond
// the image: the outside is black) resized to 320×240.
func (e *Engine) detectIn(img *image.RGBA, x0, y0, x1, y1 float64) ([]detection, error) {
	m := rectAffine(x0, y0, x1, y1, detW, detH)
	// one detector run per video frame: its ~1.3 MB of buffers are reused
	buf := detBufs.Get().(*detBuf)
	defer detBufs.Put(buf)
	rgb := warpRGBInto(buf.rgb, img, m, detW, detH)
	in := chwInto(buf.in, rgb, detW, detH, [3]int{0, 1, 2}, 127, 1.0/128)
	out, err := e.detect.runInto(in, buf.out[:])
	if err != nil {
		return nil, err
	}
	scores, boxes := out[0], out[1]
	var cand []detection
	W, H := float32(img.Rect.Dx()), float32(img.Rect.Dy())
	for i := 0; i < len(scores)/2; i++ {
		s := scores[2*i+1]
		if s < detThreshold {
			continue
		}
		b := boxes[4*i : 4*i+4]
		d := detection{score: s}
		d.box[0] = float32(x0) + b[0]*float32(x1-x0)
		d.box[1] = float32(y0) + b[1]*float32(y1-y0)
		d.box[2] = float32(x0) + b[2]*float32(x1-x0)
		d.box[3] = float32(y0) + b[3]*float32(y1-y0)
		d.box[0] = max(d.box[0], 0)
		d.box[1] = max(d.box[1], 0)
		d.box[2] = min(d.box[2], W)
		d.box[3] = min(d.box[3], H)
		if d.box[2]-d.box[0] < detMinFacePix || d.box[3]-d.box[1] < detMinFacePix {
			continue
		}
		cand = append(cand, d)
	}
	sort.Slice(cand, func(i, j int) bool { return cand[i].score > cand[j].score })
	if len(cand) > detTopK {
		cand = cand[:detTopK]
	}
	return nms(cand, detNMSIoU), nil
}

func iou(a, b [4]float32) float32 {
	ix := min(a[2], b[2]) - max(a[0], b[0])
	iy := min(a[3], b[3]) - max(a[1], b[1])
	if ix <= 0 || iy <= 0 {
		return 0
	}
	inter := ix * iy
	ua := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter
	return inter / ua
}

// nms keeps the best-scoring box of each overlapping group (input sorted by score).
func nms(c []detection, thr float32) []detection {
	var keep []detection
	for _, d := range c {
		ok := true
		for _, k := range keep {
			if iou(d.box, k.box) > thr {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, d)
		}
	}
	return keep
}

// detectFaces detects on the whole image; when nothing is found it retries with a border
// around the image (the detector misses faces that fill the frame).
func (e *Engine) detectFaces(img *image.RGBA) ([]detection, error) {
	W, H := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	// letterbox to the detector's 4:3 so faces keep their shape in portrait photos and
	// wide video frames (LFW dev: d' 6.39 letterboxed vs 6.37 stretched; deepface equal)
	x0, y0, x1, y1 := 0.0, 0.0, W, H
	if W*3 < H*4 {
		p := (H*4/3 - W) / 2
		x0, x1 = -p, W+p
	} else {
		p := (W*3/4 - H) / 2
		y0, y1 = -p, H+p
	}
	d, err := e.detectIn(img, x0, y0, x1, y1)
	if err != nil || len(d) > 0 {
		return d, err
	}
	p := 0.3 * math.Max(x1-x0, y1-y0)
	return e.detectIn(img, x0-p, y0-p*0.75, x1+p, y1+p*0.75)
}
