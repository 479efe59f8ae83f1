package verify_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/blob/fs"
	"github.com/faceverify/faceverify/internal/testclock"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlite"
	"github.com/faceverify/faceverify/verify"
)

// fixture is a service on a real SQLite store and file blobs, with a settable clock.
type fixture struct {
	svc    *verify.Service
	store  faceverify.Store
	blobs  faceverify.BlobStore
	clock  *testclock.Clock
	tenant *faceverify.Tenant
}

func newFixture(t *testing.T, engine faceverify.Engine, cfg verify.Config) *fixture {
	t.Helper()
	dir := t.TempDir()
	box, err := seal.New(seal.NewKey(1))
	if err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(time.Unix(1_760_000_000, 0))
	st, err := sqlite.Open(filepath.Join(dir, "fv.db"), box, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := fs.Open(filepath.Join(dir, "blobs"), box)
	if err != nil {
		t.Fatal(err)
	}
	tenant := &faceverify.Tenant{ID: "t1", Name: "t", AppCode: "code-1", AccessKeyID: "ak-1", AccessKeySecret: "secret-1",
		SceneID: "1000000001", NotifySecret: "n", Quota: -1}
	if err := st.CreateTenant(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: verify.New(st, blobs, engine, clock, nil, cfg), store: st, blobs: blobs, clock: clock, tenant: tenant}
}

func reason(err error) string {
	if faceverify.ErrorCode(err) == "" {
		return ""
	}
	return faceverify.ErrorCode(err) + "/" + faceverify.ErrorKey(err)
}

func TestAuthCloudauth(t *testing.T) {
	fx := newFixture(t, nil, verify.Config{})
	ctx := context.Background()
	now := fx.clock.Now()
	call := func(key, nonce string, at time.Time) verify.SignedCall {
		return verify.SignedCall{KeyID: key, Nonce: nonce, At: at, Verify: func(s string) bool { return s == "secret-1" }}
	}
	if tn, err := fx.svc.AuthCloudauth(ctx, call("ak-1", "n1", now.Add(-14*time.Minute))); err != nil || tn.ID != "t1" {
		t.Fatalf("valid call: %v %v", tn, err)
	}
	steps := []struct {
		name string
		c    verify.SignedCall
		want string
	}{
		{"replayed nonce", call("ak-1", "n1", now), "unauthorized/" + faceverify.ReasonReplayed},
		{"unknown key", call("ak-2", "n2", now), "unauthorized/" + faceverify.ReasonUnknownKey},
		{"bad signature", verify.SignedCall{KeyID: "ak-1", Nonce: "n3", At: now, Verify: func(string) bool { return false }},
			"unauthorized/" + faceverify.ReasonBadSignature},
		{"too old", call("ak-1", "n4", now.Add(-16*time.Minute)), "unauthorized/" + faceverify.ReasonStale},
		{"from the future", call("ak-1", "n5", now.Add(16*time.Minute)), "unauthorized/" + faceverify.ReasonStale},
		{"same nonce, other key is another nonce", call("ak-1", "n6", now), ""},
	}
	for _, s := range steps {
		_, err := fx.svc.AuthCloudauth(ctx, s.c)
		if got := reason(err); got != s.want {
			t.Errorf("%s: %q (%v), want %q", s.name, got, err, s.want)
		}
	}
	// a stale or badly signed call does not burn its nonce
	if _, err := fx.svc.AuthCloudauth(ctx, call("ak-1", "n4", now)); err != nil {
		t.Fatalf("nonce of a refused call: %v", err)
	}
	fx.tenant.KeyDisabled = true
	fx.store.UpdateTenant(ctx, fx.tenant)
	if _, err := fx.svc.AuthCloudauth(ctx, call("ak-1", "n7", now)); reason(err) != "disabled/"+faceverify.ReasonKeyDisabled {
		t.Fatalf("disabled key: %v", err)
	}
	// Cloudauth refuses a disabled account at Create, not at authentication
	fx.tenant.KeyDisabled, fx.tenant.Disabled = false, true
	fx.store.UpdateTenant(ctx, fx.tenant)
	if _, err := fx.svc.AuthCloudauth(ctx, call("ak-1", "n8", now)); err != nil {
		t.Fatalf("disabled account at authentication: %v", err)
	}
}

func TestAuthLite(t *testing.T) {
	fx := newFixture(t, nil, verify.Config{})
	ctx := context.Background()
	for _, code := range []string{"", "code-2"} {
		if _, err := fx.svc.AuthLite(ctx, code, verify.ToRead); reason(err) != "unauthorized/"+faceverify.ReasonUnknownKey {
			t.Fatalf("code %q: %v", code, err)
		}
	}
	fx.tenant.KeyDisabled = true
	fx.store.UpdateTenant(ctx, fx.tenant)
	if _, err := fx.svc.AuthLite(ctx, "code-1", verify.ToCreate); reason(err) != "disabled/"+faceverify.ReasonKeyDisabled {
		t.Fatalf("discontinued key, create: %v", err)
	}
	if _, err := fx.svc.AuthLite(ctx, "code-1", verify.ToRead); err != nil {
		t.Fatalf("discontinued key, read: %v", err)
	}
	fx.tenant.KeyDisabled, fx.tenant.Disabled = false, true
	fx.store.UpdateTenant(ctx, fx.tenant)
	if _, err := fx.svc.AuthLite(ctx, "code-1", verify.ToCreate); reason(err) != "disabled/"+faceverify.ReasonAccountDisabled {
		t.Fatalf("disabled account, create: %v", err)
	}
}
