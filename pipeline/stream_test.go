package pipeline

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/media"
)

// The streamed track releases the frames it skips during the decode, and what it measured
// on them before is exactly what the whole-clip track measures with every frame kept: the
// same entries (motion included, to the bit) and the same mouth crops.
func TestStreamTrackReleasesSkippedFrames(t *testing.T) {
	v, s := engines(t)
	var files []string
	for _, c := range corpus(t) {
		if c.Want == "VIDEO_OK" && strings.HasPrefix(c.Name, "genuine_") {
			files = append(files, c.File)
		}
	}
	if len(files) < 2 {
		t.Fatalf("corpus has %d genuine clips, want 2", len(files))
	}
	ctx := context.Background()
	for _, fps := range []float64{15, SyncFPS} {
		cfg := DefaultLivenessConfig()
		cfg.Limits.FPS = fps
		l := NewLiveness(v, s, cfg)
		for _, file := range files[:2] {
			streamedAsWhole(t, ctx, l, file)
		}
	}
}

func streamedAsWhole(t *testing.T, ctx context.Context, l *Liveness, file string) {
	t.Helper()
	{
		st := l.newStreamTrack(ctx, l.cfg.Limits.FPS)
		streamed, err := media.ExtractTo(ctx, file, l.cfg.Limits, st)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.finishTrack(ctx, streamed, st)
		if err != nil {
			t.Fatal(err)
		}
		released := 0
		for _, f := range streamed.Frames {
			if len(f.Img.Pix) == 0 {
				released++
			}
		}
		gotMouth := mouthCrops(streamed, got)

		whole, err := media.Extract(ctx, file, l.cfg.Limits)
		if err != nil {
			t.Fatal(err)
		}
		want, err := l.track(ctx, whole)
		if err != nil {
			t.Fatal(err)
		}
		wantMouth := mouthCrops(whole, want)
		n := len(whole.Frames)
		t.Logf("%s at %g fps: %d frames, %d released during the decode", file, l.cfg.Limits.FPS, n, released)
		if released < n/3 {
			t.Errorf("%d of %d frames released during the decode, want about half", released, n)
		}
		if len(got) != len(want) {
			t.Fatalf("track has %d entries, want %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if math.Float64bits(g.faceMv) != math.Float64bits(w.faceMv) || math.Float64bits(g.mouthMv) != math.Float64bits(w.mouthMv) {
				t.Errorf("frame %d: motion face %v mouth %v, want %v %v", i, g.faceMv, g.mouthMv, w.faceMv, w.mouthMv)
			}
			g.faceMv, g.mouthMv, w.faceMv, w.mouthMv = 0, 0, 0, 0
			g.crop, g.cropped = nil, false
			if !reflect.DeepEqual(g, w) {
				t.Errorf("frame %d: entry differs from the whole-clip track", i)
			}
		}
		for i := range wantMouth.Crops {
			if !reflect.DeepEqual(gotMouth.Crops[i], wantMouth.Crops[i]) {
				t.Errorf("frame %d: mouth crop differs from the whole-clip crop", i)
			}
		}
		if !reflect.DeepEqual(gotMouth.Open, wantMouth.Open) || !reflect.DeepEqual(gotMouth.OK, wantMouth.OK) || !reflect.DeepEqual(gotMouth.T, wantMouth.T) {
			t.Errorf("mouth series differ from the whole-clip ones")
		}
		streamed.Release()
		whole.Release()
	}
}
