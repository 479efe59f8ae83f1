package httpapi_test

// Handler tests against a fake of the use cases: what the HTTP layer itself owns (which
// use case a route calls with what, and how a domain error is rendered per dialect),
// without a store, blobs or models.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/httpapi"
	"github.com/faceverify/faceverify/verify"
)

// fakeUseCases answers every use case from its fields and records the calls it got.
type fakeUseCases struct {
	tenant    *faceverify.Tenant
	authErr   error // returned by AuthLite / AuthCloudauth
	session   *faceverify.Session
	images    map[string][]byte
	intents   []verify.Intent
	signed    []verify.SignedCall
	deleted   []string
	resultFor []string
}

func (f *fakeUseCases) AuthLite(_ context.Context, code string, in verify.Intent) (*faceverify.Tenant, error) {
	f.intents = append(f.intents, in)
	if f.authErr != nil {
		return nil, f.authErr
	}
	return f.tenant, nil
}

func (f *fakeUseCases) AuthCloudauth(_ context.Context, c verify.SignedCall) (*faceverify.Tenant, error) {
	f.signed = append(f.signed, c)
	if f.authErr != nil {
		return nil, f.authErr
	}
	return f.tenant, nil
}

func (f *fakeUseCases) Create(context.Context, *faceverify.Tenant, verify.CreateRequest) (*faceverify.Session, error) {
	return f.session, nil
}

func (f *fakeUseCases) Result(_ context.Context, t *faceverify.Tenant, _ faceverify.Dialect, token string) (*faceverify.Session, error) {
	f.resultFor = append(f.resultFor, token)
	if f.session == nil || token != f.session.Token {
		return nil, faceverify.Errorf(faceverify.ENOTFOUND, "session not found")
	}
	return f.session, nil
}

func (f *fakeUseCases) Images(context.Context, *faceverify.Session) (map[string][]byte, error) {
	return f.images, nil
}

func (f *fakeUseCases) BestImage(context.Context, string) ([]byte, error) {
	return nil, faceverify.Errorf(faceverify.ENOTFOUND, "no picture")
}

func (f *fakeUseCases) Delete(_ context.Context, _ *faceverify.Tenant, _ faceverify.Dialect, token string) error {
	f.deleted = append(f.deleted, token)
	return nil
}

func (f *fakeUseCases) Page(context.Context, string) (*faceverify.Session, error) {
	return nil, faceverify.Errorf(faceverify.ENOTFOUND, "session not found")
}

func (f *fakeUseCases) SubmitIDCard(context.Context, string, string, []byte) (*verify.IDCardOutcome, error) {
	return nil, faceverify.Errorf(faceverify.ENOTFOUND, "session not found")
}

func (f *fakeUseCases) SubmitVideo(context.Context, string, io.Reader) (*verify.VideoOutcome, error) {
	return nil, faceverify.Errorf(faceverify.ENOTFOUND, "session not found")
}

func (f *fakeUseCases) RejectOversizedVideo(context.Context, string) (*verify.VideoOutcome, error) {
	return nil, faceverify.Errorf(faceverify.ENOTFOUND, "session not found")
}

func (f *fakeUseCases) Cancel(context.Context, string) (*faceverify.Session, error) {
	return nil, faceverify.Errorf(faceverify.ENOTFOUND, "session not found")
}

func (f *fakeUseCases) Limits() verify.Limits {
	return verify.Limits{VideoBytes: 1 << 20, ImageBytes: 1 << 20}
}

func (f *fakeUseCases) Now() time.Time { return time.Unix(1_760_000_000, 0) }

func serveFake(t *testing.T, f *fakeUseCases, r *http.Request) (int, map[string]any) {
	t.Helper()
	srv := httpapi.NewServer(httpapi.Deps{Service: f, UploadRate: -1})
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: %d non-JSON %q", r.Method, r.URL.Path, w.Code, w.Body.String())
	}
	return w.Code, out
}

func liteRequest(path string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "APPCODE code-1")
	return r
}

