package vision

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Pick says which face of a photo is compared when there are several.
type Pick string

const (
	PickLargest Pick = "largest" // the largest in-focus subject (default for uploads; see Subjects)
	PickCentral Pick = "central" // the face nearest the image centre (LFW protocol: the subject is centred)
)

// PickFace returns the index of the chosen face in faces (sorted largest first), -1 if none.
func PickFace(faces []Face, w, h int, p Pick) int {
	if len(faces) == 0 {
		return -1
	}
	if p != PickCentral {
		if s := Subjects(faces); len(s) > 0 {
			for i := range faces {
				if faces[i].Box == s[0].Box {
					return i
				}
			}
		}
		return 0
	}
	best, bd := 0, math.Inf(1)
	cx, cy := float64(w)/2, float64(h)/2
	for i, f := range faces {
		fx, fy := float64(f.Box[0]+f.Box[2])/2, float64(f.Box[1]+f.Box[3])/2
		if d := math.Hypot(fx-cx, fy-cy); d < bd {
			best, bd = i, d
		}
	}
	return best
}

// imageResult is the embedding of the chosen face of one file.
type imageResult struct {
	Faces int
	Emb   []float32
	Err   error
}

// embedFiles embeds the chosen face of each file with a pool of workers.
func (e *Engine) embedFiles(paths []string, pick Pick, workers int) map[string]imageResult {
	if workers < 1 {
		workers = 1
	}
	res := make(map[string]imageResult, len(paths))
	var mu sync.Mutex
	ch := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range ch {
				r := e.embedFile(p, pick)
				mu.Lock()
				res[p] = r
				mu.Unlock()
			}
		}()
	}
	seen := map[string]bool{}
	for _, p := range paths {
		if !seen[p] {
			seen[p] = true
			ch <- p
		}
	}
	close(ch)
	wg.Wait()
	return res
}

func (e *Engine) embedFile(path string, pick Pick) imageResult {
	data, err := os.ReadFile(path)
	if err != nil {
		return imageResult{Err: err}
	}
	img, err := Decode(data)
	if err != nil {
		return imageResult{Err: errors.New("not an image")}
	}
	faces, err := e.Faces(img, 0)
	if err != nil {
		return imageResult{Err: err}
	}
	i := PickFace(faces, img.Rect.Dx(), img.Rect.Dy(), pick)
	if i < 0 {
		return imageResult{Err: errors.New("no face")}
	}
	if err := e.fill(img, &faces[i], NeedEmbedding); err != nil {
		return imageResult{Faces: len(faces), Err: err}
	}
	return imageResult{Faces: len(faces), Emb: faces[i].Embedding}
}

// Pair is one labelled comparison.
type Pair struct {
	A, B string // paths
	Same bool
	Fold int
}

// ReadPairs reads LFW pairs.txt (folds of same then different pairs, images
// <root>/<Name>/<Name>_<%04d>.jpg) or a CSV with header file_x,file_y,Decision|decision
// (deepface master.csv; bare or path-prefixed names resolved in root; 10 folds by index).
func ReadPairs(path, root string) ([]Pair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if root == "" {
		root = filepath.Dir(path)
	}
	if strings.HasSuffix(strings.ToLower(path), ".csv") {
		return readCSVPairs(data, root)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	var pairs []Pair
	line := 0
	perFold := 0
	img := func(name, idx string) (string, error) {
		n, err := strconv.Atoi(idx)
		if err != nil {
			return "", fmt.Errorf("pairs line %d: bad index %q", line, idx)
		}
		return filepath.Join(root, name, fmt.Sprintf("%s_%04d.jpg", name, n)), nil
	}
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if line == 1 && len(f) == 2 {
			perFold, _ = strconv.Atoi(f[1])
			continue
		}
		// name idx idx (same person) or name idx name idx (two people)
		var na, ia, nb, ib string
		switch len(f) {
		case 3:
			na, ia, nb, ib = f[0], f[1], f[0], f[2]
		case 4:
			na, ia, nb, ib = f[0], f[1], f[2], f[3]
		default:
			return nil, fmt.Errorf("pairs line %d: want 3 or 4 fields", line)
		}
		a, err := img(na, ia)
		if err != nil {
			return nil, err
		}
		b, err := img(nb, ib)
		if err != nil {
			return nil, err
		}
		p := Pair{A: a, B: b, Same: len(f) == 3}
		if perFold > 0 {
			p.Fold = len(pairs) / (2 * perFold)
		}
		pairs = append(pairs, p)
	}
	return pairs, sc.Err()
}

func readCSVPairs(data []byte, root string) ([]Pair, error) {
	r := csv.NewReader(strings.NewReader(string(data)))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) < 2 {
		return nil, errors.New("pairs csv: no rows")
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	ix, okx := col["file_x"]
	iy, oky := col["file_y"]
	id, okd := col["decision"]
	if !okx || !oky || !okd {
		return nil, errors.New("pairs csv: want columns file_x,file_y,decision")
	}
	var pairs []Pair
	for i, rec := range recs[1:] {
		if len(rec) <= max(ix, iy, id) {
			continue
		}
		pairs = append(pairs, Pair{
			A:    filepath.Join(root, filepath.Base(strings.TrimSpace(rec[ix]))),
			B:    filepath.Join(root, filepath.Base(strings.TrimSpace(rec[iy]))),
			Same: strings.EqualFold(strings.TrimSpace(rec[id]), "yes"),
			Fold: i % 10,
		})
	}
	return pairs, nil
}

// PairScore is the outcome of one pair.
type PairScore struct {
	Pair
	FacesA, FacesB int
	Sim            float64
	Err            error
}

