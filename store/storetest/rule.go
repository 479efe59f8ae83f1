package storetest

import (
	"context"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/testclock"
)

// testLivenessRule: the rule that decided a liveness result (Liveness.Rule) is kept with
// the failed attempt and with the verdict, and an attempt without one reads back empty.
func testLivenessRule(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	ss := storedSession(t, s, c)
	const (
		failed = "low_quality: quality 12.3 < MinQuality 20 → FACE_QUALITY_TOO_LOW"
		passed = "live: sync_score 0.91 >= MinSync 0.5 → SUCCESS"
	)
	ss.LastAttempt = &faceverify.Liveness{Result: faceverify.ResultFaceQualityTooLow, Challenge: "1234", Rule: failed}
	ss.Verdict = &faceverify.Verdict{Result: faceverify.ResultSuccess, DecidedAt: c.Now(),
		Liveness: &faceverify.Liveness{Result: faceverify.ResultSuccess, Challenge: "4821", Rule: passed}}
	if err := s.UpdateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	got, err := s.Session(ctx, ss.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastAttempt == nil || got.LastAttempt.Rule != failed {
		t.Fatalf("last attempt's rule: %+v", got.LastAttempt)
	}
	if got.Verdict == nil || got.Verdict.Liveness == nil || got.Verdict.Liveness.Rule != passed {
		t.Fatalf("verdict's rule: %+v", got.Verdict)
	}
	got.LastAttempt = &faceverify.Liveness{Result: faceverify.ResultVideoTooLarge, Challenge: "1234"}
	if err := s.UpdateSession(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, err := s.Session(ctx, ss.Token); err != nil || again.LastAttempt.Rule != "" || again.Verdict.Liveness.Rule != passed {
		t.Fatalf("attempt without a rule: %+v, %v", again, err)
	}
}
