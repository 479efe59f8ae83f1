package admin_test

// `faceverify admin app create|update|list`: the real command on a fresh data directory.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/internal/admin"
)

// run runs `faceverify admin ARGS...` with an empty environment.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = admin.Run(context.Background(), args, func(string) string { return "" }, &out, &errb)
	return out.String(), errb.String(), err
}

// createApp creates a tenant in data and returns its id.
func createApp(t *testing.T, data string) string {
	t.Helper()
	out, _, err := run(t, "app", "create", "--name", "shop", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	return created.ID
}

// The CLI prints a tenant's switches under its own JSON names (the domain types carry
// none): checks.lip_sync_off and checks.digit_language, each absent when off; a pair of
// opposite flags sets, clears or (neither given) keeps a switch.
func TestAppUpdateSwitchesOutput(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	id := createApp(t, data)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--lip-sync-off", "--digit-lang", "zh", "--disable"},
			[]string{`"checks":{"lip_sync_off":true,"digit_language":"zh"}`, `"disabled":true`, `"key_disabled":false`}},
		{[]string{"--disable-key"}, // the other switches stay as they were
			[]string{`"checks":{"lip_sync_off":true,"digit_language":"zh"}`, `"disabled":true`, `"key_disabled":true`}},
		{[]string{"--lip-sync-on", "--digit-lang", "both", "--enable", "--enable-key"},
			[]string{`"checks":{}`, `"disabled":false`, `"key_disabled":false`}},
	} {
		out, _, err := run(t, append([]string{"app", "update", "--id", id, "--data", data}, c.args...)...)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: %s lacks %s", c.args, out, w)
			}
		}
	}
	out, _, err := run(t, "app", "list", "--data", data)
	if err != nil || !strings.Contains(out, `"checks":{}`) {
		t.Fatalf("list: %q %v", out, err)
	}
}

func TestAppUpdateRegistry(t *testing.T) {
	dir := t.TempDir()
	regFile := filepath.Join(dir, "registries.json")
	os.WriteFile(regFile, []byte(`{"registries":{"crm":{"url":"https://crm.example/fv","secret":"0123456789abcdef0123"}}}`), 0o600)
	data := filepath.Join(dir, "data")
	id := createApp(t, data)
	if _, _, err := run(t, "app", "update", "--id", id, "--registry", "crm", "--data", data); err == nil {
		t.Fatal("a registry not in --registries was accepted")
	}
	out, _, err := run(t, "app", "update", "--id", id, "--registry", "crm", "--registries", regFile, "--data", data)
	if err != nil || !strings.Contains(out, `"registry":"crm"`) {
		t.Fatalf("%q %v", out, err)
	}
	out, _, _ = run(t, "app", "list", "--registries", regFile, "--data", data)
	if !strings.Contains(out, `"registry":"crm"`) {
		t.Fatalf("list: %q", out)
	}
	out, _, err = run(t, "app", "update", "--id", id, "--registry", "default", "--registries", regFile, "--data", data)
	if err != nil || !strings.Contains(out, `"registry":"embedded"`) {
		t.Fatalf("default: %q %v", out, err)
	}
}
