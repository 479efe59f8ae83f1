package pipeline

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/synccorpus"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/speech"
)

// TestLipSyncRealClips checks the lip-voice sync decision on the real talking clips and a
// representative subset of the dev attack corpus (internal/synccorpus: every clip dubbed with
// two other clips' voices and with FSDD / en-digits / zh-digits / espeak-ng digits, its own
// sound shifted, frozen and panned stills, a looped segment). The full corpus is measured by
// go run ./pipeline/cmd/synceval. Lip-sync decisions use the full Check; the challenge is not
// spoken, so a clip that passes the lip checks ends in SR_ERROR.
//
// Two things are asserted: the deployed model (syncCoef, fitted on all dev speakers) at its
// operating point, and a leave-one-speaker-out refit on this subset (the honest figure).
func TestLipSyncRealClips(t *testing.T) {
	v, s, ds := talking(t)
	cs, err := synccorpus.Ensure(ds, synccorpus.Subset)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLiveness(v, s, DefaultLivenessConfig())
	var items []SyncItem
	for _, c := range cs {
		items = append(items, SyncItem{SyncSample: SyncSample{Name: c.Name, Kind: c.Kind, Speaker: c.Speaker, Voice: c.Voice,
			Genuine: c.Genuine, Duration: c.Duration}, File: c.File, Source: c.Source, VideoCopy: c.VideoCopy})
	}
	samples, err := l.MeasureSync(context.Background(), items, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	// deployed model
	type tally struct{ pass, n int }
	kinds := map[string]*tally{}
	for _, sm := range samples {
		k := kinds[sm.Kind]
		if k == nil {
			k = &tally{}
			kinds[sm.Kind] = k
		}
		k.n++
		if sm.Result == "SR_ERROR" {
			k.pass++
		}
		t.Logf("%-44s %-24s %.2f", sm.Name, sm.Result, sm.X)
	}
	var gp, gn, ap, an int
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		c := kinds[k]
		t.Logf("%-14s passed the lip checks %d/%d", k, c.pass, c.n)
		if strings.HasPrefix(k, "genuine") {
			gp, gn = gp+c.pass, gn+c.n
		} else {
			ap, an = ap+c.pass, an+c.n
		}
		if (k == "still" || k == "pan") && c.pass > 0 {
			t.Errorf("%s: %d/%d stills passed the lip checks (must be 0)", k, c.pass, c.n)
		}
	}
	t.Logf("deployed: BPCER %d/%d, APCER %d/%d", gn-gp, gn, ap, an)
	// Regression guards at the measured level (docs/liveness.md), not the targets
	// (BPCER and APCER ≤ 5 %), which the dev cues do not reach yet.
	// Session 5 (three-cue fusion with jhp_z): measured BPCER 3/22, APCER 20/108; session 7
	// (the cues on the 1–3.4 kHz band, jhp on the lower lip): BPCER 2/22, APCER 12/108;
	// session 8 (lip flow and lip gap in jhp): BPCER 2/22, APCER 10/108.
	if float64(gn-gp) > 0.20*float64(gn) || float64(ap) > 0.15*float64(an) {
		t.Errorf("deployed model: BPCER %d/%d, APCER %d/%d (guards: ≤ 20 %% and ≤ 15 %%)", gn-gp, gn, ap, an)
	}
	// leave-one-speaker-out refit on the subset
	auc, bp, bn, aa, anum := loso(samples, 0.5)
	t.Logf("leave-one-speaker-out on the subset: AUC %.3f, BPCER %d/%d, APCER %d/%d", auc, bp, bn, aa, anum)
	// measured 0.933 (session 8; 0.922 in session 7, 0.877 in session 5, 0.838 with the
	// ten-cue fusion)
	if auc < 0.88 {
		t.Errorf("leave-one-speaker-out AUC %.3f < 0.88", auc)
	}
}

