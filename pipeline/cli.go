package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/faceverify/faceverify/speech"
	"github.com/faceverify/faceverify/vision"
)

// RunLiveness is the `faceverify liveness` command: it checks one clip and prints a JSON
// report (result_code, result_message, digits_heard, scores, timings and, with --ref, the
// comparison of the best frame with a reference photo) and the rule that decided.
func RunLiveness(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("liveness", flag.ContinueOnError)
	video := fs.String("video", "", "clip to check (WebM or MP4)")
	digits := fs.String("digits", "", "the 4-digit challenge")
	ref := fs.String("ref", "", "optional reference photo to compare the best frame with")
	models := fs.String("models", vision.DefaultModelDir(), "face model directory")
	lib := fs.String("ort", vision.DefaultORTLib(), "ONNX Runtime library")
	prefs := fs.Int("preferences", 2, "liveness_preferences: 1 = 3 of 4 digits, 2 = all 4")
	lipSync := fs.Bool("lipsync", true, "check lip/voice synchronisation")
	lang := fs.String("lang", "", "narrow the digit language to en or zh (default: both, in one decode)")
	fps := fs.Float64("fps", 0, "frames per second to analyse (0 = default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *video == "" || len(*digits) != 4 || !allDigits(*digits) {
		return errors.New("usage: faceverify liveness --video FILE --digits 4821 [--lang zh|en] [--preferences 1|2] [--lipsync=false] [--ref PHOTO] [--models DIR]")
	}
	language, err := speech.ParseLanguage(*lang)
	if err != nil {
		return err
	}
	v, err := vision.Open(vision.Config{ModelDir: *models, LibPath: *lib, Threads: 1})
	if err != nil {
		return err
	}
	defer v.Close()
	s, err := speech.Open(speech.Config{LibPath: *lib, Threads: 1})
	if err != nil {
		return err
	}
	defer s.Close()
	cfg := DefaultLivenessConfig()
	cfg.LipSync = *lipSync
	cfg.Language = language
	if *fps > 0 {
		cfg.Limits.FPS = *fps
	}
	l := NewLiveness(v, s, cfg)
	rep, dec, err := l.CheckDecision(context.Background(), *video, *digits, LivenessOptions{Preferences: *prefs})
	if err != nil {
		return err
	}
	out := map[string]any{
		"result_code":           rep.Result.Code,
		"result_message":        rep.Result.Message,
		"challenge":             rep.Challenge,
		"digits_heard":          rep.DigitsHeard,
		"speech_lang":           speechLang(rep.Scores, language),
		"scores":                rep.Scores,
		"attack_score":          rep.AttackScore,
		"quality_score":         rep.QualityScore,
		"timings_ms":            rep.Timings,
		"best_image_jpeg_bytes": len(rep.BestImage),
		// Which rule of LivenessRules decided, with the values and thresholds it compared.
		"rule":     dec.Rule.Name,
		"decision": dec.String(),
	}
	if *ref != "" {
		b, err := os.ReadFile(*ref)
		if err != nil {
			return err
		}
		img, err := vision.Decode(b)
		if err != nil {
			return fmt.Errorf("ref: %w", err)
		}
		faces, err := v.Faces(img, vision.NeedEmbedding)
		if err != nil {
			return err
		}
		cmp := map[string]any{"faces_in_ref": len(faces)}
		if len(faces) > 0 && len(rep.Embedding) > 0 {
			sim := vision.Similarity(rep.Embedding, faces[0].Embedding)
			cmp["similarity"] = round3(sim)
			cmp["score"] = vision.Calibrate(sim)
		}
		out["comparison"] = cmp
	}
	e := json.NewEncoder(stdout)
	e.SetIndent("", "  ")
	return e.Encode(out)
}

// speechLang names the language the digits were read in, from the speech_lang score
// (the share of Mandarin in the aligned digits), or the narrowed language.
func speechLang(sc map[string]float64, narrowed speech.Language) string {
	if narrowed != speech.Any {
		return string(narrowed)
	}
	z, ok := sc["speech_lang"]
	switch {
	case !ok:
		return ""
	case z >= 0.75:
		return "zh"
	case z <= 0.25:
		return "en"
	}
	return "mixed"
}
