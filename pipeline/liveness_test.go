package pipeline

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/faceverify/faceverify/internal/livecorpus"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/media"
	"github.com/faceverify/faceverify/speech"
	"github.com/faceverify/faceverify/vision"
)

var (
	engOnce sync.Once
	eng     *vision.Engine
	rec     *speech.Recognizer
	engErr  error
)

func engines(t testing.TB) (*vision.Engine, *speech.Recognizer) {
	t.Helper()
	md, lib := testenv.ModelDir(t), testenv.ORTLib(t)
	testenv.Tool(t, "ffmpeg")
	engOnce.Do(func() {
		eng, engErr = vision.Open(vision.Config{ModelDir: md, LibPath: lib, Threads: 1})
		if engErr != nil {
			return
		}
		rec, engErr = speech.Open(speech.Config{LibPath: lib, Threads: 1})
	})
	if engErr != nil {
		t.Fatal(engErr)
	}
	return eng, rec
}

// talking returns the engines and the datasets folder for the tests on the talking clips,
// after checking the tools they transcode and synthesise voices with.
func talking(t testing.TB) (*vision.Engine, *speech.Recognizer, string) {
	t.Helper()
	v, s := engines(t)
	ds := testenv.Datasets(t, "talking")
	for _, tool := range []string{"ffmpeg", "espeak-ng", "sox"} {
		testenv.Tool(t, tool)
	}
	return v, s, ds
}

func corpus(t testing.TB) []livecorpus.Case {
	t.Helper()
	_, _, ds := talking(t)
	cs, err := livecorpus.Ensure(livecorpus.Dir(), ds)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCorpus(t *testing.T) {
	v, s := engines(t)
	cs := corpus(t)
	for _, c := range cs {
		t.Run(c.Name, func(t *testing.T) {
			cfg := DefaultLivenessConfig()
			if c.MaxBytes > 0 {
				cfg.Limits.MaxBytes = c.MaxBytes
			}
			l := NewLiveness(v, s, cfg)
			opt := LivenessOptions{Preferences: c.Preferences}
			if c.NoLipSync {
				f := false
				opt.LipSync = &f
			}
			rep, err := l.Check(context.Background(), c.File, c.Challenge, opt)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k := range rep.Scores {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var sb strings.Builder
			for _, k := range keys {
				sb.WriteString(k + "=" + ftoa(rep.Scores[k]) + " ")
			}
			t.Logf("%s heard=%q %s total=%.0fms", rep.Result.Message, rep.DigitsHeard, sb.String(), rep.Timings["total"])
			if rep.Result.Message != c.Want {
				t.Errorf("%s: got %s, want %s (%s)", c.Name, rep.Result.Message, c.Want, c.Shows)
			}
			if rep.Result.Message == "VIDEO_OK" && (len(rep.BestImage) == 0 || len(rep.Embedding) != 512) {
				t.Errorf("VIDEO_OK without best image / embedding")
			}
		})
	}
}

func ftoa(f float64) string { return strings.TrimRight(strings.TrimRight(sprintf(f), "0"), ".") }

var _ = media.DefaultLimits

func sprintf(f float64) string { return fmtFloat(f) }
