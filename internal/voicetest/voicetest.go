// Package voicetest helps tests play a user who speaks the challenge clearly: what the
// server's recogniser hears in a wav, and pinning a session's challenge to digits it hears.
// The recogniser's error rate on random digits is a product figure (docs/speech.md); a
// test of another part of the flow should not hinge on it.
package voicetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/speech"
)

// Candidates are challenges tried, in order, when a test needs digits the recogniser hears
// (none is an easy challenge: verify.EasyChallenge).
var Candidates = []string{"4821", "3907", "5174", "2049", "7350", "9481", "1593"}

var (
	once sync.Once
	rec  *speech.Recognizer
	err  error
)

func recognizer(t testing.TB) *speech.Recognizer {
	t.Helper()
	lib := testenv.ORTLib(t)
	once.Do(func() { rec, err = speech.Open(speech.Config{LibPath: lib, Threads: 1}) })
	if err != nil {
		t.Fatalf("speech: %v", err)
	}
	return rec
}

func pcmOf(t testing.TB, wav string) []int16 {
	t.Helper()
	raw := filepath.Join(t.TempDir(), "heard.raw")
	testenv.Sh(t, "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", wav, "-f", "s16le", "-ar", "16000", "-ac", "1", raw)
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return pcm
}

// Heard is what the server's recogniser (default configuration: both languages) makes of
// an audio file: the free decode.
func Heard(t testing.TB, wav string) string {
	t.Helper()
	res, _ := recognizer(t).Digits(pcmOf(t, wav), 16000)
	return res.Digits
}

// Confirmed reports whether the server's recogniser (both languages) confirms all four
// digits of challenge in the audio file — what liveness_preferences 2 needs.
func Confirmed(t testing.TB, wav, challenge string) bool {
	t.Helper()
	v, err := recognizer(t).Verify(pcmOf(t, wav), 16000, challenge)
	return err == nil && v.Right == 4
}

// PinChallenge sets the session's current challenge (the test plays the user; a clip
// cannot know the random digits in advance).
func PinChallenge(t testing.TB, store faceverify.Store, token, digits string) {
	t.Helper()
	ctx := context.Background()
	ss, err := store.Session(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	ss.Challenge = digits
	if err := store.UpdateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
}

var (
	enWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	// Mandarin digits in pinyin with tone numbers, for espeak-ng's cmn-latn-pinyin voice
	// (plain cmn mis-reads tone digits and reads 四 and 一 as English).
	zhSyllables = []string{"ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"}
)

// Say is the text espeak-ng reads for digits in lang: "zh" (pinyin) or "en" (words).
func Say(lang, digits string) string {
	words := enWords
	if lang == "zh" {
		words = zhSyllables
	}
	var out []string
	for _, d := range digits {
		out = append(out, words[d-'0'])
	}
	return strings.Join(out, ", ")
}

// Voices are the espeak-ng voices and speeds tests try, in order, per language.
var Voices = map[string][][2]string{
	"zh": {{"cmn-latn-pinyin", "130"}, {"cmn-latn-pinyin", "110"}, {"cmn-latn-pinyin+f2", "120"}, {"cmn-latn-pinyin+m3", "120"}, {"cmn-latn-pinyin", "150"}},
	"en": {{"en-us", "130"}, {"en-us", "110"}, {"en", "120"}, {"en-gb", "120"}, {"en-us+m3", "120"}, {"en-us", "150"}},
}
