package faceverify_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
)

func TestTokens(t *testing.T) {
	now := time.Unix(1763900000, 0)
	seen := map[string]bool{}
	re := regexp.MustCompile(`^1763900000,[0-9a-f]{32}$`)
	for i := 0; i < 1000; i++ {
		tok := faceverify.NewToken(now)
		if !re.MatchString(tok) || seen[tok] {
			t.Fatalf("token %q", tok)
		}
		seen[tok] = true
	}
	if id := faceverify.NewCertifyID(); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Fatalf("certify id %q", id)
	}
}

func TestStateMachine(t *testing.T) {
	valid := [][2]faceverify.State{
		{faceverify.StateCreated, faceverify.StateIDCard},
		{faceverify.StateCreated, faceverify.StateLiveness},
		{faceverify.StateIDCard, faceverify.StateLiveness},
		{faceverify.StateLiveness, faceverify.StateDeciding},
		{faceverify.StateDeciding, faceverify.StateLiveness},
		{faceverify.StateDeciding, faceverify.StateDone},
		{faceverify.StateLiveness, faceverify.StateCancelled},
		{faceverify.StateIDCard, faceverify.StateExpired},
	}
	for _, v := range valid {
		if !faceverify.CanMove(v[0], v[1]) {
			t.Errorf("%s → %s refused", v[0], v[1])
		}
	}
	invalid := [][2]faceverify.State{
		{faceverify.StateDone, faceverify.StateLiveness},
		{faceverify.StateCancelled, faceverify.StateDone},
		{faceverify.StateExpired, faceverify.StateLiveness},
		{faceverify.StateDeciding, faceverify.StateCancelled}, // a queued verdict always finishes
		{faceverify.StateDeciding, faceverify.StateExpired},
		{faceverify.StateCreated, faceverify.StateDeciding},
	}
	for _, v := range invalid {
		if faceverify.CanMove(v[0], v[1]) {
			t.Errorf("%s → %s allowed", v[0], v[1])
		}
	}
}

func TestExpiryAndUse(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &faceverify.Session{State: faceverify.StateLiveness, ExpiresAt: t0.Add(time.Hour)}
	if err := s.Usable(t0.Add(59 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Usable(t0.Add(time.Hour)); faceverify.ErrorCode(err) != faceverify.EEXPIRED || s.State != faceverify.StateExpired {
		t.Fatalf("expired: %v %s", err, s.State)
	}
	d := &faceverify.Session{State: faceverify.StateDeciding, ExpiresAt: t0}
	if d.Expired(t0.Add(time.Hour)) {
		t.Fatal("a session being decided expired")
	}
	done := &faceverify.Session{State: faceverify.StateLiveness, ExpiresAt: t0.Add(time.Hour), Options: faceverify.Options{LivenessRetries: 3}}
	if err := done.Finish(faceverify.Verdict{Result: faceverify.ResultSuccess}, t0, faceverify.Cause{Event: faceverify.CauseVerdict, Actor: faceverify.ActorJob}); err != nil {
		t.Fatal(err)
	}
	if err := done.Usable(t0); faceverify.ErrorCode(err) != faceverify.EUSED {
		t.Fatalf("used token: %v", err)
	}
	if done.Result() != faceverify.ResultSuccess || done.Verdict.DecidedAt != t0 {
		t.Fatal("verdict not recorded")
	}
	bal := &faceverify.Session{State: faceverify.StateLiveness}
	bal.Finish(faceverify.Verdict{Result: faceverify.ResultBalanceNotEnough}, t0, faceverify.Cause{})
	if bal.State != faceverify.StateFailed {
		t.Fatalf("5000 family ends as failed, got %s", bal.State)
	}
	if (&faceverify.Session{State: faceverify.StateCreated}).Result() != faceverify.ResultLivingNotStart {
		t.Fatal("fresh session should report 9000")
	}
}

func TestSecurityFAR(t *testing.T) {
	for lvl, want := range map[int]string{0: "1e-4", 1: "1e-3", 2: "1e-4", 3: "1e-5"} {
		if got := (faceverify.Options{SecurityLevel: lvl}).SecurityFAR(); got != want {
			t.Errorf("level %d: %s", lvl, got)
		}
	}
}

func TestErrors(t *testing.T) {
	err := faceverify.Missing("return_url")
	if faceverify.ErrorCode(err) != faceverify.EMISSING || faceverify.ErrorKey(err) != "return_url" {
		t.Fatal(err)
	}
	if faceverify.ErrorCode(nil) != "" || faceverify.ErrorCode(errPlain{}) != faceverify.EINTERNAL {
		t.Fatal("foreign errors are internal")
	}
}

type errPlain struct{}

func (errPlain) Error() string { return "plain" }

// Retry counts are retakes: N retakes allow N+1 videos / photos per side (docs/lite.md).
func TestRetakesAllowOneMore(t *testing.T) {
	s := &faceverify.Session{Options: faceverify.Options{LivenessRetries: 1, IDCardRetries: 1}}
	if s.AttemptsLeft() != 2 || s.IDCardAttemptsLeft("front") != 2 {
		t.Fatalf("fresh: %d videos, %d photos", s.AttemptsLeft(), s.IDCardAttemptsLeft("front"))
	}
	s.Attempts, s.IDCardAttempts = 2, map[string]int{"front": 2}
	if s.AttemptsLeft() != 0 || s.IDCardAttemptsLeft("front") != 0 || s.IDCardAttemptsLeft("back") != 2 {
		t.Fatal("after two")
	}
	if (&faceverify.Session{}).AttemptsLeft() != 1 {
		t.Fatal("no retakes still allows the first video (Cloudauth)")
	}
}
