package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
)

// Golden rows: the sealed JSON exactly as the release before the issue-14 refactor
// (commit 89b6668) wrote it, produced by that release's own types (every field set).
//
//go:embed testdata/*_89b6668.json
var golden embed.FS

// LegacyKey seals the golden rows; the store under test must open with LegacyBox.
var LegacyKey = seal.NewKey(89)

// LegacyBox is the key ring of the golden rows.
func LegacyBox(t testing.TB) *seal.Box {
	box, err := seal.New(LegacyKey)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// RawFactory returns a fresh empty store opened with box, and a handle on its database
// to plant rows the way an older release wrote them.
type RawFactory func(t *testing.T, box *seal.Box) (faceverify.Store, *sql.DB)

// RunLegacy checks that rows written by the previous release are read back with every
// field intact, and that a rewrite keeps that release's field names (a rollback reads them).
func RunLegacy(t *testing.T, newStore RawFactory) {
	ctx := context.Background()
	box := LegacyBox(t)
	s, db := newStore(t, box)
	sealed := func(name, aad string) []byte {
		b, err := golden.ReadFile("testdata/" + name + "_89b6668.json")
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatal(err)
		}
		return box.Seal(compact.Bytes(), []byte(aad))
	}
	want := LegacySession()
	tenant := LegacyTenant()
	entry := LegacyRegistryEntry()
	plant := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// $n placeholders: PostgreSQL's, and SQLite binds them in order.
	plant(`INSERT INTO tenants (id, app_code, access_key_id, quota, used, created_at, data) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		tenant.ID, tenant.AppCode, tenant.AccessKeyID, tenant.Quota, tenant.Used, tenant.CreatedAt.UnixMilli(), sealed("tenant", "tenant:"+tenant.ID))
	plant(`INSERT INTO sessions (token, tenant_id, state, version, created_at, expires_at, retain_until, data) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
		want.Token, want.TenantID, string(want.State), want.Version, want.CreatedAt.UnixMilli(), want.ExpiresAt.UnixMilli(), want.RetainUntil.UnixMilli(),
		sealed("session", "session:"+want.Token))
	idx := box.Index(entry.Number)
	plant(`INSERT INTO registry (number_index, created_at, data) VALUES ($1,$2,$3)`, idx, entry.CreatedAt.UnixMilli(), sealed("registry", "registry:"+idx))

	for _, c := range []struct {
		name string
		get  func() (any, error)
		want any
	}{
		{"Session", func() (any, error) { return s.Session(ctx, want.Token) }, want},
		{"TenantByID", func() (any, error) { return s.Tenant(ctx, tenant.ID) }, tenant},
		{"TenantByAppCode", func() (any, error) { return s.TenantByAppCode(ctx, tenant.AppCode) }, tenant},
		{"TenantByAccessKey", func() (any, error) { return s.TenantByAccessKey(ctx, tenant.AccessKeyID) }, tenant},
		{"Registry", func() (any, error) { return s.RegistryEntry(ctx, entry.Number) }, entry},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.get()
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, c.name, got, c.want)
		})
	}
	t.Run("RewriteKeepsFormat", func(t *testing.T) {
		ss, err := s.Session(ctx, want.Token)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		var data []byte
		if err := db.QueryRowContext(ctx, `SELECT data FROM sessions WHERE token = $1`, want.Token).Scan(&data); err != nil {
			t.Fatal(err)
		}
		plain, err := box.Open(data, []byte("session:"+want.Token))
		if err != nil {
			t.Fatal(err)
		}
		wantJSON, _ := golden.ReadFile("testdata/session_89b6668.json")
		var a, b map[string]any
		if err := json.Unmarshal(plain, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(wantJSON, &b); err != nil {
			t.Fatal(err)
		}
		b["version"] = float64(want.Version + 1)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("rewritten row differs from the previous release's format:\n got %s\nwant %s", plain, wantJSON)
		}
		got, err := s.Session(ctx, want.Token)
		if err != nil {
			t.Fatal(err)
		}
		want := LegacySession()
		want.Version++
		mustEqual(t, "rewritten session", got, want)
	})
}

func mustEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("%s read back differs:\n got %s\nwant %s", what, g, w)
	}
}

var legacyT0 = time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)

