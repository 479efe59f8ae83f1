package notify_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testclock"
	"github.com/faceverify/faceverify/notify"
	"github.com/faceverify/faceverify/store/storetest"
)

// receiver is a tenant's callback endpoint on loopback that verifies what it gets.
type receiver struct {
	t      *testing.T
	secret string
	clock  faceverify.Clock
	mu     sync.Mutex
	mode   string // "ok" | "500" | "slow"
	got    []delivery
	keys   map[string]int // idempotency key → deliveries
	srv    *http.Server
	ln     net.Listener
	addr   string
}

type delivery struct {
	Data lite.NotifyData
	Key  string
}

func newReceiver(t *testing.T, secret string, clock faceverify.Clock) *receiver {
	// reserve a loopback port, then leave it closed: the receiver starts "down"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, secret: secret, clock: clock, mode: "ok", keys: map[string]int{}, addr: ln.Addr().String()}
	ln.Close()
	t.Cleanup(r.down)
	return r
}

func (r *receiver) URL() string { return "http://" + r.addr + "/faceverify/notify" }

func (r *receiver) up() {
	var err error
	for i := 0; i < 50; i++ { // the port was ours a moment ago
		if r.ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv = &http.Server{Handler: r}
	go r.srv.Serve(r.ln)
}

func (r *receiver) down() {
	if r.srv != nil {
		r.srv.Close()
		r.srv = nil
	}
}

func (r *receiver) setMode(m string) { r.mu.Lock(); r.mode = m; r.mu.Unlock() }

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	mode := r.mode
	r.mu.Unlock()
	switch mode {
	case "500":
		http.Error(w, "boom", 500)
		return
	case "slow":
		select {
		case <-time.After(2 * time.Second):
		case <-req.Context().Done():
		}
		return
	}
	// what a tenant does: check both signatures, then de-duplicate by idempotency key
	if !notify.VerifySignature(r.secret, req.Header.Get("X-Faceverify-Signature"), string(body), r.clock.Now(), 5*time.Minute) {
		r.t.Errorf("X-Faceverify-Signature %q does not verify", req.Header.Get("X-Faceverify-Signature"))
	}
	if notify.VerifySignature(r.secret+"x", req.Header.Get("X-Faceverify-Signature"), string(body), r.clock.Now(), 5*time.Minute) ||
		notify.VerifySignature(r.secret, req.Header.Get("X-Faceverify-Signature"), string(body)+"&x=1", r.clock.Now(), 5*time.Minute) ||
		notify.VerifySignature(r.secret, req.Header.Get("X-Faceverify-Signature"), string(body), r.clock.Now().Add(time.Hour), 5*time.Minute) {
		r.t.Errorf("signature verifies with a wrong secret, body or time")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || req.Method != http.MethodPost {
		r.t.Errorf("callback %s %q: %v", req.Method, req.Header.Get("Content-Type"), err)
	}
	if form.Get("sign") != lite.Sign(r.secret, form.Get("data")) {
		r.t.Errorf("Lite sign %q does not verify", form.Get("sign"))
	}
	var d delivery
	if err := json.Unmarshal([]byte(form.Get("data")), &d.Data); err != nil {
		r.t.Errorf("data %q: %v", form.Get("data"), err)
	}
	d.Key = req.Header.Get("X-Faceverify-Idempotency-Key")
	r.mu.Lock()
	r.got = append(r.got, d)
	r.keys[d.Key]++
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func createSession(t *testing.T, s *apitest.Server, notifyURL string) string {
	t.Helper()
	return s.BizToken(t, apitest.LiteForm("notify_url", notifyURL))
}

// cancel ends the session from the page: a final verdict (6000) and a notify job.
func cancel(t *testing.T, s *apitest.Server, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+token, nil)
	if st := apitest.Do(t, req, nil); st != 200 {
		t.Fatalf("page: %d", st)
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+token+"/cancel", nil)
	if st := apitest.Do(t, req, nil); st != 200 {
		t.Fatalf("cancel: %d", st)
	}
}

func notifyJob(t *testing.T, s *apitest.Server, token string) faceverify.Job {
	t.Helper()
	return storetest.FindJob(t, s.App.Store, faceverify.JobNotify, 100, func(j faceverify.Job) bool { return j.Token == token }, "no notify job for the session")
}

// waitAttempts waits until the notify job of token has n attempts and is not running.
func waitAttempts(t *testing.T, s *apitest.Server, token string, n int) (faceverify.Job, []faceverify.JobAttempt) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j := notifyJob(t, s, token)
		if j.Attempt >= n && j.State != faceverify.JobRunning {
			atts, err := s.App.Store.JobAttempts(context.Background(), j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if j.Attempt != n || len(atts) != n {
				t.Fatalf("job has %d attempts (%d recorded), want %d", j.Attempt, len(atts), n)
			}
			return j, atts
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d: %d attempts, state %s; want %d", j.ID, j.Attempt, j.State, n)
		}
		s.App.Runner.Wake()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCallbackRetriesUntilDelivered: the receiver is down, then answers 500, then times
// out, then accepts: four attempts, each recorded with its outcome, spaced by exponential
// backoff with jitter, and exactly one delivery, correctly signed.
func TestCallbackRetriesUntilDelivered(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Now())
	s := apitest.Start(t, apitest.Options{Clock: clock, Client: &http.Client{Timeout: 300 * time.Millisecond}})
	rc := newReceiver(t, s.Tenant.NotifySecret, clock)
	token := createSession(t, s, rc.URL())
	cancel(t, s, token)

	j, atts := waitAttempts(t, s, token, 1) // receiver down: connection refused
	if j.State != faceverify.JobQueued || atts[0].Detail != "transport error" || atts[0].Error == "" {
		t.Fatalf("attempt 1: %+v %+v", j, atts)
	}
	base := 5 * time.Second // the notify policy's first delay
	checkDelay := func(j faceverify.Job, at time.Time, k int) {
		t.Helper()
		d := j.RunAt.Sub(at)
		hi := base << (k - 1)
		if d < hi/2-time.Millisecond || d > hi+time.Millisecond {
			t.Fatalf("retry %d after %v, want within [%v, %v]", k, d, hi/2, hi)
		}
	}
	checkDelay(j, clock.Now(), 1)

	rc.up()
	for _, c := range []struct {
		k                     int // attempt
		mode, detail, errPart string
	}{
		{2, "500", "HTTP 500", "500"},
		{3, "slow", "transport error", "Timeout"},
	} {
		k := c.k
		rc.setMode(c.mode)
		clock.Set(j.RunAt)
		j, atts = waitAttempts(t, s, token, k)
		if atts[k-1].Detail != c.detail || !strings.Contains(atts[k-1].Error, c.errPart) {
			t.Fatalf("attempt %d: %+v", k, atts[k-1])
		}
		checkDelay(j, clock.Now(), k)
	}
	// not due yet: nothing happens before run_at
	clock.Set(j.RunAt.Add(-time.Millisecond))
	s.App.Runner.Wake()
	time.Sleep(50 * time.Millisecond)
	if j2 := notifyJob(t, s, token); j2.Attempt != 3 {
		t.Fatalf("ran before its time: %+v", j2)
	}

	rc.setMode("ok")
	clock.Set(j.RunAt)
	j, atts = waitAttempts(t, s, token, 4)
	if j.State != faceverify.JobDone || atts[3].Detail != "HTTP 200" || atts[3].Error != "" {
		t.Fatalf("attempt 4: %+v %+v", j, atts[3])
	}
	got := rc.deliveries()
	if len(got) != 1 || got[0].Data.BizToken != token || got[0].Data.ErrorCode != "6000" || got[0].Data.ErrorMsg != "USER_CANCEL" ||
		got[0].Key != "notify:"+token {
		t.Fatalf("deliveries: %+v", got)
	}

	// the attempts are visible to operators: faceverify admin callbacks list
	var out bytes.Buffer
	if err := admin.Run(context.Background(), []string{"callbacks", "list", "--data", s.App.Config.DataDir}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var listed struct {
		Job      int64  `json:"job"`
		State    string `json:"state"`
		Attempts int    `json:"attempts"`
		History  []struct {
			Detail string `json:"detail"`
		} `json:"history"`
	}
	if err := json.Unmarshal(out.Bytes(), &listed); err != nil {
		t.Fatalf("admin output %q: %v", out.String(), err)
	}
	if listed.Job != j.ID || listed.State != "done" || listed.Attempts != 4 || len(listed.History) != 4 ||
		listed.History[1].Detail != "HTTP 500" || listed.History[3].Detail != "HTTP 200" {
		t.Fatalf("admin callbacks list: %s", out.String())
	}
}

// TestCallbackGiveUpAndAdminRetry: past --notify-for the job fails for good; an operator
// re-queues it with `admin callbacks retry` and it is delivered.
func TestCallbackGiveUpAndAdminRetry(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Now())
	s := apitest.Start(t, apitest.Options{Clock: clock, Flags: []string{"--notify-for", "1m"}})
	rc := newReceiver(t, s.Tenant.NotifySecret, clock)
	token := createSession(t, s, rc.URL())
	cancel(t, s, token)
	j, _ := waitAttempts(t, s, token, 1)
	clock.Advance(2 * time.Minute) // past --notify-for
	j, atts := waitAttempts(t, s, token, 2)
	if j.State != faceverify.JobFailed || len(rc.deliveries()) != 0 {
		t.Fatalf("after --notify-for: %+v %+v", j, atts)
	}
	clock.Advance(time.Hour)
	s.App.Runner.Wake()
	time.Sleep(50 * time.Millisecond)
	if j2 := notifyJob(t, s, token); j2.Attempt != 2 || j2.State != faceverify.JobFailed {
		t.Fatalf("a failed job ran again: %+v", j2)
	}

	rc.up()
	var out bytes.Buffer
	if err := admin.Run(context.Background(), []string{"callbacks", "retry", "--job", itoa(j.ID), "--data", s.App.Config.DataDir},
		func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("admin callbacks retry: %v", err)
	}
	// (the admin command re-queued it for "now" on the system clock, behind the test clock)
	j, _ = waitAttempts(t, s, token, 3)
	if j.State != faceverify.JobDone || len(rc.deliveries()) != 1 {
		t.Fatalf("after admin retry: %+v, %d deliveries", j, len(rc.deliveries()))
	}
	if err := admin.Run(context.Background(), []string{"callbacks", "retry", "--job", itoa(j.ID), "--data", s.App.Config.DataDir},
		func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Fatal("a delivered callback was re-queued")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCallbackRefusedByGuard: with the real guarded client, a callback to a private
// address is refused without a connection and not retried (a permanent failure).
func TestCallbackRefusedByGuard(t *testing.T) {
	t.Parallel()
	guard := &notify.Guard{} // no allowlist: loopback refused
	var dialled []string
	var mu sync.Mutex
	guard.Dial = func(_ context.Context, _, addr string) (net.Conn, error) {
		mu.Lock()
		dialled = append(dialled, addr)
		mu.Unlock()
		return nil, errors.New("recorded")
	}
	s := apitest.Start(t, apitest.Options{Client: guard.Client(time.Second)})
	for _, target := range []string{"http://127.0.0.1:9/notify", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://10.0.0.1/"} {
		token := createSession(t, s, target)
		cancel(t, s, token)
		j, atts := waitAttempts(t, s, token, 1)
		if j.State != faceverify.JobFailed || atts[0].Detail != "refused" || !strings.Contains(atts[0].Error, "refused") {
			t.Fatalf("%s: %+v %+v", target, j, atts)
		}
	}
	if len(dialled) != 0 {
		t.Fatalf("dialled %v", dialled)
	}
}

// TestReturnURLNeverFetched: return_url is handed to the browser, never requested by us.
func TestReturnURLNeverFetched(t *testing.T) {
	t.Parallel()
	var hits sync.Map
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.URL.Path, true)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	s := apitest.Start(t, apitest.Options{})
	base := "http://" + ln.Addr().String()
	f := url.Values{
		"return_url": {base + "/return"}, "notify_url": {base + "/notify"},
		"liveness_type": {"video_number"}, "idcard_name": {"张三"}, "idcard_number": {"11010519491231002X"},
	}
	var r struct {
		BizToken string `json:"biz_token"`
	}
	s.PostForm(t, "/lite/v1/get_biz_token", f, &r)
	cancel(t, s, r.BizToken)
	var view map[string]any
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+r.BizToken, nil)
	apitest.Do(t, req, &view)
	if ru, _ := view["return_url"].(string); !strings.HasPrefix(ru, base+"/return?") {
		t.Fatalf("page return_url %v", view["return_url"])
	}
	waitAttempts(t, s, r.BizToken, 1)
	if _, ok := hits.Load("/notify"); !ok {
		t.Fatal("notify_url not called")
	}
	if _, ok := hits.Load("/return"); ok {
		t.Fatal("return_url was fetched by the server")
	}
}

// TestVerdictAndNotifyJobOneTransaction: when the notify job cannot be written, the verdict
// is not written either (and vice versa the job exists as soon as the verdict does).
func TestVerdictAndNotifyJobOneTransaction(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{})
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(s.App.Config.Database, "sqlite:")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	token := createSession(t, s, "http://127.0.0.1:9/notify")
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+token, nil)
	apitest.Do(t, req, nil)
	// make every job insert fail inside the verdict's transaction
	if _, err := db.Exec(`CREATE TRIGGER fail_jobs BEFORE INSERT ON jobs BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+token+"/cancel", nil)
	if st := apitest.Do(t, req, nil); st != 500 {
		t.Fatalf("cancel with failing job insert: %d", st)
	}
	ss, err := s.App.Store.Session(context.Background(), token)
	if err != nil || ss.State != faceverify.StateLiveness || ss.Verdict != nil {
		t.Fatalf("the verdict was stored without its notify job: %+v %v", ss, err)
	}
	if _, err := db.Exec(`DROP TRIGGER fail_jobs`); err != nil {
		t.Fatal(err)
	}
	cancel(t, s, token)
	ss, _ = s.App.Store.Session(context.Background(), token)
	if ss.State != faceverify.StateCancelled || notifyJob(t, s, token).Kind != faceverify.JobNotify {
		t.Fatalf("after the retry: %s", ss.State)
	}
}
