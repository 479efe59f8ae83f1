package console

import (
	"testing"

	"github.com/faceverify/faceverify"
)

// The check that decides a result is highlighted; scores are grouped by check.
func TestScoreGroups(t *testing.T) {
	rep := &faceverify.Liveness{Result: faceverify.ResultLipVoiceNotSync,
		Scores: map[string]float64{"sync_z": 0.4, "sync_score": 0.1, "antispoof_live": 0.99, "digit_conf_0": 0.9, "quality": 88}}
	gs := groupScores(scoreRows("en", rep))
	hot := map[string]bool{}
	n := 0
	for _, g := range gs {
		hot[g.Name] = g.Hot
		n += len(g.Items)
	}
	if n != 5 || !hot["lip-voice sync"] || hot["anti-spoof"] || hot["digits"] || hot["quality"] {
		t.Fatalf("groups %+v", gs)
	}
	rep.Result = faceverify.ResultSRError
	for _, g := range groupScores(scoreRows("zh", rep)) {
		if g.Hot != (g.Name == "朗读数字") {
			t.Fatalf("SR_ERROR highlights %q: %v", g.Name, g.Hot)
		}
	}
}

// Every text has both languages; every result has an explanation.
func TestTexts(t *testing.T) {
	for k, v := range texts {
		if v[0] == "" || v[1] == "" {
			t.Errorf("text %q lacks a language", k)
		}
	}
	for _, r := range faceverify.Results {
		if resultText("zh", r.Message) == "" || resultText("en", r.Message) == "" {
			t.Errorf("no explanation of %s", r.Message)
		}
	}
}

// Every state-change event and actor has its words in both languages.
func TestHistoryTexts(t *testing.T) {
	keys := []string{"actor_operator"}
	for _, e := range faceverify.CauseEvents {
		keys = append(keys, "ev_"+e)
	}
	for _, a := range []string{faceverify.ActorAPI, faceverify.ActorPage, faceverify.ActorJob, faceverify.ActorSweep} {
		keys = append(keys, "actor_"+a)
	}
	for _, k := range keys {
		if v, ok := texts[k]; !ok || v[0] == "" || v[1] == "" {
			t.Errorf("no zh/en text for %s", k)
		}
	}
}
