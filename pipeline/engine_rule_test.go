package pipeline

import (
	"testing"

	faceverify "github.com/faceverify/faceverify"
)

// The engine keeps the deciding rule with the report it hands the service.
func TestWithRule(t *testing.T) {
	m, p := healthy(), defaultPolicy()
	m.Quality = 12.3456
	d, ok, err := p.Decide(LivenessRules, &m)
	if !ok || err != nil {
		t.Fatalf("no decision: %v", err)
	}
	rep := withRule(&faceverify.Liveness{Result: d.Result()}, d)
	if want := "low_quality: quality 12.346 < MinQuality 20 → FACE_QUALITY_TOO_LOW"; rep.Rule != want {
		t.Fatalf("rule %q, want %q", rep.Rule, want)
	}
	if rep := withRule(&faceverify.Liveness{}, Decision{}); rep.Rule != "" {
		t.Fatalf("no decision, rule %q", rep.Rule)
	}
	if withRule(nil, d) != nil {
		t.Fatal("nil report")
	}
}
