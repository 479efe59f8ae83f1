package pipeline

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify/internal/voicetest"
	"github.com/faceverify/faceverify/speech"
)

// TestSpeechVerdicts: a real talking face (lip sync off: the lips do not say these digits)
// with its sound replaced, through the whole pipeline. Digits read in Mandarin or English
// pass with no language configured; non-digit sound, another string and a narrowed language
// that was not spoken end in SR_ERROR; silence in NO_AUDIO.
func TestSpeechVerdicts(t *testing.T) {
	v, s, ds := talking(t)
	video := filepath.Join(ds, "talking", "vox_audio_00373.mp4") // 5.2 s, one face
	dir := t.TempDir()
	sh := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	n := 0
	clip := func(wav string) string {
		n++
		out := filepath.Join(dir, fmt.Sprintf("clip%d.mp4", n))
		sh("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", video, "-i", wav, "-map", "0:v:0", "-map", "1:a:0",
			"-af", "apad", "-t", "5", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", out)
		return out
	}
	speak := func(voice, text string) string {
		n++
		raw, wav := filepath.Join(dir, fmt.Sprintf("r%d.wav", n)), filepath.Join(dir, fmt.Sprintf("v%d.wav", n))
		sh("espeak-ng", "-v", voice, "-s", "140", "-w", raw, text)
		sh("sox", raw, "-r", "16000", "-c", "1", wav, "pad", "0.6", "0")
		return wav
	}
	signal := func(args ...string) string {
		n++
		wav := filepath.Join(dir, fmt.Sprintf("s%d.wav", n))
		sh("sox", append([]string{"-n", "-r", "16000", "-c", "1", wav, "synth"}, args...)...)
		return wav
	}
	off := false
	cases := []struct {
		name, wav, challenge string
		lang                 speech.Language
		want                 string
	}{
		{"Mandarin digits", speak("cmn-latn-pinyin", voicetest.Say("zh", "4821")), "4821", "", "VIDEO_OK"},
		{"English digits", speak("en-us", voicetest.Say("en", "4821")), "4821", "", "VIDEO_OK"},
		{"Mandarin digits, page narrowed to zh", speak("cmn-latn-pinyin", voicetest.Say("zh", "3907")), "3907", speech.Mandarin, "VIDEO_OK"},
		{"Mandarin digits, narrowed to en", speak("cmn-latn-pinyin", voicetest.Say("zh", "3907")), "3907", speech.English, "SR_ERROR"},
		{"another digit string", speak("en-us", voicetest.Say("en", "7350")), "4821", "", "SR_ERROR"},
		{"Mandarin sentence", speak("cmn-latn-pinyin", "ni3 hao3 , wo3 men zhun3 bei4 chu1 fa1 le"), "4821", "", "SR_ERROR"},
		{"English sentence", speak("en-us", "please look at the camera and smile"), "4821", "", "SR_ERROR"},
		{"German sentence", speak("de", "guten Morgen, wie geht es dir heute"), "4821", "", "SR_ERROR"},
		{"noise", signal("5", "pinknoise", "vol", "0.3"), "4821", "", "SR_ERROR"},
		{"music (chord)", signal("5", "pluck", "C3", "pluck", "E3", "pluck", "G3", "vol", "0.5"), "4821", "", "SR_ERROR"},
		{"silence", signal("5", "sine", "300", "vol", "0"), "4821", "", "NO_AUDIO"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultLivenessConfig()
			l := NewLiveness(v, s, cfg)
			rep, err := l.Check(context.Background(), clip(c.wav), c.challenge, LivenessOptions{Preferences: 1, LipSync: &off, Language: c.lang})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s heard %q confirmed %v conf %v/%v/%v/%v lang %v", rep.Result.Message, rep.DigitsHeard, rep.Scores["digits_confirmed"],
				rep.Scores["digit_conf_0"], rep.Scores["digit_conf_1"], rep.Scores["digit_conf_2"], rep.Scores["digit_conf_3"], rep.Scores["speech_lang"])
			if rep.Result.Message != c.want {
				t.Errorf("got %s, want %s", rep.Result.Message, c.want)
			}
		})
	}
}
