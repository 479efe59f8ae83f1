package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/faceverify/faceverify/internal/livecorpus"
	"github.com/faceverify/faceverify/internal/onnxrt"
	"github.com/faceverify/faceverify/internal/stats"
	"github.com/faceverify/faceverify/speech"
	"github.com/faceverify/faceverify/vision"
)

// BenchClip is one clip of a verdict benchmark.
type BenchClip struct {
	Name, Path, Challenge string
	LipSync               bool
}

// BenchReport is what a verdict benchmark measured. CPU counts this process (the decode
// included: FFmpeg's libraries run in it) and any children; ModelFloor is the CPU the models' inference runs took in the same run
// (onnxrt.Timed: every vision/OCR session run and the speech decode), so Ratio says how
// much work besides inference a verdict does.
type BenchReport struct {
	Verdicts    int                `json:"verdicts"`
	Concurrency int                `json:"concurrency"`
	Slots       int                `json:"slots"`
	Errors      int                `json:"errors"`
	Results     map[string]int     `json:"results"`
	P50MS       float64            `json:"latency_p50_ms"`
	P95MS       float64            `json:"latency_p95_ms"`
	PerSecond   float64            `json:"verdicts_per_s"`
	CPUPer      float64            `json:"cpu_s_per_verdict"`
	FloorPer    float64            `json:"model_floor_s_per_verdict"`
	Ratio       float64            `json:"cpu_over_model_floor"`
	PeakRSSMiB  float64            `json:"peak_rss_mib"`
	Models      []benchModel       `json:"models"`
	Stages      map[string]float64 `json:"stage_ms_mean"`
}

type benchModel struct {
	Model       string  `json:"model"`
	Runs        float64 `json:"runs_per_verdict"`
	CPUMSPer    float64 `json:"cpu_ms_per_verdict"`
	CPUMSPerRun float64 `json:"cpu_ms_per_run"`
}

// BenchVerdicts runs n verdicts over clips (round robin), c at a time, each holding one of
// slots while it runs (as the server's engine does), and reports latency from submission
// (queueing for a slot included), throughput, CPU and the model floor.
func BenchVerdicts(ctx context.Context, l *Liveness, slots *Slots, clips []BenchClip, n, c int) (*BenchReport, error) {
	if len(clips) == 0 || n < 1 || c < 1 {
		return nil, errors.New("bench: no clips")
	}
	rep := &BenchReport{Verdicts: n, Concurrency: c, Slots: slots.Cap(), Results: map[string]int{}, Stages: map[string]float64{}}
	lat := make([]time.Duration, n)
	var mu sync.Mutex
	next := make(chan int)
	go func() {
		defer close(next)
		for i := 0; i < n; i++ {
			next <- i
		}
	}()
	self0, kids0 := rusage(syscall.RUSAGE_SELF), rusage(syscall.RUSAGE_CHILDREN)
	m0 := onnxrt.Snapshot()
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cl := clips[i%len(clips)]
				start := time.Now()
				res, err := func() (string, error) {
					release, err := slots.Acquire(ctx)
					if err != nil {
						return "", err
					}
					defer release()
					lip := cl.LipSync
					r, err := l.Check(ctx, cl.Path, cl.Challenge, LivenessOptions{Preferences: 2, LipSync: &lip})
					if err != nil {
						return "", err
					}
					mu.Lock()
					for k, v := range r.Timings {
						rep.Stages[k] += v / float64(n)
					}
					mu.Unlock()
					return r.Result.Message, nil
				}()
				lat[i] = time.Since(start)
				mu.Lock()
				if err != nil {
					rep.Errors++
					rep.Results["error: "+err.Error()]++
				} else {
					rep.Results[res]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0)
	self1, kids1 := rusage(syscall.RUSAGE_SELF), rusage(syscall.RUSAGE_CHILDREN)
	use := onnxrt.Snapshot().Since(m0)
	latMS := make([]float64, len(lat))
	for i, d := range lat {
		latMS[i] = ms(d)
	}
	rep.P50MS, rep.P95MS = stats.Quantile(latMS, 0.50), stats.Quantile(latMS, 0.95)
	rep.PerSecond = float64(n) / wall.Seconds()
	cpu := (self1.cpu - self0.cpu) + (kids1.cpu - kids0.cpu)
	rep.CPUPer = cpu.Seconds() / float64(n)
	rep.FloorPer = use.Total().Seconds() / float64(n)
	if rep.FloorPer > 0 {
		rep.Ratio = rep.CPUPer / rep.FloorPer
	}
	// the decoders' memory included (they run in this process)
	rep.PeakRSSMiB = self1.maxRSS
	for _, m := range use {
		rep.Models = append(rep.Models, benchModel{Model: m.Model, Runs: float64(m.Runs) / float64(n),
			CPUMSPer: ms(m.CPU) / float64(n), CPUMSPerRun: ms(m.CPU) / float64(m.Runs)})
	}
	for k, v := range rep.Stages {
		rep.Stages[k] = round3(v)
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return round3(float64(d) / 1e6) }

type usage struct {
	cpu    time.Duration
	maxRSS float64 // MiB
}

func rusage(who int) usage {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return usage{}
	}
	return usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), maxRSS: float64(ru.Maxrss) / 1024}
}

