package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BrowserDir returns test/browser, the playwright-core drivers of the browser tests
// (h5.mjs, console.mjs), failing (CI) or skipping t unless node, ffmpeg, Debian's chromium
// and playwright-core are installed.
func BrowserDir(t testing.TB) string {
	t.Helper()
	Tool(t, "node")
	Tool(t, "ffmpeg")
	Need(t, "/usr/bin/chromium", "chromium", "run `make setup`")
	dir := filepath.Join(RepoRoot(), "test", "browser")
	Need(t, filepath.Join(dir, "node_modules", "playwright-core"), "playwright-core", "run `make setup`")
	return dir
}

// Browse runs one chromium session: the driver test/browser/<script> under node with cfg
// (as JSON) for its argument, for 4 minutes at most. The last line the driver prints is
// its report, decoded into out; without one, t fails with what the driver printed.
func Browse(t testing.TB, script string, cfg, out any) {
	t.Helper()
	dir := BrowserDir(t)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, script), string(js))
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if jerr := json.Unmarshal(lines[len(lines)-1], out); jerr != nil {
		t.Fatalf("browser driver %s: %v %v\nstdout: %s\nstderr: %s", script, err, jerr, b, stderr.String())
	}
}
