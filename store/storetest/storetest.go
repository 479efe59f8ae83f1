// Package storetest is the contract suite every faceverify.Store must pass (store/sqlite,
// store/postgres): call Run from the implementation's test with a constructor that returns
// a fresh, empty store driven by the given clock.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/testclock"
)

// Factory returns a fresh empty store using clock.
type Factory func(t *testing.T, clock faceverify.Clock) faceverify.Store

// T0 is the start time of every contract test clock.
var T0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// Run runs the whole contract suite.
func Run(t *testing.T, newStore Factory) {
	tests := map[string]func(*testing.T, faceverify.Store, *testclock.Clock){
		"Tenants":             testTenants,
		"Charge":              testCharge,
		"SessionRoundTrip":    testSessionRoundTrip,
		"SessionConflict":     testSessionConflict,
		"ConcurrentWriters":   testConcurrentWriters,
		"ExpiryAndRetention":  testExpiryRetention,
		"DeleteCascade":       testDeleteCascade,
		"Registry":            testRegistry,
		"JobsLifecycle":       testJobs,
		"JobsLeaseExpiry":     testJobLease,
		"JobsTransactional":   testJobsTransactional,
		"JobsConcurrentClaim": testJobsConcurrentClaim,
		"Nonces":              testNonces,
		"JobCounts":           testJobCounts,
		"Console":             testConsole, // console.go
		"LivenessRule":        testLivenessRule,
		"StateHistory":        testStateHistory, // history.go
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			clock := testclock.New(T0)
			fn(t, newStore(t, clock), clock)
		})
	}
}

func code(err error) string { return faceverify.ErrorCode(err) }

func newTenant(id string) *faceverify.Tenant {
	return &faceverify.Tenant{ID: id, Name: "Tenant " + id, AppCode: "app-" + id, AccessKeyID: "ak-" + id,
		AccessKeySecret: "secret-" + id, SceneID: "100000" + id, NotifySecret: "ns-" + id, Quota: -1}
}

// NewSession returns a session for tenant with a fresh token, valid for an hour.
func NewSession(tenant string, now time.Time) *faceverify.Session {
	return &faceverify.Session{
		Token: faceverify.NewToken(now), TenantID: tenant, Dialect: faceverify.DialectLite,
		State: faceverify.StateCreated, CreatedAt: now, UpdatedAt: now,
		ExpiresAt: now.Add(time.Hour), RetainUntil: now.Add(30 * 24 * time.Hour),
		Options: faceverify.Options{ReturnURL: "https://example.test/r", ClaimedName: "张三",
			ClaimedNumber: "110101199003077777", LivenessRetries: 3, SecurityLevel: 2},
	}
}

// FindJob returns the first of the jobs s lists for kind ("" any kind, at most limit) that
// match is true of; the test fails with missing when there is none.
func FindJob(t testing.TB, s faceverify.Store, kind string, limit int, match func(faceverify.Job) bool, missing string) faceverify.Job {
	t.Helper()
	js, err := s.Jobs(context.Background(), kind, "", limit)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range js {
		if match(j) {
			return j
		}
	}
	t.Fatal(missing)
	return faceverify.Job{}
}

