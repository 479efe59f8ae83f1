package vision

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/testenv"
)

var (
	engOnce sync.Once
	eng     *Engine
	engErr  error
)

// engine opens one shared Engine on the real models.
func engine(t testing.TB) *Engine {
	t.Helper()
	md, lib := testenv.ModelDir(t), testenv.ORTLib(t)
	engOnce.Do(func() { eng, engErr = Open(Config{ModelDir: md, LibPath: lib, Threads: 1}) })
	if engErr != nil {
		t.Fatal(engErr)
	}
	return eng
}

func readData(t testing.TB, rel string) []byte {
	t.Helper()
	ds := testenv.Datasets(t, filepath.Dir(rel))
	b, err := os.ReadFile(filepath.Join(ds, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeData(t testing.TB, rel string) *image.RGBA {
	t.Helper()
	img, err := Decode(readData(t, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return img
}

const (
	lfwGul1  = "faces/lfw-dev/Abdullah_Gul/Abdullah_Gul_0001.jpg"
	dfJolie  = "faces/deepface/img1.jpg"
	dfJolie2 = "faces/deepface/img2.jpg"
	dfWebP   = "faces/deepface/img47.jpg"
	dfCouple = "faces/deepface/couple.jpg"
	noFace   = "idcards/images/00a0d1ba365f44f280a2adc22edf8c5e_0.jpg" // back side of an ID card
)

func TestDecodeFormats(t *testing.T) {
	jpg := decodeData(t, lfwGul1)
	if jpg.Rect.Dx() != 250 || jpg.Rect.Dy() != 250 {
		t.Fatalf("LFW jpeg size %v", jpg.Rect)
	}
	webp := decodeData(t, dfWebP)
	if webp.Rect.Dx() < 100 {
		t.Fatalf("webp size %v", webp.Rect)
	}
	// PNG: the same real photo re-encoded losslessly must decode to identical pixels.
	var buf bytes.Buffer
	if err := png.Encode(&buf, jpg); err != nil {
		t.Fatal(err)
	}
	p, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Pix, jpg.Pix) {
		t.Fatal("PNG round trip changed pixels")
	}
	for _, bad := range [][]byte{nil, []byte("hello"), readData(t, lfwGul1)[:300], []byte("RIFF\x00\x00\x00\x00WEBPVP8 junk")} {
		if _, err := Decode(bad); !errors.Is(err, ErrBadImage) {
			t.Errorf("Decode(%d bytes) = %v, want ErrBadImage", len(bad), err)
		}
	}
}

func TestDecodeEXIFOrientation(t *testing.T) {
	e := engine(t)
	orig := decodeData(t, dfJolie)
	data := testenv.Orientation6JPEG(t, orig, 95)
	if o := exifOrientation(data); o != 6 {
		t.Fatalf("orientation = %d, want 6", o)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rect.Dx() != orig.Rect.Dx() || got.Rect.Dy() != orig.Rect.Dy() {
		t.Fatalf("oriented size %v, want %v", got.Rect, orig.Rect)
	}
	a, err := e.Faces(orig, NeedEmbedding)
	if err != nil || len(a) != 1 {
		t.Fatalf("original: %d faces, %v", len(a), err)
	}
	b, err := e.Faces(got, NeedEmbedding)
	if err != nil || len(b) != 1 {
		t.Fatalf("rotated+EXIF: %d faces, %v", len(b), err)
	}
	if s := Similarity(a[0].Embedding, b[0].Embedding); s < 0.9 {
		t.Fatalf("upright decode differs from original: similarity %.3f", s)
	}
}

func TestFacesAndQuality(t *testing.T) {
	e := engine(t)
	img := decodeData(t, dfJolie)
	faces, err := e.Faces(img, NeedLandmarks|NeedEmbedding|NeedLive|NeedQuality)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 1 {
		t.Fatalf("%d faces, want 1", len(faces))
	}
	f := faces[0]
	if len(f.Embedding) != 512 {
		t.Fatalf("embedding len %d", len(f.Embedding))
	}
	var n float64
	for _, v := range f.Embedding {
		n += float64(v) * float64(v)
	}
	if math.Abs(n-1) > 1e-4 {
		t.Fatalf("embedding norm² %f", n)
	}
	// landmarks: eyes above nose above mouth, all inside the box
	le, re := meanPt(&f.Landmarks, 36, 39), meanPt(&f.Landmarks, 42, 45)
	if !(le[0] < re[0] && le[1] < float64(f.Landmarks[30].Y) && float64(f.Landmarks[30].Y) < float64(f.Landmarks[51].Y)) {
		t.Fatalf("implausible landmarks: %v", f.Landmarks)
	}
	q := f.Quality
	if q.Size < 300 || q.Score < 60 || q.EyesOpen < 0.5 || math.Abs(float64(q.Yaw)) > 25 {
		t.Fatalf("quality of a frontal portrait: %+v", q)
	}
	// the same face shrunk to 48 px scores lower on size and sharpness
	small := toRGBA(rgbImage(warpRGB(img, rectAffine(0, 0, float64(img.Rect.Dx()), float64(img.Rect.Dy()), 96, 130), 96, 130), 96, 130))
	sf, err := e.Faces(small, NeedQuality)
	if err != nil || len(sf) != 1 {
		t.Fatalf("small: %d faces %v", len(sf), err)
	}
	if sf[0].Quality.Score >= q.Score {
		t.Fatalf("small face quality %v >= %v", sf[0].Quality.Score, q.Score)
	}
}

func TestNoFaceAndTwoFaces(t *testing.T) {
	e := engine(t)
	faces, err := e.Faces(decodeData(t, noFace), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 0 {
		t.Fatalf("ID card back side: %d faces, want 0", len(faces))
	}
	faces, err = e.Faces(decodeData(t, dfCouple), NeedEmbedding)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 2 {
		t.Fatalf("couple.jpg: %d faces, want 2", len(faces))
	}
	if boxArea(faces[0].Box) < boxArea(faces[1].Box) {
		t.Fatal("faces not sorted largest first")
	}
	if s := Similarity(faces[0].Embedding, faces[1].Embedding); s > SimThresholds["1e-3"] {
		t.Fatalf("two different people score %.3f", s)
	}
}

func TestReferenceFace(t *testing.T) {
	e := engine(t)
	cases := []struct {
		file, msg string
	}{
		{dfJolie, ""},
		{dfWebP, ""},
		{"faces/deepface/img41.jpg", ""}, // a blurred person behind the subject is ignored
		{noFace, MsgNoFace},
		{dfCouple, MsgManyFaces},
	}
	for _, c := range cases {
		f, err := e.ReferenceFace(readData(t, c.file))
		if c.msg == "" {
			if err != nil || len(f.Embedding) != 512 {
				t.Errorf("%s: %v", c.file, err)
			}
			continue
		}
		var fe *faceverify.Error
		if !errors.As(err, &fe) || fe.Code != faceverify.EINVALID || fe.Message != c.msg {
			t.Errorf("%s: err %v, want EINVALID %q", c.file, err, c.msg)
		}
	}
	_, err := e.ReferenceFace([]byte("%PDF-1.4 not an image"))
	var fe *faceverify.Error
	if !errors.As(err, &fe) || fe.Message != MsgNotImage {
		t.Errorf("pdf: %v", err)
	}
}

func TestSameAndDifferentPerson(t *testing.T) {
	e := engine(t)
	emb := func(rel string) []float32 {
		f, err := e.ReferenceFace(readData(t, rel))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		return f.Embedding
	}
	jolie1, jolie2 := emb(dfJolie), emb(dfJolie2)
	same := Calibrate(Similarity(jolie1, jolie2))
	if same.Confidence < ConfidenceThreshold("1e-5") || same.VerifyScore < 80 {
		t.Errorf("same person: %+v", same)
	}
	for _, other := range []string{"faces/deepface/img8.jpg" /* S. Johansson */, lfwGul1} {
		diff := Calibrate(Similarity(jolie1, emb(other)))
		if diff.Confidence >= ConfidenceThreshold("1e-3") || diff.VerifyScore >= 70 {
			t.Errorf("%s vs Jolie: %+v", other, diff)
		}
	}
	// LFW same-identity pair
	a, b := emb("faces/lfw-dev/Abdullah_Gul/Abdullah_Gul_0012.jpg"), emb("faces/lfw-dev/Abdullah_Gul/Abdullah_Gul_0014.jpg")
	if s := Calibrate(Similarity(a, b)); s.Confidence < ConfidenceThreshold("1e-4") {
		t.Errorf("Gul 12 vs 14: %+v", s)
	}
}

func TestAntiSpoofSamples(t *testing.T) {
	e := engine(t)
	live := func(rel string) float32 {
		faces, err := e.Faces(decodeData(t, rel), NeedLive)
		if err != nil || len(faces) == 0 {
			t.Fatalf("%s: %d faces %v", rel, len(faces), err)
		}
		return faces[0].Live
	}
	liveFiles := []string{"antispoof/nuaa/live/0001/0001_00_00_01_0.jpg", "antispoof/silent-face-sample/image_T1.jpg"}
	spoofFiles := []string{"antispoof/silent-face-sample/image_F1.jpg", "antispoof/silent-face-sample/image_F2.jpg"}
	if ds := testenv.DatasetsDir(); true {
		if m, _ := filepath.Glob(filepath.Join(ds, "antispoof/nuaa/spoof/0001/*.jpg")); len(m) > 0 {
			r, _ := filepath.Rel(ds, m[0])
			spoofFiles = append(spoofFiles, r)
		}
	}
	for _, f := range liveFiles {
		if p := live(f); p < 0.5 {
			t.Errorf("live sample %s: live %.3f", f, p)
		}
	}
	for _, f := range spoofFiles {
		if p := live(f); p >= 0.5 {
			t.Errorf("spoof sample %s: live %.3f", f, p)
		}
	}
}

func TestConcurrentFaces(t *testing.T) {
	e := engine(t)
	img := decodeData(t, lfwGul1)
	ref, err := e.Faces(img, NeedEmbedding|NeedLive)
	if err != nil || len(ref) != 1 {
		t.Fatal(len(ref), err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 3; k++ {
				got, err := e.Faces(img, NeedEmbedding|NeedLive)
				if err != nil {
					errs <- err
					return
				}
				if len(got) != 1 || Similarity(got[0].Embedding, ref[0].Embedding) < 0.9999 || got[0].Live != ref[0].Live {
					errs <- errors.New("concurrent result differs")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCalibration(t *testing.T) {
	prevC, prevV := -1.0, -1.0
	for s := -1.0; s <= 1.0001; s += 0.001 {
		sc := Calibrate(s)
		if sc.Confidence < prevC || sc.VerifyScore < prevV {
			t.Fatalf("not monotonic at %.3f: %+v", s, sc)
		}
		if sc.Confidence < 0 || sc.Confidence > 100 || sc.VerifyScore < 0 || sc.VerifyScore > 100 {
			t.Fatalf("out of range at %.3f: %+v", s, sc)
		}
		prevC, prevV = sc.Confidence, sc.VerifyScore
	}
	if c := Calibrate(1); c.Confidence != 100 || c.VerifyScore != 100 {
		t.Errorf("identical faces: %+v", c)
	}
	want := map[string]float64{"1e-3": 62.168713, "1e-4": 69.31534, "1e-5": 74.39926, "1e-6": 78.038055}
	th := Calibrate(0.5).Thresholds
	for far, v := range want {
		if th[far] != v || ConfidenceThreshold(far) != v {
			t.Errorf("threshold %s = %v / %v, want %v", far, th[far], ConfidenceThreshold(far), v)
		}
		// the fitted similarity threshold maps exactly onto the published confidence
		if c := Calibrate(SimThresholds[far]).Confidence; math.Abs(c-v) > 1e-3 {
			t.Errorf("confidence at sim threshold %s = %v, want %v", far, c, v)
		}
	}
	for far, v := range CloudauthThresholds {
		if s := Calibrate(SimThresholds[far]).VerifyScore; math.Abs(s-v) > 1e-3 {
			t.Errorf("verifyScore at %s = %v, want %v", far, s, v)
		}
		if VerifyScoreThreshold(far) != v {
			t.Errorf("VerifyScoreThreshold(%s)", far)
		}
	}
	if !(SimThresholds["1e-3"] < SimThresholds["1e-4"] && SimThresholds["1e-4"] < SimThresholds["1e-5"] && SimThresholds["1e-5"] < SimThresholds["1e-6"]) {
		t.Errorf("similarity thresholds not increasing: %v", SimThresholds)
	}
	if v := ConfidenceThreshold("3e-4"); !(v > want["1e-3"] && v < want["1e-4"]) {
		t.Errorf("interpolated 3e-4 threshold %v", v)
	}
	if !math.IsNaN(ConfidenceThreshold("1e-2")) || !math.IsNaN(ConfidenceThreshold("x")) {
		t.Error("out-of-range FAR should be NaN")
	}
}

func TestSimilarityEdgeCases(t *testing.T) {
	if Similarity(nil, nil) != 0 || Similarity([]float32{1}, []float32{1, 2}) != 0 || Similarity([]float32{0, 0}, []float32{1, 0}) != 0 {
		t.Fatal("degenerate inputs must give 0")
	}
	if s := Similarity([]float32{1, 2}, []float32{2, 4}); math.Abs(s-1) > 1e-9 {
		t.Fatal(s)
	}
}
