package pipeline

// This file holds the liveness decision as data: Check measures (Measurements, every cue
// with its value), and the ordered rule table below turns the measurements into a result
// code. The rules are pure: they read a Measurements and a Policy (the configured
// thresholds and the session's choices) and nothing else, so they are tested without
// models (rules_test.go) and an operator can read a decision as "which rule, which value,
// which threshold" (Decision.String, `faceverify liveness`).

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	faceverify "github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/media"
)

// Stage is how far Check has measured a clip. The stages run in this order, each costing
// more model time than the one before; a rule reads only the cues of its stage and those
// before, so Check stops measuring as soon as a rule has fired.
type Stage int

const (
	StageDecode  Stage = iota // the decoder's outcome (Measurements.Decode)
	StageAudio                // loudness of the band-passed sound
	StageTrack                // the face track: faces per frame
	StageSamples              // sampled frames: identity, quality, anti-spoof; face motion
	StageVoice                // speech verification and the lip/voice sync statistics
)

var stageNames = [...]string{"decode", "audio", "track", "samples", "voice"}

func (s Stage) String() string {
	if s < 0 || int(s) >= len(stageNames) {
		return "stage(" + strconv.Itoa(int(s)) + ")"
	}
	return stageNames[s]
}

// Measurements is the record of one clip's cues, filled stage by stage (Stage is the last
// stage measured). Cue names (Measurements.Cue) are the report's score keys where the
// report has one; the rules compare the unrounded values.
type Measurements struct {
	Stage Stage

	// StageDecode
	Decode   error   // media.Extract's error; nil = decoded
	Duration float64 `cue:"duration_s"` // seconds (0 when the decoder did not get that far)
	Frames   int     `cue:"frames"`

	// StageAudio
	SpeechPeakDB float64 `cue:"speech_peak_db"` // loudest 100 ms of the band-passed audio, dBFS

	// StageTrack
	FaceFrames      float64 `cue:"face_frames"`       // share of frames with a face
	MultiFaceFrames float64 `cue:"multi_face_frames"` // share of frames with a second, large enough face

	// StageSamples
	SampledFaces  int     `cue:"sampled_faces"`           // sampled frames with a face template
	OtherFaces    int     `cue:"other_faces"`             // sampled frames whose face is not the best frame's person
	MinSimilarity float64 `cue:"identity_min_similarity"` // lowest similarity of a sampled face to the best frame's
	Quality       float64 `cue:"quality"`                 // median quality 0–100 of the sampled faces (rounded to 0.001, as reported)
	FaceSize      float64 `cue:"face_size_px"`            // best frame's face box short side, px
	Sharpness     float64 `cue:"sharpness"`
	Brightness    float64 `cue:"brightness"`
	Live          float64 `cue:"antispoof_live"` // mean anti-spoof "live" probability of the sampled faces
	FaceMotion    float64 `cue:"face_motion"`    // mean abs grey change of the face box between frames

	// StageVoice
	MouthMotion     float64 `cue:"mouth_motion"`     // std of the landmark lip opening (syncResult.mouthStd)
	MouthPixels     float64 `cue:"mouth_pixels"`     // median aligned mouth-crop change (syncResult.mouthMotion)
	SyncScore       float64 `cue:"sync_score"`       // fused lip/voice sync probability
	DigitsConfirmed int     `cue:"digits_confirmed"` // challenge digits speech verification confirmed
	DigitsHeard     string  // the free decode, told the challenge length (speech.Thresholds.LenMargin)

	sync syncResult // every sync statistic, for the report
}

// Cue returns the value of the named cue (the field tagged with that cue name; false for
// an unknown name).
func (m *Measurements) Cue(name string) (float64, bool) {
	i, ok := cueFields[name]
	if !ok {
		return 0, false
	}
	return number(reflect.ValueOf(m).Elem().Field(i))
}

// cueFields maps every cue name to its Measurements field.
var cueFields = func() map[string]int {
	out := map[string]int{}
	t := reflect.TypeOf(Measurements{})
	for i := 0; i < t.NumField(); i++ {
		if c := t.Field(i).Tag.Get("cue"); c != "" {
			out[c] = i
		}
	}
	return out
}()

// number reads an int or float field as a float64.
func number(v reflect.Value) (float64, bool) {
	switch v.Kind() {
	case reflect.Float64:
		return v.Float(), true
	case reflect.Int:
		return float64(v.Int()), true
	}
	return 0, false
}

// Policy is what the rules compare against: the configured thresholds (Config.LipSync is
// the switch in effect for this session) and the session's digit requirement.
type Policy struct {
	Config       LivenessConfig
	DigitsNeeded int // liveness_preferences: 3 or 4 of the challenge digits
}