// Lite asks the use case to authenticate for the route's intent, and renders the domain
// reasons of a refusal in Lite's words.
func TestLiteHandlersWithFake(t *testing.T) {
	tenant := &faceverify.Tenant{ID: "t1"}
	f := &fakeUseCases{tenant: tenant, authErr: &faceverify.Error{Code: faceverify.EDISABLED, Key: faceverify.ReasonKeyDisabled}}
	st, out := serveFake(t, f, liteRequest("/lite/v1/get_biz_token", url.Values{}))
	if st != 403 || out["error"] != "AUTHORIZATION_ERROR:API_KEY_BE_DISCONTINUED" {
		t.Fatalf("discontinued key: %d %v", st, out)
	}
	f.authErr = &faceverify.Error{Code: faceverify.EDISABLED, Key: faceverify.ReasonAccountDisabled}
	if st, out := serveFake(t, f, liteRequest("/lite/v1/get_biz_token", url.Values{})); st != 403 || out["error"] != "AUTHORIZATION_ERROR:ACCOUNT_DISABLED" {
		t.Fatalf("disabled account: %d %v", st, out)
	}
	f.authErr = nil
	f.session = &faceverify.Session{Token: "1760000000,abc", TenantID: "t1", State: faceverify.StateDone,
		Verdict: &faceverify.Verdict{Result: faceverify.ResultSuccess}}
	f.images = map[string][]byte{"image_best": []byte("jpeg bytes")}
	st, out = serveFake(t, f, liteRequest("/lite/v1/get_result", url.Values{"biz_token": {f.session.Token}, "return_image": {"1"}}))
	if st != 200 {
		t.Fatalf("get_result: %d %v", st, out)
	}
	if st, out := serveFake(t, f, liteRequest("/lite/v1/get_result", url.Values{"biz_token": {"1760000000,other"}})); st != 400 || out["error"] != "BAD_ARGUMENTS:biz_token" {
		t.Fatalf("unknown token: %d %v", st, out)
	}
	if st, out := serveFake(t, f, liteRequest("/lite/v1/delete_result", url.Values{"biz_token": {f.session.Token}})); st != 200 || out["deleted"] != true {
		t.Fatalf("delete_result: %d %v", st, out)
	}
	want := []verify.Intent{verify.ToCreate, verify.ToCreate, verify.ToRead, verify.ToRead, verify.ToRead}
	if len(f.intents) != len(want) {
		t.Fatalf("intents %v, want %v", f.intents, want)
	}
	for i := range want {
		if f.intents[i] != want[i] {
			t.Fatalf("intents %v, want %v", f.intents, want)
		}
	}
	if len(f.deleted) != 1 || f.deleted[0] != f.session.Token {
		t.Fatalf("deleted %v", f.deleted)
	}
}

// Cloudauth hands the signed call to the use case and renders each domain reason of a
// refusal as its POP code; the routes are Cloudauth's own (no wiring-supplied extras).
func TestCloudauthHandlersWithFake(t *testing.T) {
	now := time.Now().UTC()
	signed := func() *http.Request {
		ps := []caKV{{"AccessKeyId", "ak-1"}, {"Action", "DescribeFaceVerify"}, {"Format", "JSON"}, {"RegionId", "cn-hangzhou"},
			{"SignatureMethod", "HMAC-SHA1"}, {"SignatureNonce", "n-1"}, {"SignatureType", ""}, {"SignatureVersion", "1.0"},
			{"Timestamp", now.Format("2006-01-02T15:04:05Z")}, {"Version", "2019-03-07"}, {"SceneId", "1"}, {"CertifyId", "x"}}
		q := url.Values{}
		for _, p := range ps {
			q.Add(p.k, p.v)
		}
		q.Set("Signature", caSignV1(http.MethodGet, "secret-1", ps))
		return httptest.NewRequest(http.MethodGet, "/?"+q.Encode(), nil)
	}
	cases := []struct {
		reason string
		code   string
		status int
	}{
		{faceverify.ReasonUnknownKey, "InvalidAccessKeyId.NotFound", 404},
		{faceverify.ReasonBadSignature, "SignatureDoesNotMatch", 400},
		{faceverify.ReasonStale, "InvalidTimeStamp.Expired", 400},
		{faceverify.ReasonReplayed, "SignatureNonceUsed", 400},
	}
	for _, c := range cases {
		f := &fakeUseCases{authErr: &faceverify.Error{Code: faceverify.EUNAUTHORIZED, Key: c.reason}}
		st, out := serveFake(t, f, signed())
		if st != c.status || out["Code"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.reason, st, out, c.status, c.code)
		}
		if len(f.signed) != 1 || f.signed[0].KeyID != "ak-1" || f.signed[0].Nonce != "n-1" || !f.signed[0].At.Equal(now.Truncate(time.Second)) {
			t.Fatalf("signed call %+v", f.signed)
		}
		if !f.signed[0].Verify("secret-1") || f.signed[0].Verify("secret-2") {
			t.Fatal("the signed call does not check its signature")
		}
	}
	f := &fakeUseCases{authErr: &faceverify.Error{Code: faceverify.EDISABLED, Key: faceverify.ReasonKeyDisabled}}
	if st, out := serveFake(t, f, signed()); st != 400 || out["Code"] != "InvalidAccessKeyId.Inactive" {
		t.Fatalf("disabled key: %d %v", st, out)
	}
	// the picture route is registered by the server itself
	w := httptest.NewRecorder()
	httpapi.NewServer(httpapi.Deps{Service: f}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/cloudauth/v1/picture/abc.jpeg", nil))
	if w.Code != http.StatusForbidden {
		t.Fatalf("unsigned picture URL: %d", w.Code)
	}
}
