package console_test

// The console in Debian's chromium driven by playwright-core (test/browser/console.mjs),
// against the real service (internal/apitest) with the real models: one real verdict
// (a genuine talking clip, the tenant's lip-sync check off as the H5 happy path does —
// docs/liveness.md), its callback failing until the receiver is fixed. The browser signs
// in (first with a wrong password), filters, opens the session, reveals (audited), retries
// the failed callback; then on a tablet it walks the pages again and sets the tenant's
// quota and concurrency; an operator of another tenant sees none of it; an erase whose
// CSRF token was removed is refused; it erases and reads the audit log. Screens of the
// list and the detail (desktop and tablet) are saved under test/out/screens/ (copied to
// docs/img/ for the README).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/livecorpus"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/internal/voicetest"
)

type bstep map[string]any

type bout struct {
	OK  bool `json:"ok"`
	Out []struct {
		Step  bstep `json:"step"`
		Value any   `json:"value"`
	} `json:"out"`
	Console []string `json:"console"`
	Error   string   `json:"error"`
}

// value is the value of the step labelled as.
func (o *bout) value(as string) string {
	for _, s := range o.Out {
		if s.Step["as"] == as {
			return fmt.Sprint(s.Value)
		}
	}
	return "<no step " + as + ">"
}

func browseConsole(t *testing.T, locale string, steps []bstep) *bout {
	t.Helper()
	return browseConsoleAt(t, locale, nil, steps)
}

// tablet is the viewport of the tablet run: an iPad Air held upright, touch screen.
var tablet = map[string]any{"width": 820, "height": 1180}

// browseConsoleAt drives the console at viewport (nil = 1280×800 desktop; a viewport
// is a touch screen).
func browseConsoleAt(t *testing.T, locale string, viewport map[string]any, steps []bstep) *bout {
	t.Helper()
	screens := filepath.Join(testenv.RepoRoot(), "test", "out", "screens")
	os.MkdirAll(screens, 0o755)
	cfg := map[string]any{"screens": screens, "locale": locale, "steps": steps}
	if viewport != nil {
		cfg["viewport"], cfg["touch"] = viewport, true
	}
	var o bout
	testenv.Browse(t, "console.mjs", cfg, &o)
	for _, s := range o.Out {
		if s.Value != nil {
			t.Logf("  %v → %.120v", s.Step, s.Value)
		}
	}
	if !o.OK {
		t.Fatalf("browser: %s", o.Error)
	}
	for _, c := range o.Console {
		// the 401/403/404 documents the cases expect (and the favicon the console has not)
		if !strings.Contains(c, "status of 401") && !strings.Contains(c, "status of 403") && !strings.Contains(c, "status of 404") {
			t.Errorf("console error: %s", c)
		}
	}
	return &o
}

func genuineCase(t *testing.T) livecorpus.Case {
	t.Helper()
	cases, err := livecorpus.Ensure(livecorpus.Dir(), testenv.Datasets(t, "talking"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.Want == "VIDEO_OK" && c.Preferences == 2 {
			return c
		}
	}
	t.Fatal("no genuine corpus case")
	return livecorpus.Case{}
}

func frame(t *testing.T, clip string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "frame.jpg")
	if b, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-ss", "1", "-i", clip, "-frames:v", "1", "-q:v", "2", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	b, _ := os.ReadFile(out)
	return b
}