// Threshold returns the named threshold: DigitsNeeded or the number field of Config of
// that name (so a rule names its threshold as the configuration does).
func (p Policy) Threshold(name string) (float64, bool) {
	if name == "DigitsNeeded" {
		return float64(p.DigitsNeeded), true
	}
	f := reflect.ValueOf(p.Config).FieldByName(name)
	if !f.IsValid() {
		return 0, false
	}
	return number(f)
}

// Op compares a cue with a threshold.
type Op int

const (
	Below   Op = iota // value < threshold
	AtLeast           // value ≥ threshold
	AtMost            // value ≤ threshold
	IsError           // the decoder's error is (errors.Is) Cond.Err
)

var opSigns = [...]string{"<", "≥", "≤", "is"}

func (o Op) String() string { return opSigns[o] }

// Cond is one comparison of a rule: Cue Op threshold, the threshold being the Policy's
// value named Threshold or, when that is empty, the constant Limit. A NaN cue never holds.
type Cond struct {
	Cue       string
	Op        Op
	Threshold string
	Limit     float64
	Err       error // IsError only
}

// Rule is one row of the table: when every Cond holds, the clip gets Result.
type Rule struct {
	Name  string
	Stage Stage
	// LipSync rows are the lip/voice checks: they apply only while the lip-sync switch is
	// on (Policy.Config.LipSync).
	LipSync bool
	If      []Cond // all must hold; none = always
	Result  faceverify.Result
}

// LivenessRules is the ordered rule table of the video_number check: the first row whose
// conditions all hold decides. Rows are ordered by stage; within a stage the order is the
// check's precedence (a frozen picture is an attack before it is a low-quality face).
var LivenessRules = []Rule{
	{Name: "video_too_large", Stage: StageDecode, If: []Cond{{Cue: "decode", Op: IsError, Err: media.ErrTooLarge}}, Result: faceverify.ResultVideoTooLarge},
	{Name: "duration_out_of_range", Stage: StageDecode, If: []Cond{{Cue: "decode", Op: IsError, Err: media.ErrDuration}}, Result: faceverify.ResultInvalidVideoDuration},
	{Name: "no_audio_track", Stage: StageDecode, If: []Cond{{Cue: "decode", Op: IsError, Err: media.ErrNoAudio}}, Result: faceverify.ResultNoAudio},
	{Name: "format_unsupported", Stage: StageDecode, If: []Cond{{Cue: "decode", Op: IsError, Err: media.ErrUnsupported}}, Result: faceverify.ResultVideoFormatUnsupported},
	{Name: "streams_not_synchronized", Stage: StageDecode, If: []Cond{{Cue: "decode", Op: IsError, Err: media.ErrNotSynchronized}}, Result: faceverify.ResultNotSynchronized},

	{Name: "silent", Stage: StageAudio, If: []Cond{{Cue: "speech_peak_db", Op: Below, Threshold: "MinSpeechDB"}}, Result: faceverify.ResultNoAudio},

	{Name: "too_few_face_frames", Stage: StageTrack, If: []Cond{{Cue: "face_frames", Op: Below, Threshold: "MinFaceFrames"}}, Result: faceverify.ResultNoFaceFound},
	{Name: "second_face", Stage: StageTrack, If: []Cond{{Cue: "multi_face_frames", Op: AtLeast, Threshold: "MultiFaceFrames"}}, Result: faceverify.ResultFaceAttack},

	{Name: "no_sampled_face", Stage: StageSamples, If: []Cond{{Cue: "sampled_faces", Op: AtMost, Limit: 0}}, Result: faceverify.ResultNoFaceFound},
	{Name: "frozen_picture", Stage: StageSamples, If: []Cond{{Cue: "face_motion", Op: Below, Threshold: "MinFaceMotion"}}, Result: faceverify.ResultFaceAttack},
	{Name: "other_person", Stage: StageSamples, If: []Cond{{Cue: "other_faces", Op: AtLeast, Limit: 2}}, Result: faceverify.ResultChangeFaceAttack},
	{Name: "other_person_few_samples", Stage: StageSamples, If: []Cond{{Cue: "other_faces", Op: AtLeast, Limit: 1}, {Cue: "sampled_faces", Op: AtMost, Limit: 3}}, Result: faceverify.ResultChangeFaceAttack},
	{Name: "low_quality", Stage: StageSamples, If: []Cond{{Cue: "quality", Op: Below, Threshold: "MinQuality"}}, Result: faceverify.ResultFaceQualityTooLow},
	{Name: "small_face", Stage: StageSamples, If: []Cond{{Cue: "face_size_px", Op: Below, Threshold: "MinFaceSize"}}, Result: faceverify.ResultFaceQualityTooLow},
	{Name: "spoof", Stage: StageSamples, If: []Cond{{Cue: "antispoof_live", Op: Below, Threshold: "MinLive"}}, Result: faceverify.ResultFaceAttack},

	{Name: "mouth_still", Stage: StageVoice, LipSync: true, If: []Cond{{Cue: "mouth_motion", Op: Below, Threshold: "MinMouthMotion"}}, Result: faceverify.ResultNotSynchronized},
	{Name: "mouth_pixels_still", Stage: StageVoice, LipSync: true, If: []Cond{{Cue: "mouth_pixels", Op: Below, Threshold: "MinMouthPixels"}}, Result: faceverify.ResultNotSynchronized},
	{Name: "lips_not_with_voice", Stage: StageVoice, LipSync: true, If: []Cond{{Cue: "sync_score", Op: Below, Threshold: "MinSyncScore"}}, Result: faceverify.ResultLipVoiceNotSync},
	{Name: "digits_not_confirmed", Stage: StageVoice, If: []Cond{{Cue: "digits_confirmed", Op: Below, Threshold: "DigitsNeeded"}}, Result: faceverify.ResultSRError},

	{Name: "passed", Stage: StageVoice, Result: faceverify.ResultVideoOK},
}

