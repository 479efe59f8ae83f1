package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/testclock"
)

// testJobCounts: the queue figures of the metrics (depth by kind and state, oldest job).
func testJobCounts(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	jc, ok := s.(faceverify.JobCounter)
	if !ok {
		t.Skip("store does not count jobs")
	}
	ctx := context.Background()
	t0 := c.Now()
	if err := s.EnqueueJobs(ctx,
		faceverify.Job{Kind: faceverify.JobNotify, Key: "a", MaxAttempts: 3},
		faceverify.Job{Kind: faceverify.JobNotify, Key: "b", MaxAttempts: 3, RunAt: t0.Add(time.Minute)},
		faceverify.Job{Kind: faceverify.JobDecide, Key: "c", MaxAttempts: 3},
	); err != nil {
		t.Fatal(err)
	}
	c.Advance(5 * time.Second)
	if _, err := s.ClaimJobs(ctx, []string{faceverify.JobDecide}, "w1", 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, err := jc.JobCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]string]int{{"notify", "queued"}: 2, {"decide", "running"}: 1}
	if len(got) != len(want) {
		t.Fatalf("counts %+v, want %v", got, want)
	}
	for _, g := range got {
		if want[[2]string{g.Kind, g.State}] != g.Count {
			t.Fatalf("counts %+v, want %v", got, want)
		}
		switch g.State {
		case "queued": // oldest due: job a, due at t0
			if !g.Oldest.Equal(t0.Truncate(time.Millisecond)) {
				t.Errorf("oldest queued %v, want %v", g.Oldest, t0)
			}
		case "running": // claimed 5 s later
			if !g.Oldest.Equal(t0.Add(5 * time.Second).Truncate(time.Millisecond)) {
				t.Errorf("oldest running %v, want %v", g.Oldest, t0.Add(5*time.Second))
			}
		}
	}
}
