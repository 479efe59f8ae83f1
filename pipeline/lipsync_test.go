package pipeline

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/faceverify/faceverify/internal/testenv"
)

// TestLipSyncRealClips calibrates and checks the lip/voice sync score on the real talking
// clips: each clip with its own sound (genuine) against the same video with the next
// clip's sound (dubbed). Lip-sync decisions use the full Check; the challenge is not
// spoken, so a clip that passes the lip checks ends in SR_ERROR.
func TestLipSyncRealClips(t *testing.T) {
	v, s := engines(t)
	ds := testenv.Datasets(t, "talking")
	testenv.Tool(t, "ffmpeg")
	clips := []string{"lrs2_00001.mp4", "lrs2_00004.mp4", "lrs2_00008.mp4", "retalk_1.mp4", "retalk_2.mp4",
		"vox_audio_00015.mp4", "vox_audio_00086.mp4", "vox_audio_00373.mp4", "vox_audio_681100216.mp4",
		"vox_input_00010.mp4", "vox_input_00098.mp4", "vox_pose_731200067.mp4"}
	dir := t.TempDir()
	l := NewLiveness(v, s, DefaultLivenessConfig())
	var gen, dub []float64
	passG, passD := 0, 0
	for i, c := range clips {
		src := filepath.Join(ds, "talking", c)
		other := filepath.Join(ds, "talking", clips[(i+5)%len(clips)])
		dubbed := filepath.Join(dir, fmt.Sprintf("dub%02d.mkv", i))
		out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, "-stream_loop", "3", "-i", other,
			"-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "libopus", "-ac", "1", "-shortest", dubbed).CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg: %v %s", err, out)
		}
		for k, f := range []string{src, dubbed} {
			rep, err := l.Check(context.Background(), f, "1357", LivenessOptions{Preferences: 2})
			if err != nil {
				t.Fatal(err)
			}
			z, ok := rep.Scores["sync_z"]
			t.Logf("%-26s %-6s %-20s z=%.2f lm=%.2f px=%.2f lag=%v mouth=%.3f", c, []string{"own", "dubbed"}[k], rep.Result.Message, z,
				rep.Scores["sync_landmark_z"], rep.Scores["sync_pixel_z"], rep.Scores["sync_lag_ms"], rep.Scores["mouth_motion"])
			if !ok {
				continue
			}
			if k == 0 {
				gen = append(gen, z)
				if rep.Result.Message == "SR_ERROR" {
					passG++
				}
			} else {
				dub = append(dub, z)
				if rep.Result.Message == "SR_ERROR" {
					passD++
				}
			}
		}
	}
	auc := aucOf(gen, dub)
	sort.Float64s(gen)
	sort.Float64s(dub)
	t.Logf("genuine z %v\ndubbed  z %v\nAUC %.3f; genuine passing the lip checks %d/%d, dubbed passing %d/%d", gen, dub, auc, passG, len(gen), passD, len(dub))
	if auc < 0.8 {
		t.Errorf("sync score separates real from dubbed poorly: AUC %.3f", auc)
	}
	if passG < len(gen)*2/3 || passD > len(dub)/3 {
		t.Errorf("lip checks: genuine pass %d/%d, dubbed pass %d/%d", passG, len(gen), passD, len(dub))
	}
}

func aucOf(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return 0
	}
	var s float64
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				s++
			case p == n:
				s += 0.5
			}
		}
	}
	return s / float64(len(pos)*len(neg))
}