// Decision is the rule that fired and the values it compared.
type Decision struct {
	Rule       *Rule
	Values     []float64 // per Rule.If: the cue's value (NaN for IsError)
	Thresholds []float64 // per Rule.If: the threshold compared with
}

// Result is the fired rule's result.
func (d Decision) Result() faceverify.Result { return d.Rule.Result }

// String reads the decision as "rule: cue value op threshold … → RESULT".
func (d Decision) String() string {
	var sb strings.Builder
	sb.WriteString(d.Rule.Name)
	for i, c := range d.Rule.If {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		sb.WriteString(sep + c.Cue + " ")
		if c.Op == IsError {
			sb.WriteString("is " + c.Err.Error())
			continue
		}
		th := c.Threshold
		if th == "" {
			th = num(c.Limit)
		} else {
			th += " " + num(d.Thresholds[i])
		}
		fmt.Fprintf(&sb, "%s %s %s", num(round3(d.Values[i])), c.Op, th)
	}
	sb.WriteString(" → " + d.Rule.Result.Message)
	return sb.String()
}

// Decide runs rules in order on m: the first row that holds decides (ok). Rows of a stage
// after m.Stage are not reached: ok is false when no row up to there holds and more is to
// be measured. A row naming an unknown cue or threshold is an error (rules_test checks the
// table has none).
func (p Policy) Decide(rules []Rule, m *Measurements) (d Decision, ok bool, err error) {
	for i := range rules {
		r := &rules[i]
		if r.Stage > m.Stage {
			return Decision{}, false, nil
		}
		if r.LipSync && !p.Config.LipSync {
			continue
		}
		d, holds, err := p.eval(r, m)
		if err != nil {
			return Decision{}, false, err
		}
		if holds {
			return d, true, nil
		}
	}
	return Decision{}, false, nil
}

func (p Policy) eval(r *Rule, m *Measurements) (Decision, bool, error) {
	d := Decision{Rule: r, Values: make([]float64, len(r.If)), Thresholds: make([]float64, len(r.If))}
	holds := true
	for i, c := range r.If {
		if c.Op == IsError {
			d.Values[i], d.Thresholds[i] = math.NaN(), math.NaN()
			holds = holds && c.Err != nil && errors.Is(m.Decode, c.Err)
			continue
		}
		v, ok := m.Cue(c.Cue)
		if !ok {
			return Decision{}, false, fmt.Errorf("pipeline: rule %s: unknown cue %q", r.Name, c.Cue)
		}
		th := c.Limit
		if c.Threshold != "" {
			if th, ok = p.Threshold(c.Threshold); !ok {
				return Decision{}, false, fmt.Errorf("pipeline: rule %s: unknown threshold %q", r.Name, c.Threshold)
			}
		}
		d.Values[i], d.Thresholds[i] = v, th
		switch c.Op {
		case Below:
			holds = holds && v < th
		case AtLeast:
			holds = holds && v >= th
		case AtMost:
			holds = holds && v <= th
		default:
			return Decision{}, false, fmt.Errorf("pipeline: rule %s: unknown op %d", r.Name, c.Op)
		}
	}
	return d, holds, nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// lipRules are the lip/voice rows of LivenessRules (the lip-sync step alone, as
// SyncTrack.WithAudioOf runs it).
func lipRules() []Rule {
	var out []Rule
	for _, r := range LivenessRules {
		if r.LipSync {
			out = append(out, r)
		}
	}
	return out
}
