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

// The face models run about 8 times a second at any analysis rate above 10 fps, on the first
// and the last frame always; no model needed.
func TestDetectedFrames(t *testing.T) {
	for _, c := range []struct {
		fps    float64
		n      int
		stride int
	}{{8, 5, 1}, {10, 5, 1}, {15, 9, 2}, {25, 10, 3}, {30, 10, 4}, {60, 20, 8}} {
		if got := detectStride(c.fps); got != c.stride {
			t.Errorf("detectStride(%g) = %d, want %d", c.fps, got, c.stride)
		}
		d := detectedFrames(c.n, c.fps)
		if d[0] != 0 || d[len(d)-1] != c.n-1 {
			t.Errorf("fps %g: detected %v, want the first and the last frame", c.fps, d)
		}
		for k := 1; k+1 < len(d); k++ {
			if d[k]-d[k-1] != c.stride {
				t.Errorf("fps %g: detected %v, want every %d-th frame", c.fps, d, c.stride)
				break
			}
		}
	}
}

// A skipped frame's box and landmarks lie on the line between its detected neighbours:
// halfway exactly (a+b)/2 at stride 2, a third and two thirds at stride 3; no face when a
// neighbour has none.
func TestBetween(t *testing.T) {
	a, b := frameFace{ok: true, n: 1}, frameFace{ok: true, n: 2, multi: true}
	a.face.Box = [4]float32{10, 20, 110, 140}
	b.face.Box = [4]float32{13, 26, 113, 146.3}
	for k := range a.face.Landmarks {
		a.face.Landmarks[k].X, a.face.Landmarks[k].Y = float32(k), 0.1
		b.face.Landmarks[k].X, b.face.Landmarks[k].Y = float32(k)+0.7, 0.4
	}
	mid := between(&a, &b, 1, 2)
	if !mid.ok || !mid.interp || mid.n != 1 || mid.multi {
		t.Fatalf("midpoint entry %+v", mid)
	}
	for k := range mid.face.Box {
		if want := (a.face.Box[k] + b.face.Box[k]) / 2; mid.face.Box[k] != want {
			t.Errorf("box[%d] = %v, want (a+b)/2 = %v", k, mid.face.Box[k], want)
		}
	}
	if want := (a.face.Landmarks[7].X + b.face.Landmarks[7].X) / 2; mid.face.Landmarks[7].X != want {
		t.Errorf("landmark 7 x = %v, want %v", mid.face.Landmarks[7].X, want)
	}
	third := between(&a, &b, 1, 3)
	if d := math.Abs(float64(third.face.Box[3]) - (140 + 6.3/3)); d > 1e-4 {
		t.Errorf("a third of the way: box[3] = %v, want %v", third.face.Box[3], 140+6.3/3)
	}
	if d := math.Abs(float64(third.face.Landmarks[0].Y) - 0.2); d > 1e-6 {
		t.Errorf("a third of the way: landmark 0 y = %v, want 0.2", third.face.Landmarks[0].Y)
	}
	if third.opening != lipOpening(&third.face.Landmarks) {
		t.Errorf("opening not from the interpolated landmarks")
	}
	b.ok = false
	if none := between(&a, &b, 1, 2); none.ok || none.n != a.n {
		t.Errorf("neighbour without a face: %+v, want no face and a's count", none)
	}
}
