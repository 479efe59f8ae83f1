package vision

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/faceverify/faceverify/internal/testenv"
	"golang.org/x/image/draw"
)

// Per-stage latency and end-to-end compares/s on the real models:
//
//	go test ./vision/ -run '^$' -bench . -benchtime 3s
//
// Besides wall time (ns/op) every benchmark reports cpu-ms/op, the process CPU time
// (user+system, all threads) per operation: on a shared, loaded machine it is the steadier
// figure.

// cpuClock reports cpu-ms/op when the returned func is called at the end of the benchmark.
func cpuClock(b *testing.B) func() {
	start := cpuNow()
	b.ResetTimer()
	return func() {
		b.StopTimer()
		b.ReportMetric(float64(cpuNow()-start)/1e6/float64(b.N), "cpu-ms/op")
	}
}

// timed runs op b.N times, reporting cpu-ms/op; an error fails the benchmark.
func timed(b *testing.B, op func() error) {
	defer cpuClock(b)()
	for i := 0; i < b.N; i++ {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
}

func cpuNow() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
func benchFace(b *testing.B) (*Engine, []byte, Face) {
	e := engine(b)
	data := readData(b, lfwGul1)
	img, _ := Decode(data)
	faces, err := e.Faces(img, NeedLandmarks)
	if err != nil || len(faces) != 1 {
		b.Fatal(len(faces), err)
	}
	return e, data, faces[0]
}

// BenchmarkDecodeJPEG: Decode (libjpeg-turbo) and, beside it, what it replaced (image/jpeg +
// toRGBA) on an LFW face, a 1382×1868 phone photo and a 1600×1200 photo (an ID card side as
// the page uploads it).
func BenchmarkDecodeJPEG(b *testing.B) {
	src := decodeData(b, dfCouple)
	card := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	draw.BiLinear.Scale(card, card.Rect, src, src.Rect, draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, card, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"lfw250", readData(b, lfwGul1)}, {"phone1382x1868", readData(b, dfJolie)}, {"card1600x1200", buf.Bytes()}} {
		b.Run(c.name+"/libjpeg", func(b *testing.B) {
			timed(b, func() error { _, err := Decode(c.data); return err })
		})
		b.Run(c.name+"/image-jpeg", func(b *testing.B) {
			timed(b, func() error { goJPEG(b, c.data); return nil })
		})
	}
}

func BenchmarkDetect(b *testing.B) {
	e, data, _ := benchFace(b)
	img, _ := Decode(data)
	timed(b, func() error { _, err := e.detectFaces(img); return err })
}

func BenchmarkLandmarks(b *testing.B) { // two passes of the 68-point model
	e, data, f := benchFace(b)
	img, _ := Decode(data)
	timed(b, func() error { _, err := e.landmarks(img, f.Box); return err })
}

func BenchmarkAlignEmbed(b *testing.B) { // alignment + embedding with flip fusion (2 runs)
	e, data, f := benchFace(b)
	img, _ := Decode(data)
	timed(b, func() error { _, err := e.embed(alignFace(img, f.Landmarks)); return err })
}

func BenchmarkAntiSpoof(b *testing.B) {
	e, data, f := benchFace(b)
	img, _ := Decode(data)
	timed(b, func() error { _, err := e.live(img, f.Box); return err })
}

func BenchmarkQuality(b *testing.B) { // pose model + eye model ×2 + image measures
	e, data, f := benchFace(b)
	img, _ := Decode(data)
	al := alignFace(img, f.Landmarks)
	timed(b, func() error { _, err := e.quality(img, &f, al); return err })
}

// BenchmarkCompare is one full 1:1 comparison of two LFW photos from bytes: decode, detect,
// landmarks, align, embed (flip fusion) both, cosine, calibrate. compares/s = 1e9 / ns/op.
func BenchmarkCompare(b *testing.B) {
	e := engine(b)
	a, c := readData(b, lfwGul1), readData(b, "faces/lfw-dev/Abdullah_Gul/Abdullah_Gul_0014.jpg")
	defer cpuClock(b)()
	for i := 0; i < b.N; i++ {
		fa, err := e.ReferenceFace(a)
		if err != nil {
			b.Fatal(err)
		}
		fc, err := e.ReferenceFace(c)
		if err != nil {
			b.Fatal(err)
		}
		_ = Calibrate(Similarity(fa.Embedding, fc.Embedding))
	}
}

// BenchmarkCompareEmbedOnly is BenchmarkCompare without the quality models (what the pairs
// evaluation and the peer script measure: detect + landmarks + embedding).
func BenchmarkCompareEmbedOnly(b *testing.B) {
	e := engine(b)
	a, c := readData(b, lfwGul1), readData(b, "faces/lfw-dev/Abdullah_Gul/Abdullah_Gul_0014.jpg")
	one := func(d []byte) []float32 {
		img, err := Decode(d)
		if err != nil {
			b.Fatal(err)
		}
		f, err := e.Faces(img, NeedEmbedding)
		if err != nil || len(f) == 0 {
			b.Fatal(err)
		}
		return f[0].Embedding
	}
	defer cpuClock(b)()
	for i := 0; i < b.N; i++ {
		_ = Calibrate(Similarity(one(a), one(c)))
	}
}

// BenchmarkCompareParallel runs BenchmarkCompareEmbedOnly on all cores (GOMAXPROCS goroutines).
func BenchmarkCompareParallel(b *testing.B) {
	e := engine(b)
	a, c := readData(b, lfwGul1), readData(b, "faces/lfw-dev/Abdullah_Gul/Abdullah_Gul_0014.jpg")
	defer cpuClock(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var embs [2][]float32
			for k, d := range [2][]byte{a, c} {
				img, _ := Decode(d)
				f, err := e.Faces(img, NeedEmbedding)
				if err != nil || len(f) == 0 {
					b.Error(err)
					return
				}
				embs[k] = f[0].Embedding
			}
			_ = Similarity(embs[0], embs[1])
		}
	})
}

// TestLFWDevAccuracy is the full LFW dev-fold evaluation (opt-in: FACEVERIFY_LFW=1, ~40 s).
func TestLFWDevAccuracy(t *testing.T) {
	if os.Getenv("FACEVERIFY_LFW") == "" {
		t.Skip("set FACEVERIFY_LFW=1 to run the LFW dev-fold evaluation")
	}
	e := engine(t)
	ds := testenv.Datasets(t, "faces/lfw-dev")
	pairs, err := ReadPairs(filepath.Join(ds, "faces/lfw-dev/pairs-dev.txt"), "")
	if err != nil {
		t.Fatal(err)
	}
	scores, _ := e.ScorePairs(pairs, PickCentral, 2)
	s := Summarize(scores)
	t.Logf("LFW dev: %+v", s)
	if s.Errors > 0 || s.Accuracy < 0.993 {
		t.Fatalf("LFW dev accuracy %.4f (errors %d), want >= 0.993", s.Accuracy, s.Errors)
	}
}

// BenchmarkFacesLargePhoto: detection + landmarks + embedding + anti-spoof + quality on a
// decoded 1382×1868 photo (decode excluded; see BenchmarkDecodeJPEGLarge).
func BenchmarkFacesLargePhoto(b *testing.B) {
	e := engine(b)
	img := decodeData(b, dfJolie)
	defer cpuClock(b)()
	for i := 0; i < b.N; i++ {
		if f, err := e.Faces(img, NeedEmbedding|NeedLive|NeedQuality); err != nil || len(f) != 1 {
			b.Fatal(err)
		}
	}
}
