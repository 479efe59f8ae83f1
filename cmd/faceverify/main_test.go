package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/testenv"
)

// TestBinary drives the real binary: admin app create prints the documented JSON, serve
// reads its configuration from the environment, answers health checks and the Lite API,
// and shuts down gracefully on SIGTERM.
func TestBinary(t *testing.T) {
	bin := testenv.Faceverify(t)
	data := t.TempDir()
	out, err := exec.Command(bin, "admin", "app", "create", "--data", data, "--name", "acme bank").Output()
	if err != nil {
		t.Fatalf("admin app create: %v", err)
	}
	var app map[string]string
	if err := json.Unmarshal(out, &app); err != nil {
		t.Fatalf("admin output %q: %v", out, err)
	}
	for _, k := range []string{"app_code", "access_key_id", "access_key_secret", "scene_id", "notify_secret"} {
		if app[k] == "" {
			t.Fatalf("admin output lacks %s: %s", k, out)
		}
	}
	if lines := bytes.Count(bytes.TrimSpace(out), []byte("\n")); lines != 0 {
		t.Fatalf("admin output is not one JSON object: %q", out)
	}
	if err := exec.Command(bin, "admin", "app", "create", "--data", data).Run(); err == nil {
		t.Fatal("app create without --name succeeded")
	}
	// enrol a registry photo (real models): one face → ok; no face / not an image → error
	deps := "FACEVERIFY_DEPS=" + testenv.Deps(t)
	photo := filepath.Join(testenv.Datasets(t, "faces"), "faces", "deepface", "img1.jpg")
	enrol := func(photo string) ([]byte, error) {
		c := exec.Command(bin, "admin", "registry", "add", "--data", data, "--name", "张三", "--idcard-number", "11010519491231002X", "--photo", photo)
		c.Env = append(os.Environ(), deps)
		return c.CombinedOutput()
	}
	if out, err := enrol(photo); err != nil || !strings.Contains(string(out), `"enrolled":true`) {
		t.Fatalf("registry add: %v %s", err, out)
	}
	notImage := filepath.Join(t.TempDir(), "x.jpg")
	os.WriteFile(notImage, []byte("not an image"), 0o600)
	if out, err := enrol(notImage); err == nil || !strings.Contains(string(out), "not an image") {
		t.Fatalf("registry add of a non-image: %v %s", err, out)
	}

	addr := testenv.FreeAddr(t)
	cmd := exec.Command(bin, "serve", "--workers", "0")
	cmd.Env = append(os.Environ(), "FACEVERIFY_ADDR="+addr, "FACEVERIFY_DATA="+data, "FACEVERIFY_DEPS="+testenv.Deps(t))
	var logs bytes.Buffer
	cmd.Stderr = &logs
	child, err := testenv.StartChild(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	base := "http://" + addr
	if err := child.WaitReady("server", 100*time.Millisecond, 60*time.Second, &logs, testenv.HTTPReady(base+"/readyz")); err != nil {
		t.Fatal(err)
	}
	form := "return_url=https%3A%2F%2Fb.example%2Fr&notify_url=https%3A%2F%2Fb.example%2Fn&liveness_type=video_number&idcard_name=%E5%BC%A0%E4%B8%89&idcard_number=11010519491231002X"
	req, _ := http.NewRequest(http.MethodPost, base+"/lite/v1/get_biz_token", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "APPCODE "+app["app_code"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body["biz_token"] == nil {
		t.Fatalf("get_biz_token: %d %v", resp.StatusCode, body)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-child.Done:
		if !cmd.ProcessState.Success() {
			t.Fatalf("exit after SIGTERM: %v\n%s", cmd.ProcessState, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no graceful shutdown within 30 s")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Fatalf("no shutdown log:\n%s", logs.String())
	}
	for _, secret := range []string{"张三", "11010519491231002X", app["access_key_secret"]} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("logs contain %q", secret)
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(t.Context(), nil, os.Getenv, &out, &errb); err == nil {
		t.Fatal("no command accepted")
	}
	if err := run(t.Context(), []string{"frobnicate"}, os.Getenv, &out, &errb); err == nil || !strings.Contains(errb.String(), "usage") {
		t.Fatalf("unknown command: %v", err)
	}
	out.Reset()
	if err := run(t.Context(), []string{"help"}, os.Getenv, &out, &errb); err != nil || !strings.Contains(out.String(), "serve") {
		t.Fatal(fmt.Sprint("help: ", err))
	}
}
