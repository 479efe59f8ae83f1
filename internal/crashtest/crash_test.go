// Package crashtest kills the real faceverify binary with SIGKILL between a video upload
// and its verdict, restarts it on the same data directory, and checks that the verdict
// is reached and the callback delivered exactly once (at-least-once, and no duplicate in
// this run), signed. It also greps the server's logs and data directory for the test
// subject's name and ID number after a flow on the real engine.
package crashtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/notify"
)

const (
	subjectName   = "欧阳崩溃"
	subjectNumber = "11010519491231002X"
)

type server struct {
	t     *testing.T
	bin   string
	args  []string
	url   string
	child *testenv.Child // the running process (a new one after each start)
	logs  *os.File
}

func (s *server) start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, append([]string{"serve"}, s.args...)...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	cmd.Env = append(os.Environ(), "FACEVERIFY_LOG_LEVEL=debug")
	child, err := testenv.StartChild(cmd)
	if err != nil {
		s.t.Fatal(err)
	}
	s.child = child
	logs := testenv.Text(func() string { return testenv.TailFile(s.logs.Name(), 40) })
	if err := child.WaitReady("server", 100*time.Millisecond, 90*time.Second, logs, testenv.HTTPReady(s.url+"/readyz")); err != nil {
		s.t.Fatal(err)
	}
}

func (s *server) kill9() {
	s.child.Cmd.Process.Signal(syscall.SIGKILL)
	<-s.child.Done
}

// stop ends the server gracefully (SIGTERM, a kill after 30 s); one already gone is left.
func (s *server) stop() {
	if s.child != nil {
		s.child.Stop(syscall.SIGTERM, 30*time.Second)
	}
}

