package pipeline

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	faceverify "github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/media"
)

// healthy is a clip that passes every rule: each case below changes what it shows.
func healthy() Measurements {
	return Measurements{Stage: StageVoice, Duration: 4, Frames: 100, SpeechPeakDB: -20,
		FaceFrames: 1, MultiFaceFrames: 0, SampledFaces: 5, OtherFaces: 0, MinSimilarity: 0.8,
		Quality: 80, FaceSize: 120, Live: 0.9, FaceMotion: 2,
		MouthMotion: 0.1, MouthPixels: 2, SyncScore: 0.9, DigitsConfirmed: 4}
}

func defaultPolicy() Policy { return Policy{Config: DefaultLivenessConfig(), DigitsNeeded: 4} }

func TestLivenessRulesTable(t *testing.T) {
	p := defaultPolicy()
	m := healthy()
	names := map[string]bool{}
	for i, r := range LivenessRules {
		if names[r.Name] {
			t.Errorf("rule %s listed twice", r.Name)
		}
		names[r.Name] = true
		if i > 0 && r.Stage < LivenessRules[i-1].Stage {
			t.Errorf("rule %s (%s) after a %s rule: the table must be ordered by stage", r.Name, r.Stage, LivenessRules[i-1].Stage)
		}
		for _, c := range r.If {
			if c.Op == IsError {
				if c.Err == nil || r.Stage != StageDecode {
					t.Errorf("rule %s: IsError needs an error and the decode stage", r.Name)
				}
				continue
			}
			if _, ok := m.Cue(c.Cue); !ok {
				t.Errorf("rule %s: unknown cue %q", r.Name, c.Cue)
			}
			if _, ok := p.Threshold(c.Threshold); c.Threshold != "" && !ok {
				t.Errorf("rule %s: unknown threshold %q", r.Name, c.Threshold)
			}
		}
	}
	if len(cueFields) != 18 {
		t.Errorf("%d cues tagged, want 18 (a tag given twice?)", len(cueFields))
	}
	for name := range cueFields {
		if _, ok := m.Cue(name); !ok {
			t.Errorf("cue %s is not a number", name)
		}
	}
	if v, _ := m.Cue("quality"); v != m.Quality {
		t.Errorf("cue quality = %v, want %v", v, m.Quality)
	}
	if v, _ := p.Threshold("MinQuality"); v != p.Config.MinQuality {
		t.Errorf("threshold MinQuality = %v", v)
	}
	if _, ok := p.Threshold("LipSync"); ok {
		t.Errorf("LipSync is a switch, not a threshold")
	}
	last := LivenessRules[len(LivenessRules)-1]
	if len(last.If) != 0 || last.Result != faceverify.ResultVideoOK || last.Stage != StageVoice {
		t.Errorf("the last rule must be the unconditional VIDEO_OK of the voice stage, got %+v", last)
	}
	if n := len(lipRules()); n != 3 {
		t.Errorf("lip-sync rows: %d, want 3", n)
	}
}

