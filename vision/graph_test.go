package vision

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify/internal/onnxrt"
	"github.com/faceverify/faceverify/internal/testenv"
	ort "github.com/yalue/onnxruntime_go"
)

// openRaw makes a session of the model file with the given rewrites (none: as shipped).
func openRaw(t *testing.T, sp modelSpec, rewrite ...func([]byte) ([]byte, error)) *model {
	t.Helper()
	engine(t) // the ORT environment
	data, err := loadModel(filepath.Join(testenv.ModelDir(t), sp.file), rewrite...)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := onnxrt.SessionOptions(1)
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{sp.in}, sp.outs, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Destroy() })
	m := &model{name: "test/" + sp.file, s: s, inShape: ort.NewShape(sp.shp...)}
	for _, o := range sp.oshp {
		m.outs = append(m.outs, ort.NewShape(o...))
	}
	return m
}

// rewriteInputs are real model inputs: the aligned faces (embedding) and anti-spoof crops
// of photos of different people, sizes and light, and their mirror images.
func rewriteInputs(t *testing.T) (emb, live [][]float32) {
	e := engine(t)
	for _, f := range []string{lfwGul1, "faces/lfw-dev/Abdullah_Gul/Abdullah_Gul_0014.jpg", dfJolie, dfJolie2, dfCouple} {
		img := decodeData(t, f)
		faces, err := e.Faces(img, NeedLandmarks)
		if err != nil || len(faces) == 0 {
			t.Fatal(f, err)
		}
		for _, fc := range faces {
			al := alignFace(img, fc.Landmarks)
			emb = append(emb, chw(al, 112, 112, featOrder, 127.5, 1.0/128), chw(mirror(al, 112, 112), 112, 112, featOrder, 127.5, 1.0/128))
			live = append(live, chw(liveCrop(img, fc.Box), 128, 128, [3]int{2, 1, 0}, 0, 1))
		}
	}
	return emb, live
}

func sameFloats(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: value %d is %v, the shipped model gives %v", what, i, got[i], want[i])
		}
	}
}

// TestRewrittenModelsMatchOriginal: the models as Open loads them (PRelu in NCHWc-friendly
// operators, the embedding with a free batch dimension) give every output value of the
// shipped models bit for bit, on real inputs; and the face with its mirror as one batch of
// two gives each item's single-run values.
func TestRewrittenModelsMatchOriginal(t *testing.T) {
	emb, live := rewriteInputs(t)
	fOrig, fNew := openRaw(t, specs["feature"]), openRaw(t, specs["feature"], specs["feature"].rewrite...)
	for k := 0; k+1 < len(emb); k += 2 {
		a, err := fOrig.run(emb[k])
		if err != nil {
			t.Fatal(err)
		}
		b, err := fOrig.run(emb[k+1])
		if err != nil {
			t.Fatal(err)
		}
		one, err := fNew.run(emb[k])
		if err != nil {
			t.Fatal(err)
		}
		sameFloats(t, "embedding, batch of one", one[0], a[0])
		two, err := fNew.runBatchInto(append(append([]float32{}, emb[k]...), emb[k+1]...), 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		sameFloats(t, "embedding, batch item 0", two[0][:512], a[0])
		sameFloats(t, "embedding, batch item 1 (mirror)", two[0][512:], b[0])
	}
	// the anti-spoof model as it would be rewritten (not loaded so: slower there)
	lOrig, lNew := openRaw(t, specs["liveness"]), openRaw(t, specs["liveness"], preluNchwc)
	for _, in := range live {
		a, err := lOrig.run(in)
		if err != nil {
			t.Fatal(err)
		}
		b, err := lNew.run(in)
		if err != nil {
			t.Fatal(err)
		}
		sameFloats(t, "anti-spoof", b[0], a[0])
	}
	t.Logf("%d embedding inputs, %d anti-spoof inputs: identical", len(emb), len(live))
}

// TestBatchFreeRefusesUnknownGraphs: a graph with operators whose result may depend on the
// batch in other ways (the detector's Shape/Gather/Constant) is refused, not rewritten.
func TestBatchFreeRefusesUnknownGraphs(t *testing.T) {
	for _, name := range []string{"detect", "eye", "pose"} {
		if _, err := loadModel(filepath.Join(testenv.ModelDir(t), specs[name].file), batchFree); !errors.Is(err, errNotBatchable) {
			t.Errorf("%s: batchFree gave %v, want errNotBatchable", name, err)
		}
	}
}