func TestConsoleBrowser(t *testing.T) {
	testenv.BrowserDir(t)
	// callbacks give up after 3 s, so the failing one ends "failed" quickly
	s := apitest.Start(t, apitest.Options{Engine: true, Flags: []string{"--notify-for", "3s", "--metrics-addr", "127.0.0.1:0"}})
	ctx := context.Background()
	s.Tenant.Checks.LipSyncOff = true // operator-visible: the corpus clips are dubbed (docs/liveness.md)
	if err := s.App.Store.UpdateTenant(ctx, s.Tenant); err != nil {
		t.Fatal(err)
	}
	genuine := genuineCase(t)
	const number = "11010519491231002X"
	if err := s.App.Service.Enrol(ctx, "张三", number, frame(t, genuine.File)); err != nil {
		t.Fatal(err)
	}
	var healthy atomic.Bool
	var delivered atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if !healthy.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		delivered.Add(1)
	}))
	defer rcv.Close()

	create := func(bizNo string) string {
		f := url.Values{"return_url": {"https://biz.example/return"}, "notify_url": {rcv.URL + "/notify"},
			"liveness_type": {"video_number"}, "idcard_name": {"张三"}, "idcard_number": {number},
			"comparison_type": {"1"}, "biz_no": {bizNo}, "liveness_retry_count": {"1"}}
		return s.BizToken(t, f)
	}
	for i := 0; i < 3; i++ {
		create(fmt.Sprintf("order-open-%d", i)) // a few sessions still waiting
	}
	tok := create("order-2026-0001")
	page := func() {
		req, _ := http.NewRequest("GET", s.URL+"/h5/v1/sessions/"+tok, nil)
		if st := apitest.Do(t, req, nil); st != 200 {
			t.Fatalf("page: %d", st)
		}
	}
	page()
	voicetest.PinChallenge(t, s.App.Store, tok, genuine.Challenge)
	video, _ := os.ReadFile(genuine.File)
	var body bytes.Buffer
	mw := newMultipart(&body, "video", filepath.Base(genuine.File), video)
	req, _ := http.NewRequest("POST", s.URL+"/h5/v1/sessions/"+tok+"/video", &body)
	req.Header.Set("Content-Type", mw)
	if st := apitest.Do(t, req, nil); st != 202 {
		t.Fatalf("upload: %d", st)
	}
	// wait for the verdict and for the callback to fail for good
	var notifyJob int64
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) && notifyJob == 0 {
		time.Sleep(500 * time.Millisecond)
		js, err := s.App.Store.Jobs(ctx, faceverify.JobNotify, faceverify.JobFailed, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range js {
			if j.Token == tok {
				notifyJob = j.ID
			}
		}
	}
	ss, err := s.App.Store.Session(ctx, tok)
	if err != nil || ss.Verdict == nil || ss.Verdict.Result != faceverify.ResultSuccess || notifyJob == 0 {
		t.Fatalf("verdict %+v, failed callback job %d, %v", ss.Verdict, notifyJob, err)
	}
	if _, err := s.App.Console.CreateOperator(ctx, opName, opPass); err != nil {
		t.Fatal(err)
	}
	// the engine pool's saturation is a gauge
	mresp, err := http.Get("http://" + s.App.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if !strings.Contains(string(mb), `faceverify_pool_size{pool="engine"}`) || !strings.Contains(string(mb), `faceverify_pool_in_use{pool="engine"}`) {
		t.Errorf("no engine pool gauges in /metrics")
	}
	healthy.Store(true) // the receiver is fixed: the retry will deliver

	base := s.URL + "/console/"
	detail := base + "sessions/" + url.PathEscape(tok)
	o := browseConsole(t, "zh-CN", []bstep{
		{"goto": base + "sessions"},
		{"status": true, "as": "unsigned"},
		{"fill": []string{"#name", opName}}, {"fill": []string{"#password", "not the password"}}, {"click": "#signin"},
		{"text": "#msg", "as": "wrong"},
		{"fill": []string{"#name", opName}}, {"fill": []string{"#password", opPass}}, {"click": "#signin"},
		{"waitURL": "/console/sessions", "as": "signed"},
		{"eval": "document.querySelectorAll('#sessions tbody tr').length", "as": "all"},
		{"select": []string{"#f-code", "1000"}}, {"click": "#f-submit"},
		{"eval": "Array.from(document.querySelectorAll('#sessions tbody tr')).map(r => r.dataset.token).join(' ')", "as": "filtered"},
		{"select": []string{"#f-code", ""}}, {"click": "#f-submit"},
		{"shot": "console-list"},
		{"fill": []string{"#f-ref", "order-2026-0001"}}, {"click": "#f-submit"},
		{"eval": "Array.from(document.querySelectorAll('#sessions tbody tr')).map(r => r.dataset.token).join(' ')", "as": "by_ref"},
		{"click": "#sessions tbody tr a"},
		{"text": "#result", "as": "result"},
		{"text": "#claimed-name", "as": "masked_name"},
		{"text": "#claimed-number", "as": "masked_number"},
		{"eval": "document.querySelector('#comparisons tbody tr').textContent", "as": "comparison"},
		{"eval": "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).map(i => i.dataset.name).join(' ')", "as": "images"},
		{"eval": "document.querySelectorAll('#scores .score').length", "as": "scores"},
		{"shot": "console-detail", "full": true},
		{"click": "#reveal"},
		{"text": "#claimed-name", "as": "revealed_name"},
		{"text": "#claimed-number", "as": "revealed_number"},
		{"eval": "document.querySelectorAll('#audit-entries tr[data-action=reveal]').length", "as": "reveal_audited"},
		{"goto": detail},
		{"click": fmt.Sprintf("#retry-%d", notifyJob)},
		{"waitURL": "retried=1"},
		{"text": "#notice", "as": "retried"},
	})
	// the retried callback is delivered
	for deadline := time.Now().Add(30 * time.Second); delivered.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the retried callback was not delivered")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// the same pages on a tablet: nothing wider than the screen, controls big enough to
	// tap, the state history on the detail page; quota and concurrency set by touch
	const (
		// elements sticking out of the viewport (none on a usable page)
		overflow = "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > innerWidth + 1)" +
			".map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')).slice(0, 6).join(' ') || 'none'"
		// visible buttons, fields and menu links smaller than 32 px tall
		small = "Array.from(document.querySelectorAll('button, input:not([type=hidden]), select, .bar a')).filter(e => e.offsetParent && e.getBoundingClientRect().height < 32)" +
			".map(e => e.id || e.name || e.getAttribute('href') || e.tagName).join(' ') || 'none'"
	)
	tp := base + "tenants/" + url.PathEscape(s.Tenant.ID)
	ot := browseConsoleAt(t, "zh-CN", tablet, []bstep{
		{"goto": base + "login"},
		{"eval": overflow, "as": "t_login"},
		{"fill": []string{"#name", opName}}, {"fill": []string{"#password", opPass}}, {"click": "#signin"},
		{"waitURL": "/console/sessions"},
		{"eval": overflow, "as": "t_list"}, {"eval": small, "as": "t_list_small"},
		{"eval": "document.querySelectorAll('#sessions tbody tr').length", "as": "t_rows"},
		{"shot": "console-tablet-list"},
		{"goto": detail},
		{"eval": overflow, "as": "t_detail"}, {"eval": small, "as": "t_detail_small"},
		{"eval": "Array.from(document.querySelectorAll('#timeline-rows tr.change')).map(r => r.dataset.event).join(' ')", "as": "t_history"},
		{"shot": "console-tablet-detail", "full": true},
		{"goto": base + "tenants"},
		{"eval": overflow, "as": "t_tenants"},
		{"goto": tp},
		{"eval": overflow, "as": "t_tenant"}, {"eval": small, "as": "t_tenant_small"},
		{"fill": []string{"#quota", "1000"}}, {"fill": []string{"#concurrency", "8"}}, {"click": "#save-limits"},
		{"waitURL": "/console/tenants/"},
		{"eval": "document.querySelector('#quota').value + ' ' + document.querySelector('#concurrency').value", "as": "t_limits"},
		{"goto": base + "audit"},
		{"eval": overflow, "as": "t_audit"},
	})
	for k, v := range map[string]string{"t_login": "none", "t_list": "none", "t_detail": "none", "t_tenants": "none", "t_tenant": "none",
		"t_audit": "none", "t_list_small": "none", "t_detail_small": "none", "t_tenant_small": "none", "t_rows": "4",
		"t_history": "created page_opened video_uploaded verdict", "t_limits": "1000 8"} {
		if got := ot.value(k); got != v {
			t.Errorf("tablet %s: %q, want %q", k, got, v)
		}
	}
	if ten, err := s.App.Store.Tenant(ctx, s.Tenant.ID); err != nil || ten.Quota != 1000 || ten.Concurrency != 8 {
		t.Errorf("limits set on the tablet: %+v %v", ten, err)
	}
	// an operator of another tenant sees none of this tenant's sessions
	other := admin.NewTenant("other tenant", -1)
	if err := s.App.Store.CreateTenant(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.Console.CreateTenantOperator(ctx, "other-op", opPass, other.ID); err != nil {
		t.Fatal(err)
	}
	oo := browseConsole(t, "zh-CN", []bstep{
		{"goto": base + "login"},
		{"fill": []string{"#name", "other-op"}}, {"fill": []string{"#password", opPass}}, {"click": "#signin"},
		{"waitURL": "/console/sessions"},
		{"eval": "document.querySelectorAll('#sessions tbody tr').length + ' ' + !!document.querySelector('#empty')", "as": "o_list"},
		{"goto": base + "sessions?tenant=" + url.QueryEscape(s.Tenant.ID)},
		{"eval": "document.querySelectorAll('#sessions tbody tr').length", "as": "o_filtered"},
		{"goto": detail},
		{"status": true, "as": "o_detail"},
		{"goto": tp},
		{"status": true, "as": "o_tenant"},
		{"goto": base + "tenants"},
		{"eval": "Array.from(document.querySelectorAll('#tenants tbody tr')).map(r => r.dataset.tenant).join(' ')", "as": "o_tenants"},
	})
	for k, v := range map[string]string{"o_list": "0 true", "o_filtered": "0", "o_detail": "404", "o_tenant": "404", "o_tenants": other.ID} {
		if got := oo.value(k); got != v {
			t.Errorf("tenant operator %s: %q, want %q", k, got, v)
		}
	}
	o2 := browseConsole(t, "zh-CN", []bstep{
		{"goto": base + "login"},
		{"fill": []string{"#name", opName}}, {"fill": []string{"#password", opPass}}, {"click": "#signin"},
		{"waitURL": "/console/sessions"},
		{"goto": detail},
		{"eval": "document.querySelector('#callbacks .job').dataset.state", "as": "job_state"},
		// a change whose CSRF token is missing is refused
		{"eval": "document.querySelector('#erase-form input[name=csrf]').remove(); true"},
		{"check": "#erase-confirm"}, {"click": "#erase"},
		{"status": true, "as": "no_csrf"},
		{"goto": detail},
		{"check": "#erase-confirm"}, {"click": "#erase"},
		{"waitURL": "erased=1"},
		{"text": "#notice", "as": "erased"},
		{"goto": base + "audit"},
		{"eval": "Array.from(document.querySelectorAll('#audit-log tbody tr')).map(r => r.dataset.action).join(' ')", "as": "audit"},
		{"click": ".lang"},
		{"text": "h1", "as": "english"},
		{"goto": base + "sessions/" + url.PathEscape(tok)},
		{"status": true, "as": "gone"},
	})
	want := map[string]string{
		"unsigned": "401", "wrong": "用户名或密码错误", "filtered": tok, "by_ref": tok,
		"result": "1000 SUCCESS", "masked_name": "张*", "masked_number": "1101**********002X",
		"revealed_name": "张三", "revealed_number": number, "reveal_audited": "1", "retried": "回调已重新排队",
	}
	for k, v := range want {
		if got := o.value(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	for k, v := range map[string]string{"job_state": "done", "no_csrf": "403", "erased": "记录已删除", "english": "Audit log", "gone": "404"} {
		if got := o2.value(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if o.value("all") != "4" {
		t.Errorf("list shows %s sessions, want 4", o.value("all"))
	}
	if n, _ := strconv.Atoi(o.value("scores")); n < 10 {
		t.Errorf("%s scores shown", o.value("scores"))
	}
	if imgs := o.value("images"); !strings.Contains(imgs, "image_best") {
		t.Errorf("images shown: %q", imgs)
	}
	if !strings.Contains(o.value("comparison"), "idcard") {
		t.Errorf("comparison row %q", o.value("comparison"))
	}
	for _, a := range []string{"sign_in_failed", "sign_in", "view", "reveal", "retry_callback", "limits", "erase"} {
		if !strings.Contains(" "+o2.value("audit")+" ", " "+a+" ") {
			t.Errorf("audit log lacks %s: %s", a, o2.value("audit"))
		}
	}
}

func newMultipart(w io.Writer, field, name string, data []byte) string {
	mw := multipart.NewWriter(w)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType()
}