func runCLI(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("faceverify %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

type job struct {
	Job      int64  `json:"job"`
	Kind     string `json:"kind"`
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
}

func jobs(t *testing.T, bin, dataDir, kind string) []job {
	out := runCLI(t, bin, "admin", "callbacks", "list", "--kind", kind, "--data", dataDir)
	var js []job
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var j job
		if err := dec.Decode(&j); err == io.EOF {
			return js
		} else if err != nil {
			t.Fatalf("callbacks list: %v: %s", err, out)
		}
		js = append(js, j)
	}
}

// makeVideo renders a short talking-head-less clip (a still face photo with a tone) with
// ffmpeg; the verdict may be any final one, the point is that it is reached.
func makeVideo(t *testing.T, photo string) []byte {
	ff := testenv.Tool(t, "ffmpeg")
	out := filepath.Join(t.TempDir(), "still.mp4")
	testenv.Sh(t, ff, "-hide_banner", "-loglevel", "error", "-loop", "1", "-i", photo,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", "3",
		"-vf", "scale=480:-2,format=yuv420p", "-r", "15", "-c:v", "libx264", "-preset", "ultrafast",
		"-c:a", "aac", "-shortest", out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

type callback struct {
	data lite.NotifyData
	key  string
}

func TestKill9BetweenUploadAndVerdict(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary with the models")
	}
	models, ort := testenv.ModelDir(t), testenv.ORTLib(t)
	photo := filepath.Join(testenv.Datasets(t, "faces", "deepface"), "faces", "deepface", "img1.jpg")
	video := makeVideo(t, photo)

	bin := testenv.Faceverify(t)
	// "accepted": SIGKILL the moment the upload's 202 arrives (the job is usually still
	// queued); "running": SIGKILL while the worker holds the verdict job's lease (the
	// restarted server reclaims it when the lease expires).
	for _, mode := range []string{"accepted", "running"} {
		t.Run(mode, func(t *testing.T) { scenario(t, mode, bin, photo, video, models, ort) })
	}
}

func scenario(t *testing.T, mode, bin, photo string, video []byte, models, ort string) {
	dataDir := t.TempDir()
	common := []string{"--data", dataDir, "--models", models, "--ort-lib", ort}

	// tenant and registry entry through the operator CLI
	var app struct {
		AppCode      string `json:"app_code"`
		NotifySecret string `json:"notify_secret"`
	}
	if err := json.Unmarshal(runCLI(t, bin, append([]string{"admin", "app", "create", "--name", "crash"}, common[:2]...)...), &app); err != nil || app.AppCode == "" {
		t.Fatalf("app create: %v %+v", err, app)
	}
	runCLI(t, bin, append([]string{"admin", "registry", "add", "--name", subjectName, "--idcard-number", subjectNumber, "--photo", photo}, common...)...)

	// the tenant's receiver, on loopback: every callback signed both ways
	rec := testenv.NewRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if !notify.VerifySignature(app.NotifySecret, r.Header.Get("X-Faceverify-Signature"), string(body), time.Now(), 5*time.Minute) {
			t.Errorf("bad X-Faceverify-Signature")
			w.WriteHeader(400)
			return true
		}
		if form, _ := url.ParseQuery(string(body)); form.Get("sign") != lite.Sign(app.NotifySecret, form.Get("data")) {
			t.Errorf("bad sign")
		}
		return false
	})
	callbacks := func() []callback {
		var cbs []callback
		for _, r := range rec.All() {
			c := callback{key: r.Header.Get("X-Faceverify-Idempotency-Key")}
			json.Unmarshal([]byte(r.Form.Get("data")), &c.data)
			cbs = append(cbs, c)
		}
		return cbs
	}

	addr := testenv.FreeAddr(t)
	logs, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	srv := &server{t: t, bin: bin, url: "http://" + addr, logs: logs,
		args: append([]string{"--addr", addr, "--workers", "1", "--job-lease", "20s", "--notify-allow", "127.0.0.1/32",
			"--log-format", "json"}, common...)}
	srv.start()
	defer srv.stop()

	// a session: liveness_retry_count=1 (the first video and one retake); if the decided
	// attempt failed, the test ends the session by cancelling it after the restart
	form := url.Values{
		"return_url": {"https://biz.example/return"}, "notify_url": {rec.URL + "/notify"},
		"liveness_type": {"video_number"}, "idcard_name": {subjectName}, "idcard_number": {subjectNumber},
		"liveness_retry_count": {"1"},
	}
	req, _ := http.NewRequest(http.MethodPost, srv.url+"/lite/v1/get_biz_token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "APPCODE "+app.AppCode)
	var created struct {
		BizToken string `json:"biz_token"`
		Error    string `json:"error"`
	}
	doJSON(t, req, &created, 200)
	tok := created.BizToken
	req, _ = http.NewRequest(http.MethodGet, srv.url+"/h5/v1/sessions/"+tok, nil)
	var view map[string]any
	doJSON(t, req, &view, 200)
	if view["step"] != "video" {
		t.Fatalf("page: %+v", view)
	}

	// upload, and SIGKILL the server the moment the 202 arrives
	resp, err := http.DefaultClient.Do(testenv.VideoRequest(srv.url, tok, "v.mp4", video))
	if err != nil {
		t.Fatal(err)
	}
	status := resp.StatusCode
	if mode == "running" {
		// the operator CLI reads the live database (WAL) while the server works
		for i := 0; ; i++ {
			js := jobs(t, bin, dataDir, "decide")
			if len(js) == 1 && js[0].State == "running" {
				break
			}
			if len(js) == 1 && js[0].State == "done" || i > 300 {
				t.Fatalf("never saw the verdict job running: %+v", js)
			}
		}
	}
	srv.kill9()
	resp.Body.Close()
	if status != http.StatusAccepted {
		t.Fatalf("upload: %d", status)
	}
	killedAt := time.Now()

	// what the crash left: the verdict job queued or leased by the dead worker, no callback yet
	decide := jobs(t, bin, dataDir, "decide")
	if len(decide) != 1 || (decide[0].State != "queued" && decide[0].State != "running") ||
		(mode == "running" && decide[0].State != "running") {
		t.Fatalf("decide job after the crash: %+v", decide)
	}
	if n := len(jobs(t, bin, dataDir, "notify")); n != 0 {
		t.Fatalf("the verdict was reached before the kill (%d notify jobs): the test proves nothing", n)
	}
	t.Logf("after kill -9: decide job %s (attempts %d)", decide[0].State, decide[0].Attempts)

	srv.start()
	deadline := time.Now().Add(3 * time.Minute)
	cancelled := false
	for {
		n := len(callbacks())
		if n > 0 {
			break
		}
		// the decided attempt failed and a retake is offered: end the session (6000)
		req, _ := http.NewRequest(http.MethodGet, srv.url+"/h5/v1/sessions/"+tok, nil)
		var v map[string]any
		if resp, err := http.DefaultClient.Do(req); err == nil {
			json.NewDecoder(resp.Body).Decode(&v)
			resp.Body.Close()
		}
		if v["step"] == "video" && v["last_result"] != nil && !cancelled {
			t.Logf("attempt after restart: %v; cancelling", v["last_result"])
			req, _ = http.NewRequest(http.MethodPost, srv.url+"/h5/v1/sessions/"+tok+"/cancel", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				cancelled = true
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no callback %v after restart; server log:\n%s", time.Since(killedAt), testenv.TailFile(logs.Name(), 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("callback %v after the kill", time.Since(killedAt).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // room for a duplicate to show up
	cbs := callbacks()
	if len(cbs) != 1 || cbs[0].data.BizToken != tok || cbs[0].key != "notify:"+tok {
		t.Fatalf("callbacks: %+v", cbs)
	}

	// the verdict is final and the same one the callback announced
	req, _ = http.NewRequest(http.MethodGet, srv.url+"/lite/v1/get_result?biz_token="+url.QueryEscape(tok), nil)
	req.Header.Set("Authorization", "APPCODE "+app.AppCode)
	var result struct {
		ResultCode    string `json:"result_code"`
		ResultMessage string `json:"result_message"`
	}
	doJSON(t, req, &result, 200)
	if result.ResultCode != cbs[0].data.ErrorCode || result.ResultCode == "9000" || result.ResultCode == "" {
		t.Fatalf("result %+v, callback %+v", result, cbs[0].data)
	}
	t.Logf("verdict after restart: %s %s", result.ResultCode, result.ResultMessage)
	srv.stop()
	decide = jobs(t, bin, dataDir, "decide")
	notifies := jobs(t, bin, dataDir, "notify")
	if len(decide) != 1 || decide[0].State != "done" || len(notifies) != 1 || notifies[0].State != "done" || notifies[0].Attempts != 1 {
		t.Fatalf("jobs after the restart: decide %+v notify %+v", decide, notifies)
	}

	// personal data: not in the logs of both runs, not in clear in the data directory
	logText, _ := os.ReadFile(logs.Name())
	if !bytes.Contains(logText, []byte("attempt decided")) {
		t.Fatalf("log capture incomplete:\n%s", testenv.TailFile(logs.Name(), 20))
	}
	for _, needle := range []string{subjectName, subjectNumber, tok} {
		if bytes.Contains(logText, []byte(needle)) {
			t.Fatalf("server log contains %q", needle)
		}
	}
	for _, hit := range testenv.GrepDir(t, dataDir, subjectName, subjectNumber) {
		t.Errorf("in clear: %s", hit)
	}
}

func doJSON(t *testing.T, req *http.Request, out any, want int) {
	t.Helper()
	status, body := testenv.Fetch(t, req)
	if status != want {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s: %q", req.URL.Path, body)
	}
}
