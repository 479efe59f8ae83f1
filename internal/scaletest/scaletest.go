// Package scaletest runs faceverify as separate operating-system processes (`faceverify
// serve --workers 0` API nodes and `faceverify worker` processes) on one PostgreSQL cluster
// and one S3 server, all on loopback, and plays users and a tenant's backend against them:
// the end-to-end test of the scale-out back ends and the multi-process fault proof
// (kill -9 of a worker and an API node mid-run). Every process is a direct child with a
// parent-death signal, so nothing outlives the test.
package scaletest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/testenv"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/faceverify once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fv-scaletest-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath, buildErr = testenv.BuildFaceverify(dir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Cleanup removes the binary Binary built (call from TestMain after m.Run).
func Cleanup() {
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
}

// Proc is one faceverify process.
type Proc struct {
	Name  string
	Addr  string // API nodes only
	Log   string // path of its combined output
	child *testenv.Child
}

// StartProc starts `faceverify args...`, logging to a file in dir; it is killed at the end
// of t (and dies with the test process).
func StartProc(t testing.TB, dir, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: name, Log: filepath.Join(dir, name+".log")}
	f, err := os.Create(p.Log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // the child has its own descriptor once started
	cmd := exec.Command(Binary(t), args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if p.child, err = testenv.StartChild(cmd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.child.Stop(syscall.SIGTERM, 20*time.Second) })
	return p
}

// Kill9 kills the process with SIGKILL (no shutdown, no lease release).
func (p *Proc) Kill9() {
	p.child.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.child.Done
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.child.Cmd.Process.Pid }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.child.Done:
		return true
	default:
		return false
	}
}

// Tail returns the end of the process log.
func (p *Proc) Tail() string {
	b, _ := os.ReadFile(p.Log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// WaitReady polls /readyz (or /healthz) of an API node.
func (p *Proc) WaitReady(t testing.TB) {
	t.Helper()
	base := "http://" + p.Addr
	if err := p.child.WaitReady(p.Name, 100*time.Millisecond, 60*time.Second, testenv.Text(p.Tail),
		testenv.HTTPReady(base+"/readyz", base+"/healthz")); err != nil {
		t.Fatal(err)
	}
}

// Receiver is a tenant's callback endpoint on loopback: it records every delivery.
type Receiver struct {
	URL string
	rec *testenv.Recorder
}

// NewReceiver starts a receiver closed at the end of t.
func NewReceiver(t testing.TB) *Receiver {
	rec := testenv.NewRecorder(t, nil)
	return &Receiver{URL: rec.URL + "/notify", rec: rec}
}

// Deliveries returns what was received (biz_token → error_msg of each delivery) and the
// total number of deliveries.
func (r *Receiver) Deliveries() (map[string][]string, int) {
	all := r.rec.All()
	out := map[string][]string{}
	for _, d := range all {
		var data struct {
			BizToken string `json:"biz_token"`
			ErrorMsg string `json:"error_msg"`
		}
		json.Unmarshal([]byte(d.Form.Get("data")), &data)
		out[data.BizToken] = append(out[data.BizToken], data.ErrorMsg)
	}
	return out, len(all)
}

// Client is a tenant backend plus an end user talking to the API nodes over HTTP.
type Client struct {
	AppCode string
	HTTP    *http.Client
}

// LiteResp is the part of a FaceID Lite answer the tests read.
type LiteResp struct {
	BizToken      string                    `json:"biz_token"`
	Error         string                    `json:"error"`
	ResultCode    string                    `json:"result_code"`
	ResultMessage string                    `json:"result_message"`
	Images        map[string]string         `json:"images"`
	Verification  map[string]map[string]any `json:"verification"`
}

func (c *Client) do(req *http.Request, out any) (int, error) {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %d %q", req.Method, req.URL.Path, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, nil
}

// Create asks node for a biz_token (FaceID Lite get_biz_token).
func (c *Client) Create(node, notifyURL, name, number string) (string, error) {
	f := url.Values{"return_url": {"https://biz.example/return"}, "notify_url": {notifyURL},
		"liveness_type": {"video_number"}, "idcard_name": {name}, "idcard_number": {number}}
	req, _ := http.NewRequest(http.MethodPost, "http://"+node+"/lite/v1/get_biz_token", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "APPCODE "+c.AppCode)
	var r LiteResp
	st, err := c.do(req, &r)
	if err != nil {
		return "", err
	}
	if st != 200 || r.BizToken == "" {
		return "", fmt.Errorf("get_biz_token: %d %+v", st, r)
	}
	return r.BizToken, nil
}

// Page returns the page view of a session.
func (c *Client) Page(node, token string) (map[string]any, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+node+"/h5/v1/sessions/"+token, nil)
	var v map[string]any
	st, err := c.do(req, &v)
	if err != nil {
		return nil, err
	}
	if st != 200 {
		return nil, fmt.Errorf("page view: %d %v", st, v)
	}
	return v, nil
}

// Upload posts the liveness video; it returns the HTTP status and answer.
func (c *Client) Upload(ctx context.Context, node, token string, video []byte) (int, map[string]any, error) {
	req := testenv.VideoRequest("http://"+node, token, "video.mp4", video).WithContext(ctx)
	var out map[string]any
	st, err := c.do(req, &out)
	return st, out, err
}

// Result asks node for the verdict (FaceID Lite get_result).
func (c *Client) Result(node, token string) (LiteResp, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+node+"/lite/v1/get_result?biz_token="+url.QueryEscape(token), nil)
	req.Header.Set("Authorization", "APPCODE "+c.AppCode)
	var r LiteResp
	_, err := c.do(req, &r)
	return r, err
}
