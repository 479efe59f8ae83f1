package admin_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The CLI prints a tenant's switches under its own JSON names (the domain types carry
// none): checks.lip_sync_off and checks.digit_language, each absent when off; a pair of
// opposite flags sets, clears or (neither given) keeps a switch.
func TestAppUpdateSwitchesOutput(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	out, _, err := run(t, "app", "create", "--name", "shop", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
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
		out, _, err := run(t, append([]string{"app", "update", "--id", created.ID, "--data", data}, c.args...)...)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: %s lacks %s", c.args, out, w)
			}
		}
	}
	out, _, err = run(t, "app", "list", "--data", data)
	if err != nil || !strings.Contains(out, `"checks":{}`) {
		t.Fatalf("list: %q %v", out, err)
	}
}