// RunBenchVerdicts is `faceverify bench verdicts`: full liveness verdicts on real clips
// (default: the genuine clips of the liveness corpus built from ../shared/datasets/talking),
// printed as one JSON report.
func RunBenchVerdicts(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench verdicts", flag.ContinueOnError)
	dir := fs.String("clips", "", "directory of clips (*.mp4, *.webm; challenge from --digits); default: the liveness corpus' genuine clips")
	digits := fs.String("digits", "0000", "challenge for --clips clips")
	c := fs.Int("c", 4, "verdicts submitted at once")
	n := fs.Int("n", 0, "verdicts in all (0 = 4×c, at least one per clip)")
	slots := fs.Int("slots", 0, "engine slots (0 = one per core, as the server)")
	models := fs.String("models", vision.DefaultModelDir(), "face model directory")
	lib := fs.String("ort", vision.DefaultORTLib(), "ONNX Runtime library")
	datasets := fs.String("datasets", datasetsDir(), "shared datasets (for the default clips)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var clips []BenchClip
	if *dir != "" {
		ents, err := os.ReadDir(*dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if x := strings.ToLower(filepath.Ext(e.Name())); x == ".mp4" || x == ".webm" || x == ".mov" {
				clips = append(clips, BenchClip{Name: e.Name(), Path: filepath.Join(*dir, e.Name()), Challenge: *digits})
			}
		}
	} else {
		cs, err := livecorpus.Ensure(livecorpus.Dir(), *datasets)
		if err != nil {
			return fmt.Errorf("liveness corpus (needs %s/talking, espeak-ng, sox, ffmpeg): %w", *datasets, err)
		}
		for _, k := range cs {
			if strings.HasPrefix(k.Name, "genuine_") {
				clips = append(clips, BenchClip{Name: k.Name, Path: k.File, Challenge: k.Challenge, LipSync: !k.NoLipSync})
			}
		}
	}
	if len(clips) == 0 {
		return errors.New("bench verdicts: no clips")
	}
	if *n <= 0 {
		*n = max(4**c, len(clips))
	}
	v, err := vision.Open(vision.Config{ModelDir: *models, LibPath: *lib, Threads: 1})
	if err != nil {
		return err
	}
	defer v.Close()
	s, err := speech.Open(speech.Config{LibPath: *lib})
	if err != nil {
		return err
	}
	defer s.Close()
	l := NewLiveness(v, s, DefaultLivenessConfig())
	// one warm-up verdict (first-run allocations of the runtime) outside the figures
	if _, err := l.Check(ctx, clips[0].Path, clips[0].Challenge, LivenessOptions{}); err != nil {
		return err
	}
	rep, err := BenchVerdicts(ctx, l, NewSlots(*slots), clips, *n, *c)
	if err != nil {
		return err
	}
	out := struct {
		*BenchReport
		Clips   int    `json:"clips"`
		CPU     string `json:"cpu"`
		Cores   int    `json:"cores"`
		LoadAvg string `json:"loadavg"`
	}{rep, len(clips), cpuModel(), runtime.NumCPU(), loadAvg()}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func datasetsDir() string {
	if d := os.Getenv("FACEVERIFY_DATASETS"); d != "" {
		return d
	}
	return filepath.Join("..", "shared", "datasets")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}