// loso refits the fusion model leaving each face speaker out (and every clip whose voice is
// that speaker) and scores the held-out clips at threshold thr.
func loso(ss []SyncSample, thr float64) (auc float64, bpcer, ngen, apcer, natt int) {
	gated := func(s SyncSample) bool {
		return s.X == nil || s.Result != "SR_ERROR" && s.Result != "LIP_VOICE_NOT_SYNC"
	}
	spk := map[string]bool{}
	for _, s := range ss {
		spk[s.Speaker] = true
	}
	// the deployed recipe: SyncModelFeatures only, ridge SyncRidge
	use := map[string]bool{}
	for _, f := range SyncModelFeatures {
		use[f] = true
	}
	feat := func(x []float64) []float64 {
		var out []float64
		for j, n := range SyncFeatureNames {
			if use[n] {
				out = append(out, x[j])
			}
		}
		return out
	}
	prob := make([]float64, len(ss))
	for held := range spk {
		var xs [][]float64
		var ys []bool
		for _, s := range ss {
			if !gated(s) && s.Speaker != held && s.Voice != held {
				xs = append(xs, feat(s.X))
				ys = append(ys, s.Genuine)
			}
		}
		beta := FitLogistic(xs, ys, SyncRidge)
		for i, s := range ss {
			if s.Speaker == held && !gated(s) {
				prob[i] = PredictLogistic(beta, feat(s.X))
			}
		}
	}
	var pos, neg []float64
	for i, s := range ss {
		if s.Genuine {
			pos = append(pos, prob[i])
			ngen++
			if prob[i] < thr {
				bpcer++
			}
		} else {
			neg = append(neg, prob[i])
			natt++
			if prob[i] >= thr {
				apcer++
			}
		}
	}
	return AUC(pos, neg), bpcer, ngen, apcer, natt
}

// TestLipSyncBadInput: awkward but honest uploads made with ffmpeg from dev clips. Each gets
// its documented code (docs/liveness.md, "Bad input"); the person really speaks in all of
// them, so where the mouth is visible they must pass the lip checks (SR_ERROR: the challenge
// is not spoken). Never a panic or an internal error.
func TestLipSyncBadInput(t *testing.T) {
	v, s := engines(t)
	ds := testenv.Datasets(t, "talking")
	testenv.Tool(t, "ffmpeg")
	dir := t.TempDir()
	talk := func(f string) string { return filepath.Join(ds, "talking", f) }
	// pca-B: a 224×224 clip whose own sound passes the lip checks; mouth near (80–125, 108–135) at 2 s.
	clip := talk("vox_audio_00086.mp4")
	cases := []struct {
		name string
		args []string // ffmpeg arguments producing the clip ("" output appended)
		src  string   // or an existing file
		want string
	}{
		{"variable_frame_rate", []string{"-i", clip, "-vf", "select='not(eq(mod(n\\,5)\\,2))*not(eq(mod(n\\,7)\\,3))'", "-fps_mode", "vfr", "-c:v", "libx264", "-c:a", "aac"}, "", "SR_ERROR"},
		{"phone_60fps", []string{"-i", clip, "-vf", "fps=60,scale=640:640", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"}, "", "SR_ERROR"},
		// Cameras that drop to 15 or 10 fps in low light: the 25 fps analysis repeats their
		// frames (no change between the copies), and the lips must still be seen to move.
		{"camera_15fps", []string{"-i", clip, "-r", "15", "-c:v", "libx264", "-c:a", "aac"}, "", "SR_ERROR"},
		{"camera_10fps", []string{"-i", clip, "-r", "10", "-c:v", "libx264", "-c:a", "aac"}, "", "SR_ERROR"},
		{"audio_starts_0.5s_late", []string{"-i", clip, "-itsoffset", "0.5", "-ss", "0.5", "-i", clip, "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac"}, "", "SR_ERROR"},
		{"face_leaves_frame", []string{"-i", clip, "-vf", "pad=iw*2:ih:0:0,crop=iw/2:ih:x='if(between(t\\,2\\,2.5)\\,iw/2\\,0)':y=0", "-c:v", "libx264", "-c:a", "aac"}, "", "SR_ERROR"},
		{"hand_over_mouth", []string{"-i", clip, "-vf", "drawbox=x=62:y=100:w=86:h=48:color=0xc89878:t=fill", "-c:v", "libx264", "-c:a", "aac"}, "", "lip refusal"},
		// A flat box over the lower face while the person really speaks: the issue asks for a
		// documented code "and genuine where the person really speaks". The head's own
		// speech-locked motion against the box is real coupling and puts the fused score next
		// to the threshold (session 5: 0.31; session 7 with the 1–3.4 kHz band only: 0.565,
		// passed; deployed session 7: 0.477, refused; session 8 with the lip flow: 0.695,
		// passed — the box edge moves against the face), so either a lip refusal or genuine is
		// right; anything else (an internal error, a face code) is not.
		{"masked_face", []string{"-i", clip, "-vf", "drawbox=x=40:y=98:w=135:h=126:color=0x9fc6e0:t=fill", "-c:v", "libx264", "-c:a", "aac"}, "", "lip refusal or genuine"},
		{"bearded_pca_F", nil, talk("vox_input_00098.mp4"), "SR_ERROR"},
		{"bearded_pca_G", nil, talk("vox_pose_731200067.mp4"), "SR_ERROR"},
	}
	l := NewLiveness(v, s, DefaultLivenessConfig())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.src
			if f == "" {
				f = filepath.Join(dir, c.name+".mkv")
				args := append([]string{"-nostdin", "-v", "error", "-y"}, c.args...)
				if out, err := exec.Command("ffmpeg", append(args, f)...).CombinedOutput(); err != nil {
					t.Fatalf("ffmpeg: %v %s", err, out)
				}
			}
			rep, err := l.Check(context.Background(), f, "1357", LivenessOptions{Preferences: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s face=%.2f mouth=%.3f px=%.2f score=%.3f lm=%.2f pxz=%.2f mv=%.2f vad=%.2f word=%.2f onset=%.2f", c.name, rep.Result.Message,
				rep.Scores["face_frames"], rep.Scores["mouth_motion"], rep.Scores["mouth_pixels"], rep.Scores["sync_score"], rep.Scores["sync_lm_z"],
				rep.Scores["sync_px_z"], rep.Scores["sync_mv_z"], rep.Scores["sync_vad_z"], rep.Scores["sync_word_z"], rep.Scores["sync_onset_z"])
			got := rep.Result.Message
			if c.want == "lip refusal" && (got == "NOT_SYNCHRONIZED" || got == "LIP_VOICE_NOT_SYNC") {
				got = c.want
			}
			if c.want == "lip refusal or genuine" && (got == "NOT_SYNCHRONIZED" || got == "LIP_VOICE_NOT_SYNC" || got == "SR_ERROR") {
				got = c.want
			}
			if got != c.want {
				t.Errorf("%s: got %s, want %s", c.name, rep.Result.Message, c.want)
			}
		})
	}
}