// LegacySession is the session of the golden row testdata/session_89b6668.json, every
// field set (the best frame excepted: it is a blob, never in the row).
func LegacySession() *faceverify.Session {
	t0 := legacyT0
	leg := func(x float64) *faceverify.Legality {
		return &faceverify.Legality{Photocopy: x + 0.01, Edited: x + 0.02, IDPhoto: x + 0.9, Screen: x + 0.03, TemporaryIDPhoto: x + 0.04, Threshold: 0.8}
	}
	return &faceverify.Session{
		Token: "1763627400,0123456789abcdef0123456789abcdef", TenantID: "t1", Dialect: faceverify.DialectLite,
		State: faceverify.StateDone,
		Options: faceverify.Options{ReturnURL: "https://biz.example/return", NotifyURL: "https://biz.example/notify",
			NotifyToken: "cb-token", ExternalRef: "biz-42", UserRef: "user-7", ComparisonType: faceverify.CompareRegistry,
			IDFromCard: true, ClaimedName: "张三", ClaimedNumber: "11010119900307803X", IDCardThreshold: 0.8,
			IDCardRetries: 2, LivenessType: "video_number", SecurityLevel: 3,
			LivenessPrefs: 2, LivenessRetries: 3, RefImageKeys: []string{"ref/1", "ref/2"},
			RefEmbeddings: [][]float32{{0.5, 0.25}, {-0.125, 1}}, Meta: map[string]string{"MetaInfo": "{}", "Ip": "10.0.0.1"}},
		CreatedAt: t0, UpdatedAt: t0.Add(3 * time.Minute), ExpiresAt: t0.Add(time.Hour), RetainUntil: t0.Add(30 * 24 * time.Hour),
		Started: true, Challenge: "4821", Attempts: 2, IDCardAttempts: map[string]int{"front": 1, "back": 2},
		IDCard: &faceverify.IDCardResult{Name: "张三", Number: "11010119900307803X", Gender: "男", Nationality: "汉",
			BirthYear: "1990", BirthMonth: "3", BirthDay: "7", Address: "北京市东城区景山前街4号", IssuedBy: "北京市公安局东城分局",
			ValidDateStart: "2015.03.07", ValidDateEnd: "2035.03.07", FrontLegality: leg(0), BackLegality: leg(0.001),
			FrontCompleteness: 2, BackCompleteness: 1, PortraitEmbedding: []float32{0.75, -0.25}},
		Images:          map[string]string{"image_best": "img/best", "idcard_frontside": "img/front"},
		PendingVideoKey: "video/pending",
		LastAttempt: &faceverify.Liveness{Result: faceverify.ResultLipVoiceNotSync, Challenge: "1234", DigitsHeard: "1294",
			Scores: map[string]float64{"sync": 0.12}, AttackScore: 0.6, QualityScore: 70, Occluded: true},
		Verdict: &faceverify.Verdict{Result: faceverify.ResultSuccess, DecidedAt: t0.Add(4 * time.Minute),
			Liveness: &faceverify.Liveness{Result: faceverify.ResultSuccess, Challenge: "4821", DigitsHeard: "4821",
				Scores: map[string]float64{"sync": 0.71, "antispoof": 0.93}, AttackScore: 0.07, QualityScore: 88.5,
				Embedding: []float32{0.25, -0.5, 0.125}, Timings: map[string]float64{"decode": 210, "detect": 35}},
			Verification: map[string]faceverify.Comparison{
				"idcard":   {Similarity: 0.61, Confidence: 82.5, VerifyScore: 91.25, Thresholds: map[string]float64{"1e-3": 62, "1e-4": 69, "1e-5": 74, "1e-6": 78}, Threshold: 74, Passed: true},
				"portrait": {Similarity: 0.55, Confidence: 79, VerifyScore: 88, Thresholds: map[string]float64{"1e-3": 62}, Threshold: 74, Passed: true},
			}},
		Version: 7,
	}
}

// LegacyTenant is the tenant of testdata/tenant_89b6668.json (Registry came later: empty).
func LegacyTenant() *faceverify.Tenant {
	return &faceverify.Tenant{ID: "t1", Name: "Tenant One", AppCode: "app-t1", AccessKeyID: "ak-t1", AccessKeySecret: "sk-t1",
		SceneID: "1000001", NotifySecret: "ns-t1", Disabled: true, KeyDisabled: true, Quota: 100, Used: 5,
		Concurrency: 4, Checks: faceverify.Checks{LipSyncOff: true}, CreatedAt: legacyT0}
}

// LegacyRegistryEntry is the entry of testdata/registry_89b6668.json.
func LegacyRegistryEntry() *faceverify.RegistryEntry {
	return &faceverify.RegistryEntry{Number: "11010119900307803X", Name: "张三", PhotoKey: "registry/photo1",
		Embedding: []float32{0.5, -0.75}, CreatedAt: legacyT0}
}