// TestLivenessRules: every row can fire, and where several hold the order decides.
func TestLivenessRules(t *testing.T) {
	off := func(p *Policy) { p.Config.LipSync = false }
	cases := []struct {
		name   string
		m      func(m *Measurements)
		policy func(p *Policy)
		want   string // rule name
	}{
		{"passes", nil, nil, "passed"},
		{"too large", func(m *Measurements) { m.Stage, m.Decode = StageDecode, fmt.Errorf("x: %w", media.ErrTooLarge) }, nil, "video_too_large"},
		{"duration", func(m *Measurements) { m.Stage, m.Decode = StageDecode, media.ErrDuration }, nil, "duration_out_of_range"},
		{"no audio track", func(m *Measurements) { m.Stage, m.Decode = StageDecode, media.ErrNoAudio }, nil, "no_audio_track"},
		{"unsupported", func(m *Measurements) { m.Stage, m.Decode = StageDecode, media.ErrUnsupported }, nil, "format_unsupported"},
		{"streams apart", func(m *Measurements) { m.Stage, m.Decode = StageDecode, media.ErrNotSynchronized }, nil, "streams_not_synchronized"},
		{"silent", func(m *Measurements) { m.SpeechPeakDB = -60 }, nil, "silent"},
		{"silent beats no face", func(m *Measurements) { m.SpeechPeakDB, m.FaceFrames = -60, 0 }, nil, "silent"},
		{"few face frames", func(m *Measurements) { m.FaceFrames = 0.59 }, nil, "too_few_face_frames"},
		{"face frames at the threshold pass", func(m *Measurements) { m.FaceFrames = 0.6 }, nil, "passed"},
		{"no face beats second face", func(m *Measurements) { m.FaceFrames, m.MultiFaceFrames = 0.5, 0.5 }, nil, "too_few_face_frames"},
		{"second face", func(m *Measurements) { m.MultiFaceFrames = 0.3 }, nil, "second_face"},
		{"second face beats frozen", func(m *Measurements) { m.MultiFaceFrames, m.FaceMotion = 0.4, 0 }, nil, "second_face"},
		{"no sample", func(m *Measurements) { m.SampledFaces, m.FaceMotion, m.Quality = 0, 0, 0 }, nil, "no_sampled_face"},
		{"frozen", func(m *Measurements) { m.FaceMotion = 0.1 }, nil, "frozen_picture"},
		{"frozen beats other person and quality", func(m *Measurements) { m.FaceMotion, m.OtherFaces, m.Quality = 0.1, 3, 1 }, nil, "frozen_picture"},
		{"other person", func(m *Measurements) { m.OtherFaces = 2 }, nil, "other_person"},
		{"one other of five passes", func(m *Measurements) { m.OtherFaces = 1 }, nil, "passed"},
		{"one other of three", func(m *Measurements) { m.OtherFaces, m.SampledFaces = 1, 3 }, nil, "other_person_few_samples"},
		{"other person beats quality", func(m *Measurements) { m.OtherFaces, m.Quality = 2, 1 }, nil, "other_person"},
		{"low quality", func(m *Measurements) { m.Quality = 19.999 }, nil, "low_quality"},
		{"small face", func(m *Measurements) { m.FaceSize = 59 }, nil, "small_face"},
		{"quality beats spoof", func(m *Measurements) { m.Quality, m.Live = 10, 0 }, nil, "low_quality"},
		{"spoof", func(m *Measurements) { m.Live = 0.04 }, nil, "spoof"},
		{"spoof beats lips", func(m *Measurements) { m.Live, m.MouthMotion = 0.01, 0 }, nil, "spoof"},
		{"mouth still", func(m *Measurements) { m.MouthMotion = 0.01 }, nil, "mouth_still"},
		{"mouth pixels still", func(m *Measurements) { m.MouthPixels = 0.4 }, nil, "mouth_pixels_still"},
		{"mouth still beats sync", func(m *Measurements) { m.MouthPixels, m.SyncScore = 0.4, 0 }, nil, "mouth_pixels_still"},
		{"not in sync", func(m *Measurements) { m.SyncScore = 0.3 }, nil, "lips_not_with_voice"},
		{"sync beats digits", func(m *Measurements) { m.SyncScore, m.DigitsConfirmed = 0.3, 0 }, nil, "lips_not_with_voice"},
		{"NaN sync never refuses", func(m *Measurements) { m.SyncScore = math.NaN() }, nil, "passed"},
		{"lip sync off", func(m *Measurements) { m.MouthMotion, m.SyncScore = 0, 0 }, off, "passed"},
		{"lip sync off, digits still count", func(m *Measurements) { m.SyncScore, m.DigitsConfirmed = 0, 3 }, off, "digits_not_confirmed"},
		{"three of four digits", func(m *Measurements) { m.DigitsConfirmed = 3 }, nil, "digits_not_confirmed"},
		{"three of four digits, preferences 1", func(m *Measurements) { m.DigitsConfirmed = 3 }, func(p *Policy) { p.DigitsNeeded = 3 }, "passed"},
		{"two digits, preferences 1", func(m *Measurements) { m.DigitsConfirmed = 2 }, func(p *Policy) { p.DigitsNeeded = 3 }, "digits_not_confirmed"},
		{"configured quality threshold", func(m *Measurements) { m.Quality = 50 }, func(p *Policy) { p.Config.MinQuality = 60 }, "low_quality"},
	}
	fired := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, p := healthy(), defaultPolicy()
			if c.m != nil {
				c.m(&m)
			}
			if c.policy != nil {
				c.policy(&p)
			}
			d, ok, err := p.Decide(LivenessRules, &m)
			if err != nil || !ok {
				t.Fatalf("Decide: ok=%v err=%v", ok, err)
			}
			fired[d.Rule.Name] = true
			if d.Rule.Name != c.want {
				t.Errorf("rule %s (%s), want %s", d.Rule.Name, d, c.want)
			}
		})
	}
	for _, r := range LivenessRules {
		if !fired[r.Name] {
			t.Errorf("no case fires rule %s", r.Name)
		}
	}
}

