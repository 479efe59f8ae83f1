//go:build linux

// Package miniprogram_test runs the WeChat mini-program component (faceid-components) under
// Node with miniprogram-simulate (test/*.test.js, `node --test`) against the real faceverify
// server with the real models. The simulator replaces only the WeChat platform APIs: its
// wx.request / wx.uploadFile make real HTTP calls to this server, and its camera "records"
// a real H.264/AAC mp4 made here with ffmpeg from a dataset face photo.
package miniprogram_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify/dialect/cloudauth"
	"github.com/faceverify/faceverify/idcard/gen"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testclock"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/internal/voicetest"
)

func nodeModules(t *testing.T, dir string) {
	t.Helper()
	testenv.Need(t, filepath.Join(dir, "node_modules", "miniprogram-simulate"), "miniprogram-simulate", "run `make setup` (scripts/setup.d/70-miniprogram.sh)")
}

func form(kv ...string) url.Values {
	return apitest.EditForm(apitest.LiteForm(), "", kv...)
}

// oneVideoToken opens a session that takes exactly one video, so its first verdict is final:
// a Cloudauth CertifyId ("仅能认证提交一次"). A Lite session allows the first video plus
// liveness_retry_count (≥ 1) retakes (docs/lite.md). Parsed by the Cloudauth dialect and
// created by the same use case as InitFaceVerify; the component only sees the page API.
func oneVideoToken(t *testing.T, s *apitest.Server) string {
	t.Helper()
	p := url.Values{"SceneId": {s.Tenant.SceneID}, "OuterOrderNo": {"miniprogram1"}, "ProductCode": {"ID_PRO"},
		"CertName": {"张三"}, "CertNo": {"11010519491231002X"}, "ReturnUrl": {"https://biz.example/return"},
		"MetaInfo": {`{"zimVer":"3.0.0","deviceType":"h5"}`}}
	req, err := cloudauth.ParseInit(p, s.Tenant, cloudauth.InitPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := s.App.Service.Create(context.Background(), s.Tenant, req)
	if err != nil {
		t.Fatal(err)
	}
	return ss.Token
}

// pageState reads a session's state through the page API.
func pageState(t *testing.T, s *apitest.Server, token string) (int, string) {
	t.Helper()
	var v struct {
		State string `json:"state"`
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+token, nil)
	code := apitest.Do(t, req, &v)
	return code, v.State
}

func TestMiniProgramComponent(t *testing.T) {
	dir := filepath.Join(testenv.RepoRoot(), "miniprogram")
	node := testenv.Tool(t, "node")
	testenv.Tool(t, "ffmpeg")
	nodeModules(t, dir)
	photo := filepath.Join(testenv.Datasets(t, "faces", "deepface"), "faces", "deepface", "img1.jpg")

	// what the camera "records": 4 s of a face photo while the user reads digits in Mandarin
	// (espeak-ng cmn-latn-pinyin, the zh-CN page's language), H.264/AAC mp4 like WeChat's
	testenv.Tool(t, "espeak-ng")
	tmp := t.TempDir()
	voice := filepath.Join(tmp, "voice.wav")
	testenv.Sh(t, "espeak-ng", "-v", "cmn-latn-pinyin", "-s", "140", "-w", voice, voicetest.Say("zh", "4821"))
	video := filepath.Join(tmp, "camera.mp4")
	testenv.Sh(t, "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-loop", "1", "-i", photo,
		"-i", voice, "-af", "adelay=500|500,apad", "-ar", "44100", "-t", "4",
		"-vf", "scale=480:640:force_original_aspect_ratio=decrease,pad=480:640:(ow-iw)/2:(oh-ih)/2,fps=15,format=yuv420p",
		"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", "-movflags", "+faststart", video)

	s := apitest.Start(t, apitest.Options{Engine: true})
	tokens := map[string]string{
		"FV_TOKEN_DIGITS": s.BizToken(t, form()),
		"FV_TOKEN_CANCEL": s.BizToken(t, form()),
		"FV_TOKEN_RESULT": oneVideoToken(t, s),
		"FV_TOKEN_RETRY":  s.BizToken(t, form("liveness_retry_count", "3")),
		"FV_TOKEN_SYSCAM": oneVideoToken(t, s),
		"FV_TOKEN_IDCARD": s.BizToken(t, form("group", "1", "idcard_name", "", "idcard_number", "")),
		"FV_TOKEN_USED":   s.BizToken(t, form()),
	}
	// a token already used: cancelled through the page API before the component sees it
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+tokens["FV_TOKEN_USED"]+"/cancel", nil)
	if code := apitest.Do(t, req, nil); code != http.StatusOK {
		t.Fatalf("cancel: %d", code)
	}

	// an expired token: a second server whose clock is moved past the page TTL
	clock := testclock.New(time.Now())
	old := apitest.Start(t, apitest.Options{Clock: clock})
	expired := old.BizToken(t, form())
	clock.Advance(2 * time.Hour)

	// a photographed front too small in the frame (seeded generator, as httpapi's
	// TestIDCardRetakeReason): the page API names the retake reason "small"
	g, err := gen.New(gen.Options{Seed: 16})
	if err != nil {
		t.Fatalf("gen.New: %v", err)
	}
	small, _ := g.Shoot(g.Card().Front, gen.ShotOptions{LongSide: 1280, MinFill: 0.22, MaxFill: 0.27, NoEffects: true})
	smallCard := filepath.Join(tmp, "small-card.jpg")
	if err := os.WriteFile(smallCard, small, 0o644); err != nil {
		t.Fatal(err)
	}

	env := []string{"FV_SERVER=" + s.URL, "FV_VIDEO=" + video, "FV_IMAGE=" + photo, "FV_IMAGE_SMALL_CARD=" + smallCard,
		"FV_SERVER_EXPIRED=" + old.URL, "FV_TOKEN_EXPIRED=" + expired}
	for k, v := range tokens {
		env = append(env, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	files, _ := filepath.Glob(filepath.Join(dir, "test", "*.test.js"))
	if len(files) == 0 {
		t.Fatal("no miniprogram/test/*.test.js")
	}
	cmd := exec.CommandContext(ctx, node, append([]string{"--test", "--test-force-exit", "--test-reporter=spec"}, files...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	// node --test runs each file in a child process: kill the whole group on time-out, at the
	// end, and if this test process dies
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // stragglers of the group, if any
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("node --test: %v", err)
	}

	// the server's side of what the component did
	for name, want := range map[string]string{"FV_TOKEN_CANCEL": "cancelled", "FV_TOKEN_USED": "cancelled"} {
		if _, st := pageState(t, s, tokens[name]); st != want {
			t.Errorf("%s: state %q, want %q", name, st, want)
		}
	}
	for _, name := range []string{"FV_TOKEN_RESULT", "FV_TOKEN_SYSCAM"} {
		if _, st := pageState(t, s, tokens[name]); st != "done" && st != "failed" {
			t.Errorf("%s: state %q, want a verdict", name, st)
		}
	}
}
