package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/testclock"
)

// testStateHistory: every transition made through the state machine (Begin, Move, Finish)
// is appended to the session's history in the transaction that stores the session — a
// lost update appends nothing — read back in order with its cause, and erased with the
// session.
func testStateHistory(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	mustTenant(t, s, "a")
	ss := NewSession("a", c.Now())
	ss.State = ""
	t0 := c.Now()
	if err := ss.Begin(t0, faceverify.Cause{Event: faceverify.CauseCreated, Actor: faceverify.ActorAPI, Detail: "lite"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	if len(ss.PendingChanges()) != 0 {
		t.Fatal("pending changes kept after the insert")
	}
	step := func(to faceverify.State, cause faceverify.Cause) {
		t.Helper()
		c.Advance(time.Second)
		if err := ss.Move(to, c.Now(), cause); err != nil {
			t.Fatal(err)
		}
	}
	step(faceverify.StateLiveness, faceverify.Cause{Event: faceverify.CausePageOpened, Actor: faceverify.ActorPage})
	step(faceverify.StateDeciding, faceverify.Cause{Event: faceverify.CauseVideoUploaded, Actor: faceverify.ActorPage, Detail: "video 1"})
	// two changes in one update are both kept, in order
	if err := s.UpdateSession(ctx, ss, faceverify.Job{Kind: faceverify.JobDecide, Token: ss.Token}); err != nil {
		t.Fatal(err)
	}

	// a stale copy's change loses (ECONFLICT) and leaves no event
	stale, _ := s.Session(ctx, ss.Token)
	fresh, _ := s.Session(ctx, ss.Token)
	c.Advance(time.Second)
	if err := fresh.Move(faceverify.StateLiveness, c.Now(), faceverify.Cause{Event: faceverify.CauseAttemptFailed,
		Actor: faceverify.ActorJob, Result: faceverify.ResultSRError, Detail: "digits: 2 of 4 heard"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateSession(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	stale.Finish(faceverify.Verdict{Result: faceverify.ResultSuccess}, c.Now(), faceverify.Cause{Event: faceverify.CauseVerdict, Actor: faceverify.ActorJob})
	if err := s.UpdateSession(ctx, stale); code(err) != faceverify.ECONFLICT {
		t.Fatalf("stale update: %v", err)
	}
	// an update without a transition appends nothing
	fresh.Challenge = "4821"
	if err := s.UpdateSession(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	if err := fresh.Finish(faceverify.Verdict{Result: faceverify.ResultFaceAttack, Liveness: &faceverify.Liveness{Rule: "attack: 0.91 > 0.5"}},
		c.Now(), faceverify.Cause{Event: faceverify.CauseAttemptFailed, Actor: faceverify.ActorJob}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateSession(ctx, fresh); err != nil {
		t.Fatal(err)
	}

	got, err := s.StateChanges(ctx, ss.Token)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		from, to    faceverify.State
		event, who  string
		code        int
		msg, detail string
		at          time.Time
	}
	want := []row{
		{"", faceverify.StateCreated, faceverify.CauseCreated, faceverify.ActorAPI, 0, "", "lite", t0},
		{faceverify.StateCreated, faceverify.StateLiveness, faceverify.CausePageOpened, faceverify.ActorPage, 0, "", "", t0.Add(time.Second)},
		{faceverify.StateLiveness, faceverify.StateDeciding, faceverify.CauseVideoUploaded, faceverify.ActorPage, 0, "", "video 1", t0.Add(2 * time.Second)},
		{faceverify.StateDeciding, faceverify.StateLiveness, faceverify.CauseAttemptFailed, faceverify.ActorJob, 4200, "SR_ERROR", "digits: 2 of 4 heard", t0.Add(3 * time.Second)},
		{faceverify.StateLiveness, faceverify.StateDone, faceverify.CauseAttemptFailed, faceverify.ActorJob, 4100, "FAIL_LIVING_FACE_ATTACK", "attack: 0.91 > 0.5", t0.Add(4 * time.Second)},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.From != w.from || g.To != w.to || g.Event != w.event || g.Actor != w.who || g.Result.Code != w.code ||
			g.Result.Message != w.msg || g.Detail != w.detail || !g.At.Equal(w.at) {
			t.Fatalf("event %d: %+v, want %+v", i, g, w)
		}
	}
	if other, err := s.StateChanges(ctx, "nope"); err != nil || len(other) != 0 {
		t.Fatalf("unknown token: %v %v", other, err)
	}

	// erasure takes the history with it
	if err := s.DeleteSession(ctx, ss.Token); err != nil {
		t.Fatal(err)
	}
	if left, err := s.StateChanges(ctx, ss.Token); err != nil || len(left) != 0 {
		t.Fatalf("history survived erasure: %+v %v", left, err)
	}
}