// TestLivenessRulesStages: a clip measured only up to a stage gets no decision from the
// rows after it, whatever its zero values say.
func TestLivenessRulesStages(t *testing.T) {
	p := defaultPolicy()
	for st := StageDecode; st < StageVoice; st++ {
		m := healthy()
		m.Stage = st
		// The cues of the later stages are unmeasured (zero): they must not be read.
		if st < StageAudio {
			m.SpeechPeakDB = math.Inf(-1)
		}
		if st < StageTrack {
			m.FaceFrames = 0
		}
		if st < StageSamples {
			m.SampledFaces, m.FaceMotion, m.Quality, m.Live = 0, 0, 0, 0
		}
		m.MouthMotion, m.SyncScore, m.DigitsConfirmed = 0, 0, 0
		if d, ok, err := p.Decide(LivenessRules, &m); ok || err != nil {
			t.Errorf("stage %s: decided %s (err %v) before the later stages were measured", st, d, err)
		}
	}
	m := Measurements{Stage: StageDecode, Decode: fmt.Errorf("pipeline: ffmpeg crashed")}
	if d, ok, _ := p.Decide(LivenessRules, &m); ok {
		t.Errorf("an unknown decoder error is no user result, got %s", d)
	}
}

func TestLivenessRulesUnknownNames(t *testing.T) {
	p, m := defaultPolicy(), healthy()
	for _, r := range []Rule{
		{Name: "bad_cue", If: []Cond{{Cue: "nope", Op: Below, Limit: 1}}},
		{Name: "bad_threshold", If: []Cond{{Cue: "quality", Op: Below, Threshold: "MinNope"}}},
	} {
		if _, _, err := p.Decide([]Rule{r}, &m); err == nil {
			t.Errorf("%s: no error", r.Name)
		}
	}
}

func TestDecisionString(t *testing.T) {
	m, p := healthy(), defaultPolicy()
	m.Quality = 12.3456
	d, _, _ := p.Decide(LivenessRules, &m)
	if got, want := d.String(), "low_quality: quality 12.346 < MinQuality 20 → FACE_QUALITY_TOO_LOW"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	m = healthy()
	m.OtherFaces, m.SampledFaces = 1, 2
	d, _, _ = p.Decide(LivenessRules, &m)
	if got, want := d.String(), "other_person_few_samples: other_faces 1 ≥ 1, sampled_faces 2 ≤ 3 → CHANGE_FACE_ATTACK"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	m = Measurements{Decode: media.ErrTooLarge}
	d, _, _ = p.Decide(LivenessRules, &m)
	if !strings.HasPrefix(d.String(), "video_too_large: decode is ") {
		t.Errorf("got %q", d)
	}
}

