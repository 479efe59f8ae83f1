package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/testclock"
	"github.com/faceverify/faceverify/jobs"
	"github.com/faceverify/faceverify/notify"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlite"
	"github.com/faceverify/faceverify/store/storetest"
)

func setup(t *testing.T) (*sqlite.Store, *testclock.Clock, *jobs.Runner) {
	t.Helper()
	box, err := seal.New(seal.NewKey(1))
	if err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "jobs.db"), box, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := jobs.New(st, clock, slog.New(slog.NewTextHandler(io.Discard, nil)), 2)
	return st, clock, r
}

func job(st *sqlite.Store, t *testing.T, key string, max int) faceverify.Job {
	t.Helper()
	if err := st.EnqueueJobs(context.Background(), faceverify.Job{Kind: "k", Key: key, Token: key, MaxAttempts: max}); err != nil {
		t.Fatal(err)
	}
	return storetest.FindJob(t, st, "k", 1000, func(j faceverify.Job) bool { return j.Key == key }, "job not enqueued")
}

func get(t *testing.T, st *sqlite.Store, id int64) faceverify.Job {
	t.Helper()
	return storetest.FindJob(t, st, "", 1000, func(j faceverify.Job) bool { return j.ID == id }, fmt.Sprintf("job %d gone", id))
}

func TestBackoffExponentialWithJitter(t *testing.T) {
	t.Parallel()
	p := jobs.Policy{Base: 5 * time.Second, Max: time.Hour}
	for k := 1; k <= 16; k++ {
		hi := min(p.Base<<(k-1), p.Max)
		seen := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			d := p.Backoff(k)
			if d < hi/2 || d > hi {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", k, d, hi/2, hi)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Fatalf("Backoff(%d): only %d distinct delays in 200 draws (no jitter?)", k, len(seen))
		}
	}
	// 24 h of retries at the notify policy is a bounded number of attempts
	var total time.Duration
	n := 0
	for total < 24*time.Hour {
		n++
		total += min(p.Base<<(min(n, 20)-1), p.Max)
	}
	if n < 25 || n > 40 {
		t.Fatalf("%d attempts in 24 h at most", n)
	}
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	st, clock, r := setup(t)
	var calls atomic.Int32
	r.Handle("k", jobs.Policy{Base: time.Second, Max: time.Minute}, func(ctx context.Context, j faceverify.Job) (string, error) {
		if calls.Add(1) < 3 {
			return "HTTP 503", errors.New("unavailable")
		}
		return "HTTP 200", nil
	})
	j := job(st, t, "a", 10)
	ctx := context.Background()
	if n := r.RunOnce(ctx); n != 1 {
		t.Fatalf("ran %d", n)
	}
	if r.RunOnce(ctx) != 0 {
		t.Fatal("a retry ran before its backoff")
	}
	for i := 0; i < 2; i++ {
		clock.Set(get(t, st, j.ID).RunAt)
		if n := r.RunOnce(ctx); n != 1 {
			t.Fatalf("retry %d: ran %d", i, n)
		}
	}
	j = get(t, st, j.ID)
	atts, _ := st.JobAttempts(ctx, j.ID)
	if j.State != faceverify.JobDone || j.Attempt != 3 || len(atts) != 3 ||
		atts[0].Detail != "HTTP 503" || atts[0].Error != "unavailable" || atts[2].Detail != "HTTP 200" || atts[2].Error != "" {
		t.Fatalf("job %+v attempts %+v", j, atts)
	}
}

