package scaletest_test

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/app"
	"github.com/faceverify/faceverify/internal/scaletest"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/jackc/pgx/v5"
)

// TestScaleProof is the multi-process proof (`make scale-proof`, several minutes; set
// FACEVERIFY_SCALE_PROOF=1 to run it with go test): 2 API nodes (`serve --workers 0`) and
// separate `faceverify worker` processes on one PostgreSQL and one S3 server over loopback.
//
//  1. throughput: a batch uploaded while no worker runs, then decided by 1 worker process;
//     another batch by 2 worker processes (verdicts/s from the decide jobs' finish times);
//  2. faults: 200 sessions (FACEVERIFY_SCALE_SESSIONS) created and uploaded concurrently
//     through both API nodes while kill -9 hits one worker (mid-job) and one API node.
//
// Then: every session has exactly one verdict (one done decide job, every callback carries
// the same verdict, get_result agrees), every callback was delivered, every blob is in S3
// and opens, no job is queued, running or failed.
func TestScaleProof(t *testing.T) {
	if os.Getenv("FACEVERIFY_SCALE_PROOF") == "" {
		t.Skip("multi-process proof: run `make scale-proof` (or FACEVERIFY_SCALE_PROOF=1)")
	}
	total := 200
	if v, err := strconv.Atoi(os.Getenv("FACEVERIFY_SCALE_SESSIONS")); err == nil && v > 0 {
		total = v
	}
	batch := 20
	b := startBackends(t)
	video, digits, photo := genuineClip(t)
	logDir := t.TempDir()
	report := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		t.Log(line)
		fmt.Println("[scale-proof] " + line)
	}
	report("machine: %d CPUs (GOMAXPROCS %d), %s/%s; video %d bytes", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, len(video))

	// The test's own admin handle on the shared back ends: tenant, registry, checks.
	cfg, err := config.Parse(flag.NewFlagSet("admin", flag.ContinueOnError), b.flags(t), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	adm, err := app.Build(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), app.Options{Engine: true})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	tenant := admin.NewTenant("scale proof", -1)
	tenant.Checks.LipSyncOff = true // genuine corpus clips are dubbed with digits (docs/liveness.md)
	if err := adm.Store.CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	const number = "11010519491231002X"
	if err := adm.Service.Enrol(ctx, "张三", number, photo); err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(ctx, b.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())

	var nodes []*scaletest.Proc
	for i := 0; i < 2; i++ {
		addr := testenv.FreeAddr(t)
		p := scaletest.StartProc(t, logDir, fmt.Sprintf("api%d", i+1), append([]string{"serve", "--addr", addr, "--workers", "0",
			"--upload-rate", "-1"}, b.flags(t)...)...) // every simulated user comes from 127.0.0.1: per-IP upload limit off
		p.Addr = addr
		nodes = append(nodes, p)
	}
	for _, n := range nodes {
		n.WaitReady(t)
	}
	nworkers := 0
	startWorker := func() *scaletest.Proc {
		nworkers++
		return scaletest.StartProc(t, logDir, fmt.Sprintf("worker%d", nworkers), append([]string{"worker", "--workers", "1"}, b.flags(t)...)...)
	}
	rcv := scaletest.NewReceiver(t)
	c := &scaletest.Client{AppCode: tenant.AppCode, HTTP: &http.Client{Timeout: 2 * time.Minute}}
	var dead sync.Map // addr -> true once killed
	alive := func(i int) string {
		for k := 0; k < len(nodes); k++ {
			n := nodes[(i+k)%len(nodes)]
			if _, d := dead.Load(n.Addr); !d {
				return n.Addr
			}
		}
		t.Fatal("no API node left")
		return ""
	}
	var uploaded, failovers atomic.Int64

	// one user: create (tenant backend), open the page, say the digits, upload; a request
	// that fails because its node died is retried on the other node, as a load balancer would.
	session := func(i int) (string, error) {
		var tok string
		var err error
		for try := 0; try < 4; try++ {
			if tok, err = c.Create(alive(i+try), rcv.URL, "张三", number); err == nil {
				break
			}
			failovers.Add(1)
		}
		if err != nil {
			return "", err
		}
		for try := 0; try < 4; try++ {
			if _, err = c.Page(alive(i+try), tok); err == nil {
				break
			}
			failovers.Add(1)
		}
		if err != nil {
			return tok, err
		}
		for try := 0; ; try++ {
			ss, err := adm.Store.Session(ctx, tok)
			if err != nil {
				return tok, err
			}
			ss.Challenge = digits // the test plays the user: the clip says these digits
			if err = adm.Store.UpdateSession(ctx, ss); err == nil {
				break
			}
			if faceverify.ErrorCode(err) != faceverify.ECONFLICT || try > 5 {
				return tok, err
			}
		}
		var last string
		for try := 0; try < 4; try++ {
			st, out, err := c.Upload(ctx, alive(i+try), tok, video)
			last = fmt.Sprint(st, out, err)
			if err == nil && st == 202 {
				uploaded.Add(1)
				return tok, nil
			}
			failovers.Add(1)
			// The node may have died after committing the upload: the session then waits
			// for its verdict and the retry is refused as a state error.
			if v, perr := c.Page(alive(i+try+1), tok); perr == nil && v["step"] != "video" {
				uploaded.Add(1)
				return tok, nil
			}
		}
		return tok, fmt.Errorf("upload failed on every node: %s", last)
	}
	runSessions := func(n int, during func(done int)) []string {
		toks := make([]string, n)
		var wg sync.WaitGroup
		var done atomic.Int64
		sem := make(chan struct{}, 16)
		for i := 0; i < n; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				tok, err := session(i)
				if err != nil {
					t.Errorf("session %d: %v", i, err)
				}
				toks[i] = tok
				if during != nil {
					during(int(done.Add(1)))
				}
			}(i)
		}
		wg.Wait()
		return toks
	}
	decided := func(toks []string) (int, []time.Time) {
		var n int
		var at []time.Time
		set := map[string]bool{}
		for _, tok := range toks {
			set[tok] = true
		}
		jobs, err := adm.Store.Jobs(ctx, faceverify.JobDecide, faceverify.JobDone, 100000)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if set[j.Token] {
				n++
				at = append(at, j.UpdatedAt)
			}
		}
		sort.Slice(at, func(a, b int) bool { return at[a].Before(at[b]) })
		return n, at
	}
	waitDecided := func(toks []string, limit time.Duration) []time.Time {
		deadline := time.Now().Add(limit)
		for {
			n, at := decided(toks)
			if n >= len(toks) {
				return at
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d decided after %s", n, len(toks), limit)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	rate := func(at []time.Time) float64 {
		if len(at) < 2 {
			return 0
		}
		return float64(len(at)-1) / at[len(at)-1].Sub(at[0]).Seconds()
	}

	// ---- 1. throughput with 1 and 2 worker processes ------------------------------------
	toks1 := runSessions(batch, nil)
	w1 := startWorker()
	r1 := rate(waitDecided(toks1, 10*time.Minute))
	report("1 worker process  (--workers 1): %d verdicts, %.2f verdicts/s (%.0f ms a verdict)", batch, r1, 1000/r1)
	toks2 := runSessions(batch, nil)
	w2 := startWorker()
	r2 := rate(waitDecided(toks2, 10*time.Minute))
	report("2 worker processes (--workers 1 each): %d verdicts, %.2f verdicts/s (%.2fx)", batch, r2, r2/r1)

	// ---- 2. faults: 200 sessions, kill -9 a worker mid-job and an API node mid-upload --
	var killedWorker, killedNode sync.Once
	var inFlight []int64
	start := time.Now()
	var killAt, nodeKillAt time.Duration
	toks := runSessions(total, func(done int) {
		if done == total/4 {
			killedWorker.Do(func() {
				// kill it while it holds a job (SIGKILL: no FinishJob, the lease stays)
				pattern := fmt.Sprintf("%%-%d-%%", w1.Pid())
				for wait := time.Now().Add(time.Minute); time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
					rows, _ := db.Query(ctx, `SELECT id FROM jobs WHERE state = 'running' AND worker LIKE $1`, pattern)
					if inFlight, _ = pgx.CollectRows(rows, pgx.RowTo[int64]); len(inFlight) > 0 {
						break
					}
				}
				w1.Kill9()
				killAt = time.Since(start)
				// what the dead worker still holds: running, leased to it, never finished
				rows, _ := db.Query(ctx, `SELECT id FROM jobs WHERE state = 'running' AND worker LIKE $1`, pattern)
				inFlight, _ = pgx.CollectRows(rows, pgx.RowTo[int64])
			})
		}
		if done == total/2 {
			killedNode.Do(func() {
				dead.Store(nodes[1].Addr, true)
				nodes[1].Kill9()
				nodeKillAt = time.Since(start)
			})
		}
	})
	uploadedIn := time.Since(start)
	report("faults: %d sessions uploaded in %.1fs through 2 API nodes (%d requests failed over); kill -9 worker1 at %.1fs holding jobs %v, kill -9 api2 at %.1fs",
		total, uploadedIn.Seconds(), failovers.Load(), killAt.Seconds(), inFlight, nodeKillAt.Seconds())
	at := waitDecided(toks, 15*time.Minute)
	report("faults: all %d decided %.1fs after the first upload (1 worker left; a dead worker's lease is 2 min), %.2f verdicts/s overall",
		total, time.Since(start).Seconds(), rate(at))

	// ---- checks ---------------------------------------------------------------------------
	all := append(append(append([]string{}, toks1...), toks2...), toks...)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		got, _ := rcv.Deliveries()
		missing := 0
		for _, tok := range all {
			if len(got[tok]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d callbacks never delivered", missing, len(all))
		}
		time.Sleep(250 * time.Millisecond)
	}
	got, deliveries := rcv.Deliveries()
	decideJobs, _ := adm.Store.Jobs(ctx, faceverify.JobDecide, "", 100000)
	perToken := map[string]int{}
	for _, j := range decideJobs {
		if j.State != faceverify.JobDone {
			t.Errorf("decide job %d %s: %s", j.ID, j.State, j.LastError)
		}
		perToken[j.Token]++
	}
	for _, state := range []string{faceverify.JobQueued, faceverify.JobRunning, faceverify.JobFailed} {
		if left, _ := adm.Store.Jobs(ctx, "", state, 10); len(left) > 0 {
			t.Errorf("%d+ jobs %s at the end: %+v", len(left), state, left[0])
		}
	}
	survivor := alive(0)
	var blobs, dup int
	verdicts := map[string]int{}
	for _, tok := range all {
		if perToken[tok] != 1 {
			t.Errorf("%s: %d decide jobs", tok, perToken[tok])
		}
		for _, m := range got[tok][1:] {
			if m != got[tok][0] {
				t.Errorf("%s: callbacks disagree: %v", tok, got[tok])
			}
		}
		dup += len(got[tok]) - 1
		ss, err := adm.Store.Session(ctx, tok)
		if err != nil || ss.State != faceverify.StateDone || ss.Verdict == nil {
			t.Errorf("%s: session %v %v", tok, ss.State, err)
			continue
		}
		r, err := c.Result(survivor, tok)
		if err != nil || r.ResultMessage != got[tok][0] {
			t.Errorf("%s: get_result %+v %v vs callback %v", tok, r, err, got[tok])
		}
		verdicts[r.ResultMessage]++
		if img, err := base64.StdEncoding.DecodeString(r.Images["image_best"]); err != nil || len(img) < 1000 {
			t.Errorf("%s: image_best missing", tok)
		}
		// every blob the session refers to (its pictures) is in S3 and opens with the key
		// ring; the video itself is deleted by design once decided (verify.Decide)
		var keys []string
		for _, k := range ss.Images {
			keys = append(keys, k)
		}
		if len(ss.Images) == 0 {
			t.Errorf("%s: no pictures recorded", tok)
		}
		for _, k := range keys {
			if _, err := adm.Blobs.Get(ctx, k); err != nil {
				t.Errorf("%s: blob %q: %v", tok, k, err)
				continue
			}
			blobs++
		}
	}
	var reclaimed []string
	for _, id := range inFlight {
		var state string
		if err := db.QueryRow(ctx, `SELECT state FROM jobs WHERE id = $1`, id).Scan(&state); err != nil || state != faceverify.JobDone {
			t.Errorf("job %d of the killed worker: %s %v", id, state, err)
		}
		atts, _ := adm.Store.JobAttempts(ctx, id)
		reclaimed = append(reclaimed, fmt.Sprintf("job %d %s after %d recorded attempt(s)", id, state, len(atts)))
	}
	if len(inFlight) == 0 {
		t.Error("the killed worker held no job: the reclaim path was not exercised")
	}
	report("checks: %d sessions, verdicts %v, %d decide jobs all done, %d callbacks delivered to %d sessions (%d duplicate deliveries, at-least-once), %d blobs present and opening, reclaimed after kill -9: %v",
		len(all), verdicts, len(decideJobs), deliveries, len(got), dup, blobs, reclaimed)
	if t.Failed() {
		for _, p := range append(nodes, w1, w2) {
			t.Logf("%s log tail:\n%s", p.Name, p.Tail())
		}
	}
}