// TestSyncNullCalibration: on pure-noise mouth and audio signals the calibrated z must not
// grow with clip length or frame rate (the flaw of the old Fisher z·√(n−3)). Pure logic, no
// models.
func TestSyncNullCalibration(t *testing.T) {
	rng := newLCG(7)
	for _, fps := range []float64{8, 15, 30} {
		for _, dur := range []float64{2.5, 6, 19} {
			var zs []float64
			hit := 0
			const trials = 60
			for k := 0; k < trials; k++ {
				n := int(dur * fps)
				ms := mouthSeries{fps: fps, t: nil}
				m := make([]float64, n)
				for i := 0; i < n; i++ {
					ms.t = append(ms.t, secDur(float64(i)/fps))
					ms.ok = append(ms.ok, true)
				}
				smoothRandom(m, rng, 2)
				a := make([]float64, int(dur*100))
				smoothRandom(a, rng, 10)
				c := calibrated(&ms, 0, m, a, minLag, maxLag)
				zs = append(zs, c.Z)
				if c.Z >= 2 {
					hit++
				}
			}
			rate := float64(hit) / trials
			t.Logf("fps %2.0f dur %4.1f s: mean z %.2f, P(z≥2) %.2f", fps, dur, mean(zs), rate)
			if rate > 0.15 || math.Abs(mean(zs)) > 0.6 {
				t.Errorf("fps %.0f dur %.1f: null z mean %.2f, P(z≥2) %.2f", fps, dur, mean(zs), rate)
			}
		}
	}
}