func TestGiveUp(t *testing.T) {
	t.Parallel()
	st, clock, r := setup(t)
	ctx := context.Background()
	var gaveUp []string
	var mu sync.Mutex
	r.Handle("k", jobs.Policy{Base: time.Second, Max: time.Second, GiveUp: time.Minute,
		OnGiveUp: func(ctx context.Context, j faceverify.Job, err error) {
			mu.Lock()
			gaveUp = append(gaveUp, j.Key+":"+err.Error())
			mu.Unlock()
		}}, func(ctx context.Context, j faceverify.Job) (string, error) {
		switch j.Key {
		case "permanent":
			return "refused", fmt.Errorf("x: %w", notify.ErrPermanent)
		case "panics":
			panic("boom")
		}
		return "", errors.New("fails")
	})
	maxed := job(st, t, "max", 3)
	aged := job(st, t, "aged", 1000)
	perm := job(st, t, "permanent", 1000)
	pan := job(st, t, "panics", 2)
	for i := 0; i < 100; i++ {
		r.RunOnce(ctx)
		clock.Advance(1100 * time.Millisecond)
	}
	if j := get(t, st, maxed.ID); j.State != faceverify.JobFailed || j.Attempt != 3 {
		t.Fatalf("max attempts: %+v", j)
	}
	if j := get(t, st, aged.ID); j.State != faceverify.JobFailed || j.Attempt < 30 || j.Attempt > 62 {
		t.Fatalf("give-up age: %+v", j) // retried about every 1–2 s for one minute
	}
	if j := get(t, st, perm.ID); j.State != faceverify.JobFailed || j.Attempt != 1 {
		t.Fatalf("permanent error retried: %+v", j)
	}
	if j := get(t, st, pan.ID); j.State != faceverify.JobFailed || !strings.Contains(j.LastError, "panic: boom") {
		t.Fatalf("panic: %+v", j)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(gaveUp) != 4 {
		t.Fatalf("OnGiveUp calls: %v", gaveUp)
	}
}

// counting handles kind "k" with p by a handler that succeeds and counts its runs.
func counting(r *jobs.Runner, p jobs.Policy) *atomic.Int32 {
	var ran atomic.Int32
	r.Handle("k", p, func(ctx context.Context, j faceverify.Job) (string, error) {
		ran.Add(1)
		return "ok", nil
	})
	return &ran
}

// A worker that dies holding a lease: the job runs again once the lease expires.
func TestLeaseReclaim(t *testing.T) {
	t.Parallel()
	st, clock, r := setup(t)
	ctx := context.Background()
	ran := counting(r, jobs.Policy{})
	j := job(st, t, "a", 5)
	claimed, err := st.ClaimJobs(ctx, []string{"k"}, "dead-worker", 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	// the dead worker never finishes; the lease still holds
	if r.RunOnce(ctx) != 0 || ran.Load() != 0 {
		t.Fatal("a leased job was run by another worker")
	}
	clock.Advance(time.Minute)
	if r.RunOnce(ctx) != 1 || ran.Load() != 1 {
		t.Fatal("the job of a dead worker was not reclaimed")
	}
	if j = get(t, st, j.ID); j.State != faceverify.JobDone {
		t.Fatalf("%+v", j)
	}
}

// A job that kills every worker that runs it (a crafted upload crashing the decoder):
// each lease that runs out counts as an attempt, and once they are used up the job is given
// up — OnGiveUp tells its session — instead of being run, and crashing a worker, forever.
func TestLostAttemptsGiveUp(t *testing.T) {
	t.Parallel()
	st, clock, r := setup(t)
	ctx := context.Background()
	var gaveUp error
	ran := counting(r, jobs.Policy{OnGiveUp: func(_ context.Context, _ faceverify.Job, err error) { gaveUp = err }})
	j := job(st, t, "poison", 3)
	for i := 0; i < 3; i++ { // three workers die holding it
		if c, err := st.ClaimJobs(ctx, []string{"k"}, fmt.Sprintf("dead-%d", i), 1, time.Minute); err != nil || len(c) != 1 || c[0].Attempt != i {
			t.Fatalf("claim %d: %+v %v", i, c, err)
		}
		clock.Advance(time.Minute)
	}
	if r.RunOnce(ctx) != 1 || ran.Load() != 0 {
		t.Fatalf("ran %d times: a job whose attempts were all lost was run again", ran.Load())
	}
	if j = get(t, st, j.ID); j.State != faceverify.JobFailed || j.Attempt != 3 || !strings.Contains(j.LastError, "lost") {
		t.Fatalf("%+v", j)
	}
	if gaveUp == nil {
		t.Fatal("OnGiveUp not called")
	}
	if r.RunOnce(ctx) != 0 {
		t.Fatal("a failed job was claimed")
	}
}

// Many jobs, several workers: each runs exactly once.
func TestRunConcurrentExactlyOnce(t *testing.T) {
	t.Parallel()
	st, _, r := setup(t)
	r.Workers = 4
	r.Poll = 10 * time.Millisecond
	var mu sync.Mutex
	runs := map[string]int{}
	done := make(chan struct{})
	const n = 40
	r.Handle("k", jobs.Policy{}, func(ctx context.Context, j faceverify.Job) (string, error) {
		mu.Lock()
		runs[j.Key]++
		if len(runs) == n {
			select {
			case <-done:
			default:
				close(done)
			}
		}
		mu.Unlock()
		return "ok", nil
	})
	for i := 0; i < n; i++ {
		job(st, t, fmt.Sprint("j", i), 3)
	}
	// the same idempotency key while the first is live is not a second job
	job(st, t, "j0", 3)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Run(ctx); close(stopped) }()
	defer func() { <-stopped }()
	defer cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("jobs did not run")
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	mu.Lock()
	defer mu.Unlock()
	for k, c := range runs {
		if c != 1 {
			t.Fatalf("job %s ran %d times", k, c)
		}
	}
}