// oldDecide is the if-chain Check ran before the rules became a table (6b36757), kept as
// the reference the table must agree with.
func oldDecide(m *Measurements, c LivenessConfig, lipSync bool, need int) faceverify.Result {
	switch {
	case m.SpeechPeakDB < c.MinSpeechDB:
		return faceverify.ResultNoAudio
	case m.FaceFrames < c.MinFaceFrames:
		return faceverify.ResultNoFaceFound
	case m.MultiFaceFrames >= c.MultiFaceFrames:
		return faceverify.ResultFaceAttack
	case m.SampledFaces == 0:
		return faceverify.ResultNoFaceFound
	case m.FaceMotion < c.MinFaceMotion:
		return faceverify.ResultFaceAttack
	case m.OtherFaces >= 2 || (m.SampledFaces <= 3 && m.OtherFaces >= 1):
		return faceverify.ResultChangeFaceAttack
	case m.Quality < c.MinQuality || m.FaceSize < c.MinFaceSize:
		return faceverify.ResultFaceQualityTooLow
	case m.Live < c.MinLive:
		return faceverify.ResultFaceAttack
	}
	if lipSync {
		switch {
		case m.MouthMotion < c.MinMouthMotion || m.MouthPixels < c.MinMouthPixels:
			return faceverify.ResultNotSynchronized
		case m.SyncScore < c.MinSyncScore:
			return faceverify.ResultLipVoiceNotSync
		}
	}
	if m.DigitsConfirmed < need {
		return faceverify.ResultSRError
	}
	return faceverify.ResultVideoOK
}

// TestLivenessRulesAgreeWithOldChain draws measurements around every threshold and checks
// the table decides as the former code did.
func TestLivenessRulesAgreeWithOldChain(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	c := DefaultLivenessConfig()
	near := func(th float64) float64 {
		switch rng.Intn(5) {
		case 0:
			return th
		case 1:
			return math.NaN()
		}
		return th * (0.5 + rng.Float64())
	}
	counts := map[string]int{}
	for i := 0; i < 20000; i++ {
		m := Measurements{Stage: StageVoice,
			SpeechPeakDB: c.MinSpeechDB + 20*(rng.Float64()-0.1), FaceFrames: near(c.MinFaceFrames),
			MultiFaceFrames: near(c.MultiFaceFrames) * 0.7, SampledFaces: rng.Intn(6), OtherFaces: rng.Intn(3),
			Quality: near(c.MinQuality), FaceSize: near(c.MinFaceSize), Live: near(c.MinLive), FaceMotion: near(c.MinFaceMotion),
			MouthMotion: near(c.MinMouthMotion), MouthPixels: near(c.MinMouthPixels), SyncScore: near(c.MinSyncScore),
			DigitsConfirmed: 2 + rng.Intn(3)}
		lip, need := rng.Intn(2) == 0, 3+rng.Intn(2)
		p := Policy{Config: c, DigitsNeeded: need}
		p.Config.LipSync = lip
		d, ok, err := p.Decide(LivenessRules, &m)
		if err != nil || !ok {
			t.Fatalf("Decide: ok=%v err=%v", ok, err)
		}
		counts[d.Rule.Name]++
		if want := oldDecide(&m, c, lip, need); d.Result() != want {
			t.Fatalf("%+v lip=%v need=%d: table %s, old chain %s", m, lip, need, d, want.Message)
		}
	}
	for _, r := range LivenessRules[5:] {
		if counts[r.Name] == 0 {
			t.Errorf("the draw never reached rule %s", r.Name)
		}
	}
}

// Every threshold left at zero takes its default; a set one stays.
func TestLivenessConfigFill(t *testing.T) {
	c := LivenessConfig{MinQuality: 33}
	c.fill()
	d := DefaultLivenessConfig()
	want := d
	want.MinQuality, want.LipSync = 33, false
	if c != want {
		t.Errorf("filled %+v\nwant   %+v", c, want)
	}
}