type lcg struct{ s uint64 }

func newLCG(seed uint64) *lcg { return &lcg{seed} }
func (r *lcg) norm() float64 {
	// sum of 12 uniforms − 6
	var s float64
	for i := 0; i < 12; i++ {
		r.s = r.s*6364136223846793005 + 1442695040888963407
		s += float64(r.s>>11) / (1 << 53)
	}
	return s - 6
}

func smoothRandom(x []float64, r *lcg, w int) {
	raw := make([]float64, len(x))
	for i := range raw {
		raw[i] = r.norm()
	}
	for i := range x {
		var s float64
		for j := max(0, i-w); j <= min(len(x)-1, i+w); j++ {
			s += raw[j]
		}
		x[i] = s
	}
}

// BenchmarkVerdictFPS compares one full verdict (lip sync on) on the 5 s 640×480 clip at the
// old 8 fps and at SyncFPS, interleaved so both see the same machine load.
func BenchmarkVerdictFPS(b *testing.B) {
	v, s := engines(b)
	f := benchClip(b)
	for _, fps := range []float64{8, 15, SyncFPS} {
		b.Run(fmt.Sprintf("fps%.0f", fps), func(b *testing.B) {
			cfg := DefaultLivenessConfig()
			cfg.Limits.FPS = fps
			l := NewLiveness(v, s, cfg)
			for i := 0; i < b.N; i++ {
				if _, err := l.Check(context.Background(), f, "7340", LivenessOptions{Preferences: 2}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSyncCues: the lip-sync step alone (every cue with its null, the fusion) on a
// 5 s clip at SyncFPS with random mouth crops and sound — no model, so it measures what
// the cues add to a verdict (CPU, one goroutine).
func BenchmarkSyncCues(b *testing.B) {
	rng := newLCG(3)
	const dur = 5.0
	n := int(dur * SyncFPS)
	mi := mouthInput{FPS: SyncFPS}
	for i := 0; i < n; i++ {
		c := make([]float32, cropW*cropH)
		for k := range c {
			c[k] = float32(128 + 20*rng.norm())
		}
		mi.T = append(mi.T, secDur(float64(i)/SyncFPS))
		mi.OK = append(mi.OK, true)
		mi.Open = append(mi.Open, 0.2+0.05*rng.norm())
		mi.Crops = append(mi.Crops, c)
	}
	pcm := make([]int16, int(dur*16000))
	for i := range pcm {
		pcm[i] = int16(3000 * rng.norm())
	}
	band := bandpass(pcm)
	b.Run("all", func(b *testing.B) {
		c0 := cpuSeconds()
		for i := 0; i < b.N; i++ {
			syncScoresOf(&mi, 0, band, speech.Result{})
		}
		b.ReportMetric(1000*(cpuSeconds()-c0)/float64(b.N), "cpu-ms/clip")
	})
	// the session-7 band (two more biquads over the clip's sound)
	b.Run("band", func(b *testing.B) {
		c0 := cpuSeconds()
		for i := 0; i < b.N; i++ {
			syncBand(band)
		}
		b.ReportMetric(1000*(cpuSeconds()-c0)/float64(b.N), "cpu-ms/clip")
	})
	// the session-8 mouth signals: lip optical flow and lip gap over the clip's crops
	crops := make([][]float64, n)
	for i, c := range mi.Crops {
		crops[i] = make([]float64, len(c))
		for k, v := range c {
			crops[i][k] = float64(v)
		}
	}
	b.Run("flow", func(b *testing.B) {
		c0 := cpuSeconds()
		for i := 0; i < b.N; i++ {
			lipFlow(crops)
			for _, c := range crops {
				lipGap(c)
			}
		}
		b.ReportMetric(1000*(cpuSeconds()-c0)/float64(b.N), "cpu-ms/clip")
	})
	// the session-5 cue alone (jhp)
	ms := mouthEvidence(&mi)
	au := audioEvidence(band, ms.fps, speech.Result{})
	b.Run("jhp", func(b *testing.B) {
		c0 := cpuSeconds()
		for i := 0; i < b.N; i++ {
			extCues(&ms, &au, 0)
		}
		b.ReportMetric(1000*(cpuSeconds()-c0)/float64(b.N), "cpu-ms/clip")
	})
}

// cpuSeconds is this process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// TestSyncCandidateCues: the session-7 candidate cues (per-word contrast, offset search,
// regression) keep their null on independent mouth and sound (mean z near 0, few z ≥ 2)
// and find a mouth that moves with the sound 60 ms ahead of it; the offset search also
// refuses the same sound played 0.4 s late. Pure logic, no models.
func TestSyncCandidateCues(t *testing.T) {
	rng := newLCG(11)
	const fps, dur, trials = 15.0, 5.0, 48
	n, na := int(dur*fps), int(dur*100)
	type row struct{ z [3][]float64 } // independent, coupled, late
	names := []string{"wseg", "off", "reg"}
	var got [3]row
	for k := 0; k < trials; k++ {
		env := make([]float64, na+100)
		smoothRandom(env, rng, 12)
		for v := 0; v < 3; v++ { // 0 independent, 1 coupled, 2 coupled but the sound 0.4 s late
			m := mouthInput{FPS: fps}
			other := make([]float64, na+100)
			smoothRandom(other, rng, 12)
			src := env
			if v == 0 {
				src = other
			}
			for i := 0; i < n; i++ {
				m.T = append(m.T, secDur(float64(i)/fps))
				m.OK = append(m.OK, true)
				k := i*100/int(fps) + 6 // the sound 60 ms after the mouth
				m.Open = append(m.Open, 0.2+0.05*src[k]+0.03*rng.norm())
				c := make([]float32, cropW*cropH)
				for q := range c {
					c[q] = float32(120 + 15*src[k]*float64(q%7)/7 + 3*rng.norm())
				}
				m.Crops = append(m.Crops, c)
			}
			ms := mouthEvidence(&m)
			a := audioSeries{energy: make([]float64, na), onset: make([]float64, na), vad: make([]float64, na)}
			off := 0
			if v == 2 {
				off = -40
			}
			for q := range a.energy {
				p := q + off
				if p < 0 {
					p += na
				}
				a.energy[q] = env[p]
				a.vad[q] = math.Max(0, math.Copysign(1, env[p]))
			}
			for q := 5; q < na; q++ {
				a.onset[q] = math.Max(0, a.energy[q]-a.energy[q-5])
			}
			a.segs = [][2]time.Duration{{0, secDur(1.4)}, {secDur(1.6), secDur(3.1)}, {secDur(3.3), secDur(5)}}
			mouth := [][]float64{ms.motion, ms.rise, ms.lmOpen, ms.pxOpen}
			audio := [][]float64{a.energy, a.onset, a.energy, a.energy}
			cs := []cue{
				calibratedSegJoint(&ms, 0, mouth, audio, wordSegments(&a, nil, false), minLag, maxLag),
				calibratedOffset(&ms, 0, mouth, audio, minLag, maxLag),
				calibratedReg(&ms, 0, [][]float64{ms.motion, ms.lmOpen, ms.pxOpen}, [][]float64{a.energy}, minLag, maxLag, 0.3),
			}
			for j, c := range cs {
				got[j].z[v] = append(got[j].z[v], c.Z)
			}
		}
	}
	for j, name := range names {
		ind, cpl, late := got[j].z[0], got[j].z[1], got[j].z[2]
		hit := 0
		for _, z := range ind {
			if z >= 2 {
				hit++
			}
		}
		t.Logf("%s: independent mean z %.2f (P(z≥2) %.2f), coupled %.2f, 0.4 s late %.2f", name, mean(ind), float64(hit)/trials, mean(cpl), mean(late))
		if math.Abs(mean(ind)) > 0.6 || float64(hit)/trials > 0.2 {
			t.Errorf("%s: null z mean %.2f, P(z≥2) %.2f", name, mean(ind), float64(hit)/trials)
		}
		if mean(cpl) < 2 {
			t.Errorf("%s: coupled mean z %.2f, want ≥ 2", name, mean(cpl))
		}
		if name == "off" && mean(late) > 0 {
			t.Errorf("off: the sound 0.4 s late has mean z %.2f, want < 0", mean(late))
		}
	}
}