// Summary is the evaluation of a list of scored pairs.
type Summary struct {
	Summary         bool               `json:"summary"`
	Pairs           int                `json:"pairs"`
	Same            int                `json:"same_pairs"`
	Errors          int                `json:"errors"`
	Folds           int                `json:"folds"`
	Accuracy        float64            `json:"accuracy"`     // mean held-out fold accuracy (threshold tuned on the other folds)
	AccuracyStd     float64            `json:"accuracy_std"` // across folds
	FoldAccuracy    []float64          `json:"fold_accuracy"`
	BestThreshold   float64            `json:"best_threshold_similarity"` // tuned on all pairs
	AccAt1e3        float64            `json:"accuracy_at_calibrated_1e-3"`
	DPrime          float64            `json:"d_prime"`    // separation of same/different similarity distributions
	TAR             map[string]float64 `json:"tar_at_far"` // with the calibrated thresholds
	FAR             map[string]float64 `json:"far_measured"`
	Seconds         float64            `json:"seconds,omitempty"`
	Images          int                `json:"images,omitempty"`
	ImagesPerSec    float64            `json:"images_per_s,omitempty"`
	CPUMSPerImage   float64            `json:"cpu_ms_per_image,omitempty"`         // process CPU (all threads) per image
	FloorMSPerImage float64            `json:"model_floor_ms_per_image,omitempty"` // inference CPU per image (onnxrt meter)
}

// Summarize computes fold accuracy and TAR at the calibrated FAR thresholds. Pairs whose
// images failed count with similarity -1 (a "different" decision).
func Summarize(ps []PairScore) Summary {
	s := Summary{Summary: true, Pairs: len(ps), TAR: map[string]float64{}, FAR: map[string]float64{}}
	sims := make([]float64, len(ps))
	folds := 0
	for i, p := range ps {
		sims[i] = p.Sim
		if p.Err != nil {
			sims[i] = -1
			s.Errors++
		}
		if p.Same {
			s.Same++
		}
		folds = max(folds, p.Fold+1)
	}
	s.Folds = folds
	idx := func(pred func(int) bool) []int {
		var out []int
		for i := range ps {
			if pred(i) {
				out = append(out, i)
			}
		}
		return out
	}
	acc := func(ix []int, thr float64) float64 {
		if len(ix) == 0 {
			return 0
		}
		ok := 0
		for _, i := range ix {
			if (sims[i] >= thr) == ps[i].Same {
				ok++
			}
		}
		return float64(ok) / float64(len(ix))
	}
	best := func(ix []int) float64 {
		cand := make([]float64, 0, len(ix))
		for _, i := range ix {
			cand = append(cand, sims[i])
		}
		sort.Float64s(cand)
		bt, ba := 0.0, -1.0
		for k := range cand {
			t := cand[k]
			if k > 0 {
				t = (cand[k] + cand[k-1]) / 2
			}
			if a := acc(ix, t); a > ba {
				bt, ba = t, a
			}
		}
		return bt
	}
	all := idx(func(int) bool { return true })
	s.BestThreshold = round4(best(all))
	if folds > 1 {
		var sum, sum2 float64
		for f := 0; f < folds; f++ {
			test := idx(func(i int) bool { return ps[i].Fold == f })
			train := idx(func(i int) bool { return ps[i].Fold != f })
			a := acc(test, best(train))
			s.FoldAccuracy = append(s.FoldAccuracy, round4(a))
			sum += a
			sum2 += a * a
		}
		n := float64(folds)
		s.Accuracy = round4(sum / n)
		s.AccuracyStd = round4(math.Sqrt(math.Max(0, sum2/n-(sum/n)*(sum/n))))
	} else {
		s.Accuracy = round4(acc(all, s.BestThreshold))
	}
	s.AccAt1e3 = round4(acc(all, SimThresholds["1e-3"]))
	var m [2]float64
	var v [2]float64
	var c [2]float64
	for i, p := range ps {
		k := 0
		if p.Same {
			k = 1
		}
		m[k] += sims[i]
		v[k] += sims[i] * sims[i]
		c[k]++
	}
	if c[0] > 1 && c[1] > 1 {
		for k := range m {
			m[k] /= c[k]
			v[k] = v[k]/c[k] - m[k]*m[k]
		}
		s.DPrime = round4((m[1] - m[0]) / math.Sqrt((v[0]+v[1])/2))
	}
	for _, far := range farOrder {
		thr := SimThresholds[far]
		var ta, tn, fa, fn int
		for i, p := range ps {
			if p.Same {
				tn++
				if sims[i] >= thr {
					ta++
				}
			} else {
				fn++
				if sims[i] >= thr {
					fa++
				}
			}
		}
		if tn > 0 {
			s.TAR[far] = round4(float64(ta) / float64(tn))
		}
		if fn > 0 {
			s.FAR[far] = round4(float64(fa) / float64(fn))
		}
	}
	return s
}

// ScorePairs embeds every image once and scores the pairs.
func (e *Engine) ScorePairs(pairs []Pair, pick Pick, workers int) ([]PairScore, int) {
	var paths []string
	for _, p := range pairs {
		paths = append(paths, p.A, p.B)
	}
	res := e.embedFiles(paths, pick, workers)
	out := make([]PairScore, len(pairs))
	for i, p := range pairs {
		a, b := res[p.A], res[p.B]
		ps := PairScore{Pair: p, FacesA: a.Faces, FacesB: b.Faces}
		switch {
		case a.Err != nil:
			ps.Err = fmt.Errorf("image a: %w", a.Err)
		case b.Err != nil:
			ps.Err = fmt.Errorf("image b: %w", b.Err)
		default:
			ps.Sim = Similarity(a.Emb, b.Emb)
		}
		out[i] = ps
	}
	return out, len(res)
}
