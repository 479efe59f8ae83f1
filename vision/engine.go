package vision

import (
	"errors"
	"fmt"
	"github.com/faceverify/faceverify/internal/onnxrt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// Config selects the models and the runtime.
type Config struct {
	ModelDir string // directory holding fr_*.onnx; default: DefaultModelDir()
	LibPath  string // path of libonnxruntime.so.1; default: DefaultORTLib()
	Threads  int    // intra-op threads per session run; default 1
}

// DefaultDepsDir is $FACEVERIFY_DEPS, else ".deps" under the working directory.
func DefaultDepsDir() string {
	if d := os.Getenv("FACEVERIFY_DEPS"); d != "" {
		return d
	}
	return ".deps"
}

// DefaultModelDir is $FACEVERIFY_MODELS, else <deps>/models.
func DefaultModelDir() string {
	if d := os.Getenv("FACEVERIFY_MODELS"); d != "" {
		return d
	}
	return filepath.Join(DefaultDepsDir(), "models")
}

// DefaultORTLib is $FACEVERIFY_ORT_LIB, else <deps>/lib/libonnxruntime.so.1.
func DefaultORTLib() string {
	if p := os.Getenv("FACEVERIFY_ORT_LIB"); p != "" {
		return p
	}
	return filepath.Join(DefaultDepsDir(), "lib", "libonnxruntime.so.1")
}

// The ORT environment is process-wide: the first Open initialises it with its LibPath and
// it stays up for the life of the process (re-initialising ORT in one process is unsafe).
var (
	envMu   sync.Mutex
	envLib  string
	envErr  error
	envDone bool
)

func initEnv(lib string) error {
	envMu.Lock()
	defer envMu.Unlock()
	if envDone {
		return envErr
	}
	envDone = true
	envLib = lib
	if _, err := os.Stat(lib); err != nil {
		envErr = fmt.Errorf("vision: ONNX Runtime library: %w", err)
		envDone = false // allow a later Open with a correct path
		return envErr
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		envErr = fmt.Errorf("vision: init ONNX Runtime %s: %w", lib, err)
	}
	return envErr
}

// model is one ONNX session with fixed input/output names.
type model struct {
	name    string // for the inference meter (onnxrt.Timed)
	s       *ort.DynamicAdvancedSession
	inShape ort.Shape
	outs    []ort.Shape
}

// run feeds one float32 input and returns the float32 outputs. Safe for concurrent use.
func (m *model) run(in []float32) ([][]float32, error) {
	return m.runInto(in, nil)
}

// runInto is run writing the outputs into res when it holds one slice of the right size per
// output (else they are allocated).
func (m *model) runInto(in []float32, res [][]float32) ([][]float32, error) {
	return m.runBatchInto(in, 1, res)
}

// runBatchInto is runInto for n inputs in one run (a model whose batch dimension is free:
// batchFree), in and each output holding the n items one after the other.
func (m *model) runBatchInto(in []float32, n int64, res [][]float32) ([][]float32, error) {
	batch := func(sh ort.Shape) ort.Shape {
		sh = sh.Clone()
		sh[0] *= n
		return sh
	}
	it, err := ort.NewTensor(batch(m.inShape), in)
	if err != nil {
		return nil, err
	}
	defer it.Destroy()
	outs := make([]ort.Value, len(m.outs))
	if len(res) != len(m.outs) {
		res = make([][]float32, len(m.outs))
	}
	for i, sh := range m.outs {
		sh = batch(sh)
		if int64(len(res[i])) != sh.FlattenedSize() {
			res[i] = make([]float32, sh.FlattenedSize())
		}
		t, err := ort.NewTensor(sh, res[i])
		if err != nil {
			return nil, err
		}
		defer t.Destroy()
		outs[i] = t
	}
	if err := onnxrt.Timed(m.name, func() error { return m.s.Run([]ort.Value{it}, outs) }); err != nil {
		return nil, err
	}
	return res, nil
}

// Engine holds the model sessions. Methods are safe for concurrent use.
type Engine struct {
	detect, landmark, feature, liveness, pose, eye *model
	closeOnce                                      sync.Once
}

type modelSpec struct {
	file string
	in   string
	shp  []int64 // of one item
	outs []string
	oshp [][]int64
	// rewrite is applied to the model's bytes before the session is made (graph.go): each
	// leaves every output value as it is (TestRewrittenModelsMatchOriginal).
	rewrite []func([]byte) ([]byte, error)
}

var specs = map[string]modelSpec{
	"detect":   {"fr_detect.onnx", "input", []int64{1, 3, 240, 320}, []string{"scores", "boxes"}, [][]int64{{1, 4420, 2}, {1, 4420, 4}}, nil},
	"landmark": {"fr_landmark.onnx", "input", []int64{1, 1, 64, 64}, []string{"output"}, [][]int64{{1, 136}}, nil},
	// the embedding runs the face and its mirror as one batch of two (flip fusion)
	"feature":  {"fr_feature.onnx", "input", []int64{1, 3, 112, 112}, []string{"output"}, [][]int64{{1, 512}}, []func([]byte) ([]byte, error){preluNchwc, batchFree}},
	"liveness": {"fr_liveness.onnx", "input", []int64{1, 3, 128, 128}, []string{"output"}, [][]int64{{1, 3}}, nil}, // preluNchwc: slower here (ORT kernel time 12.0 → 15.6 ms, more reorders)
	"pose":     {"fr_pose.onnx", "input", []int64{1, 3, 224, 224}, []string{"output", "617", "618"}, [][]int64{{1, 66}, {1, 66}, {1, 66}}, nil},
	"eye":      {"fr_eye.onnx", "input", []int64{1, 1, 24, 24}, []string{"output"}, [][]int64{{1, 2}}, nil},
}

// Open loads the models. Close releases them.
func Open(cfg Config) (*Engine, error) {
	if cfg.ModelDir == "" {
		cfg.ModelDir = DefaultModelDir()
	}
	if cfg.LibPath == "" {
		cfg.LibPath = DefaultORTLib()
	}
	if cfg.Threads <= 0 {
		cfg.Threads = 1
	}
	if err := initEnv(cfg.LibPath); err != nil {
		return nil, err
	}
	e := &Engine{}
	load := func(name string) (*model, error) {
		sp := specs[name]
		data, err := loadModel(filepath.Join(cfg.ModelDir, sp.file), sp.rewrite...)
		if err != nil {
			return nil, err
		}
		opts, err := onnxrt.SessionOptions(cfg.Threads)
		if err != nil {
			return nil, err
		}
		defer opts.Destroy()
		s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{sp.in}, sp.outs, opts)
		if err != nil {
			return nil, fmt.Errorf("vision: load %s: %w", sp.file, err)
		}
		m := &model{name: "vision/" + name, s: s, inShape: ort.NewShape(sp.shp...)}
		for _, o := range sp.oshp {
			m.outs = append(m.outs, ort.NewShape(o...))
		}
		return m, nil
	}
	var err error
	for _, x := range []struct {
		name string
		dst  **model
	}{{"detect", &e.detect}, {"landmark", &e.landmark}, {"feature", &e.feature}, {"liveness", &e.liveness}, {"pose", &e.pose}, {"eye", &e.eye}} {
		if *x.dst, err = load(x.name); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// loadModel reads the model at path with the rewrites applied in order.
func loadModel(path string, rewrite ...func([]byte) ([]byte, error)) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vision: model %s: %w", filepath.Base(path), err)
	}
	for _, r := range rewrite {
		if data, err = r(data); err != nil {
			return nil, fmt.Errorf("vision: model %s: %w", filepath.Base(path), err)
		}
	}
	return data, nil
}

// Close releases the sessions. The Engine must not be used afterwards.
func (e *Engine) Close() error {
	var errs []error
	e.closeOnce.Do(func() {
		for _, m := range []*model{e.detect, e.landmark, e.feature, e.liveness, e.pose, e.eye} {
			if m != nil && m.s != nil {
				errs = append(errs, m.s.Destroy())
			}
		}
	})
	return errors.Join(errs...)
}