func testTenants(t *testing.T, s faceverify.Store, _ *testclock.Clock) {
	ctx := context.Background()
	a := newTenant("a")
	if err := s.CreateTenant(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, newTenant("a")); code(err) != faceverify.ECONFLICT {
		t.Fatalf("duplicate tenant: %v", err)
	}
	for _, get := range []func() (*faceverify.Tenant, error){
		func() (*faceverify.Tenant, error) { return s.Tenant(ctx, "a") },
		func() (*faceverify.Tenant, error) { return s.TenantByAppCode(ctx, "app-a") },
		func() (*faceverify.Tenant, error) { return s.TenantByAccessKey(ctx, "ak-a") },
	} {
		got, err := get()
		if err != nil || got.AccessKeySecret != "secret-a" || got.NotifySecret != "ns-a" {
			t.Fatalf("get tenant: %+v %v", got, err)
		}
	}
	if _, err := s.TenantByAppCode(ctx, "nope"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("unknown app code: %v", err)
	}
	a.Disabled = true
	a.Checks.LipSyncOff = true
	a.Quota, a.Concurrency = 1, 3 // the limits the console and `admin app update` set
	if err := s.UpdateTenant(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Tenant(ctx, "a")
	if !got.Disabled || !got.Checks.LipSyncOff || got.Quota != 1 || got.Concurrency != 3 {
		t.Fatalf("update lost: %+v", got)
	}
	// the new quota binds the charge at once: 1 allowed, then EQUOTA
	if err := s.ChargeTenant(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.ChargeTenant(ctx, "a"); code(err) != faceverify.EQUOTA {
		t.Fatalf("charge over the updated quota: %v", err)
	}
	// a tenant update keeps the count used (only the charge moves it)
	a.Quota = -1
	if err := s.UpdateTenant(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Tenant(ctx, "a"); got.Used != 1 || got.Quota != -1 {
		t.Fatalf("used after update: %+v", got)
	}
	s.CreateTenant(ctx, newTenant("b"))
	all, err := s.Tenants(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("tenants: %d %v", len(all), err)
	}
}

func testCharge(t *testing.T, s faceverify.Store, _ *testclock.Clock) {
	ctx := context.Background()
	a := newTenant("q")
	a.Quota = 2
	s.CreateTenant(ctx, a)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, over := 0, 0
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.ChargeTenant(ctx, "q")
			mu.Lock()
			defer mu.Unlock()
			switch code(err) {
			case "":
				ok++
			case faceverify.EQUOTA:
				over++
			default:
				t.Errorf("charge: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 2 || over != 4 {
		t.Fatalf("charged %d, refused %d; want 2, 4", ok, over)
	}
	got, _ := s.Tenant(ctx, "q")
	if got.Used != 2 || got.HasBalance() {
		t.Fatalf("used %d", got.Used)
	}
	if err := s.ChargeTenant(ctx, "missing"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("charge unknown: %v", err)
	}
}

func testSessionRoundTrip(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	ss := NewSession("a", c.Now())
	if err := s.CreateSession(ctx, ss); faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		t.Fatalf("session of an unknown tenant: %v", err)
	}
	q := newTenant("a")
	q.Quota = 2
	s.CreateTenant(ctx, q)
	ss.Options.RefEmbeddings = [][]float32{{0.1, 0.2}}
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	if ss.Version != 1 {
		t.Fatalf("version %d", ss.Version)
	}
	got, err := s.Session(ctx, ss.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.Options.ClaimedName != "张三" || got.State != faceverify.StateCreated || !got.ExpiresAt.Equal(ss.ExpiresAt) ||
		len(got.Options.RefEmbeddings) != 1 || got.Version != 1 {
		t.Fatalf("round trip: %+v", got)
	}
	got.State = faceverify.StateLiveness
	got.Challenge = "3718"
	if err := s.UpdateSession(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Session(ctx, ss.Token)
	if again.State != faceverify.StateLiveness || again.Challenge != "3718" || again.Version != 2 || got.Version != 2 {
		t.Fatalf("after update: %+v", again)
	}
	if _, err := s.Session(ctx, "nope"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("unknown token: %v", err)
	}
	if err := s.CreateSession(ctx, ss); code(err) != faceverify.ECONFLICT {
		t.Fatalf("duplicate token: %v", err)
	}
	missing := NewSession("a", c.Now())
	if err := s.UpdateSession(ctx, missing); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("update unknown: %v", err)
	}
	// CreateSession charged the tenant: quota 2 = this session + one more; the refused duplicate did not count
	s.CreateSession(ctx, NewSession("a", c.Now()))
	if err := s.CreateSession(ctx, NewSession("a", c.Now())); code(err) != faceverify.EQUOTA {
		t.Fatalf("over quota: %v", err)
	}
	tn, _ := s.Tenant(ctx, "a")
	if tn.Used != 2 {
		t.Fatalf("used %d, want 2", tn.Used)
	}
}

func testSessionConflict(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	ss := storedSession(t, s, c)
	x, _ := s.Session(ctx, ss.Token)
	y, _ := s.Session(ctx, ss.Token)
	x.Challenge = "1111"
	if err := s.UpdateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	y.Challenge = "2222"
	if err := s.UpdateSession(ctx, y, faceverify.Job{Kind: faceverify.JobDecide, Token: ss.Token}); code(err) != faceverify.ECONFLICT {
		t.Fatalf("stale update: %v", err)
	}
	jobs, _ := s.Jobs(ctx, faceverify.JobDecide, "", 10)
	if len(jobs) != 0 {
		t.Fatal("job of a lost update was enqueued")
	}
	got, _ := s.Session(ctx, ss.Token)
	if got.Challenge != "1111" {
		t.Fatalf("lost update: %s", got.Challenge)
	}
}

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

func testConcurrentWriters(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	ss := storedSession(t, s, c)
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	start := make(chan struct{})
	var read sync.WaitGroup
	read.Add(n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got, err := s.Session(ctx, ss.Token)
			read.Done()
			if err != nil {
				t.Error(err)
				return
			}
			<-start
			got.Attempts = i + 1
			err = s.UpdateSession(ctx, got, faceverify.Job{Kind: faceverify.JobDecide, Token: ss.Token, Key: fmt.Sprint(ss.Token, i)})
			mu.Lock()
			defer mu.Unlock()
			switch code(err) {
			case "":
				wins++
			case faceverify.ECONFLICT:
			default:
				t.Errorf("update: %v", err)
			}
		}(i)
	}
	read.Wait() // every writer holds version 1 before any writes
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins)
	}
	jobs, _ := s.Jobs(ctx, faceverify.JobDecide, "", 100)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs enqueued, want 1 (only the winner's)", len(jobs))
	}
}

func testExpiryRetention(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	mustTenant(t, s, "a")
	waiting := NewSession("a", c.Now())
	done := NewSession("a", c.Now())
	done.State = faceverify.StateDone
	done.RetainUntil = c.Now().Add(2 * time.Hour)
	s.CreateSession(ctx, waiting)
	s.CreateSession(ctx, done)
	exp, err := s.SessionsExpiringBefore(ctx, c.Now().Add(59*time.Minute), 10)
	if err != nil || len(exp) != 0 {
		t.Fatalf("expiring early: %v %v", exp, err)
	}
	exp, _ = s.SessionsExpiringBefore(ctx, c.Now().Add(time.Hour), 10)
	if len(exp) != 1 || exp[0] != waiting.Token {
		t.Fatalf("expiring: %v", exp)
	}
	old, _ := s.SessionsRetainedBefore(ctx, c.Now().Add(3*time.Hour), 10)
	if len(old) != 1 || old[0] != done.Token {
		t.Fatalf("retention: %v", old)
	}
	old, _ = s.SessionsRetainedBefore(ctx, c.Now().Add(31*24*time.Hour), 1)
	if len(old) != 1 {
		t.Fatalf("limit ignored: %v", old)
	}
}

func testDeleteCascade(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	ss := storedSession(t, s, c)
	ss.State = faceverify.StateDeciding
	if err := s.UpdateSession(ctx, ss, faceverify.Job{Kind: faceverify.JobDecide, Token: ss.Token}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, ss.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, ss.Token); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("deleted session readable: %v", err)
	}
	jobs, _ := s.Jobs(ctx, "", "", 10)
	if len(jobs) != 0 {
		t.Fatalf("jobs survived erasure: %d", len(jobs))
	}
	if err := s.DeleteSession(ctx, ss.Token); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
}

func testRegistry(t *testing.T, s faceverify.Store, _ *testclock.Clock) {
	ctx := context.Background()
	e := &faceverify.RegistryEntry{Number: "11010119900307001X", Name: "李四", PhotoKey: "registry/x.jpg", Embedding: []float32{1, 0}}
	if err := s.PutRegistryEntry(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.RegistryEntry(ctx, "11010119900307001X")
	if err != nil || got.Name != "李四" || len(got.Embedding) != 2 {
		t.Fatalf("registry: %+v %v", got, err)
	}
	e.Name = "李四四"
	if err := s.PutRegistryEntry(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, _ = s.RegistryEntry(ctx, "11010119900307001X")
	if got.Name != "李四四" {
		t.Fatal("re-enrolment did not replace")
	}
	if _, err := s.RegistryEntry(ctx, "110101199003070029"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("unknown number: %v", err)
	}
	if err := s.DeleteRegistryEntry(ctx, "11010119900307001X"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RegistryEntry(ctx, "11010119900307001X"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.DeleteRegistryEntry(ctx, "11010119900307001X"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
}

func testJobs(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	if err := s.EnqueueJobs(ctx,
		faceverify.Job{Kind: faceverify.JobNotify, Key: "n1", Token: "t1", Payload: []byte(`{"a":1}`), MaxAttempts: 2},
		faceverify.Job{Kind: faceverify.JobNotify, Key: "n1", Token: "t1"}, // duplicate live key: ignored
		faceverify.Job{Kind: faceverify.JobNotify, Key: "later", RunAt: c.Now().Add(time.Minute)},
	); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimJobs(ctx, []string{faceverify.JobNotify}, "w1", 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].Key != "n1" || string(got[0].Payload) != `{"a":1}` {
		t.Fatalf("claim: %+v %v", got, err)
	}
	if again, _ := s.ClaimJobs(ctx, []string{faceverify.JobNotify}, "w2", 10, time.Minute); len(again) != 0 {
		t.Fatalf("leased job claimed twice: %+v", again)
	}
	j := got[0]
	if err := s.FinishJob(ctx, j, faceverify.JobAttempt{At: c.Now(), Detail: "HTTP 500"}, errors.New("status 500"), c.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	c.Advance(10 * time.Second)
	got, _ = s.ClaimJobs(ctx, []string{faceverify.JobNotify}, "w1", 10, time.Minute)
	if len(got) != 1 || got[0].Attempt != 1 {
		t.Fatalf("retry claim: %+v", got)
	}
	if err := s.FinishJob(ctx, got[0], faceverify.JobAttempt{At: c.Now(), Detail: "HTTP 500"}, errors.New("status 500"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	failed, _ := s.Jobs(ctx, faceverify.JobNotify, faceverify.JobFailed, 10)
	if len(failed) != 1 || failed[0].Attempt != 2 || failed[0].LastError != "status 500" {
		t.Fatalf("failed jobs: %+v", failed)
	}
	atts, _ := s.JobAttempts(ctx, failed[0].ID)
	if len(atts) != 2 || atts[1].Detail != "HTTP 500" {
		t.Fatalf("attempts: %+v", atts)
	}
	if err := s.RetryJob(ctx, failed[0].ID); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ClaimJobs(ctx, []string{faceverify.JobNotify}, "w1", 10, time.Minute)
	if len(got) != 1 {
		t.Fatalf("manual retry not claimable: %+v", got)
	}
	if err := s.FinishJob(ctx, got[0], faceverify.JobAttempt{At: c.Now(), Detail: "HTTP 200"}, nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	done, _ := s.Jobs(ctx, faceverify.JobNotify, faceverify.JobDone, 10)
	if len(done) != 1 {
		t.Fatalf("done: %+v", done)
	}
	if err := s.RetryJob(ctx, 999999); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("retry unknown: %v", err)
	}
	c.Advance(time.Minute)
	got, _ = s.ClaimJobs(ctx, []string{faceverify.JobNotify}, "w1", 10, time.Minute)
	if len(got) != 1 || got[0].Key != "later" {
		t.Fatalf("scheduled job: %+v", got)
	}
	// a done job's key may be used again
	if err := s.EnqueueJobs(ctx, faceverify.Job{Kind: faceverify.JobNotify, Key: "n1"}); err != nil {
		t.Fatal(err)
	}
	if q, _ := s.Jobs(ctx, faceverify.JobNotify, faceverify.JobQueued, 10); len(q) != 1 {
		t.Fatalf("re-enqueue after done: %+v", q)
	}
}

func testJobLease(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	s.EnqueueJobs(ctx, faceverify.Job{Kind: faceverify.JobDecide, Key: "d1", Token: "t"})
	got, _ := s.ClaimJobs(ctx, []string{faceverify.JobDecide}, "dead-worker", 1, 30*time.Second)
	if len(got) != 1 {
		t.Fatal("no claim")
	}
	c.Advance(29 * time.Second)
	if again, _ := s.ClaimJobs(ctx, []string{faceverify.JobDecide}, "w2", 1, 30*time.Second); len(again) != 0 {
		t.Fatal("claimed before lease expiry")
	}
	c.Advance(2 * time.Second)
	again, _ := s.ClaimJobs(ctx, []string{faceverify.JobDecide}, "w2", 1, 30*time.Second)
	if len(again) != 1 || again[0].ID != got[0].ID {
		t.Fatalf("job of a dead worker not reclaimed: %+v", again)
	}
	if again[0].Attempt != got[0].Attempt+1 {
		t.Fatalf("the attempt lost with the dead worker was not counted: %d then %d", got[0].Attempt, again[0].Attempt)
	}
	if other, _ := s.ClaimJobs(ctx, []string{faceverify.JobNotify}, "w3", 1, time.Second); len(other) != 0 {
		t.Fatal("claimed a job of another kind")
	}
}

func testJobsTransactional(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	ss := storedSession(t, s, c)
	ss.State = faceverify.StateDone
	if err := s.UpdateSession(ctx, ss, faceverify.Job{Kind: faceverify.JobNotify, Token: ss.Token, Key: "notify:" + ss.Token}); err != nil {
		t.Fatal(err)
	}
	jobs, _ := s.Jobs(ctx, faceverify.JobNotify, faceverify.JobQueued, 10)
	if len(jobs) != 1 || jobs[0].Token != ss.Token {
		t.Fatalf("job not enqueued with state change: %+v", jobs)
	}
}

func testJobsConcurrentClaim(t *testing.T, s faceverify.Store, _ *testclock.Clock) {
	ctx := context.Background()
	const n = 40
	for i := 0; i < n; i++ {
		s.EnqueueJobs(ctx, faceverify.Job{Kind: faceverify.JobDecide, Key: fmt.Sprint("k", i)})
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				jobs, err := s.ClaimJobs(ctx, []string{faceverify.JobDecide}, fmt.Sprint("w", w), 3, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					if prev, dup := seen[j.ID]; dup {
						t.Errorf("job %d claimed by %s and w%d", j.ID, prev, w)
					}
					seen[j.ID] = fmt.Sprint("w", w)
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("claimed %d of %d jobs", len(seen), n)
	}
}

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

func testNonces(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	ctx := context.Background()
	fresh, err := s.UseNonce(ctx, "ak:n1", c.Now().Add(15*time.Minute))
	if err != nil || !fresh {
		t.Fatalf("first use: %v %v", fresh, err)
	}
	if fresh, _ := s.UseNonce(ctx, "ak:n1", c.Now().Add(15*time.Minute)); fresh {
		t.Fatal("replayed nonce accepted")
	}
	c.Advance(16 * time.Minute)
	if fresh, _ := s.UseNonce(ctx, "ak:n1", c.Now().Add(15*time.Minute)); !fresh {
		t.Fatal("expired nonce still blocks")
	}
}

// storedSession creates tenant "a" and one stored session of it.
func storedSession(t *testing.T, s faceverify.Store, c *testclock.Clock) *faceverify.Session {
	t.Helper()
	mustTenant(t, s, "a")
	ss := NewSession("a", c.Now())
	if err := s.CreateSession(context.Background(), ss); err != nil {
		t.Fatal(err)
	}
	return ss
}

func mustTenant(t *testing.T, s faceverify.Store, id string) {
	t.Helper()
	if err := s.CreateTenant(context.Background(), newTenant(id)); err != nil {
		t.Fatal(err)
	}
}
