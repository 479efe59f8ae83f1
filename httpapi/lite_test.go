package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testclock"
	"github.com/faceverify/faceverify/internal/testenv"
)

type liteResp struct {
	RequestID     string                    `json:"request_id"`
	TimeUsed      *int64                    `json:"time_used"`
	BizToken      string                    `json:"biz_token"`
	BizNo         *string                   `json:"biz_no"`
	Error         string                    `json:"error"`
	ResultCode    string                    `json:"result_code"`
	ResultMessage string                    `json:"result_message"`
	Action        []string                  `json:"action"`
	Images        map[string]string         `json:"images"`
	Verification  map[string]map[string]any `json:"verification"`
}

var (
	tokenRE = regexp.MustCompile(`^\d{10},[0-9a-f]{32}$`)
	reqIDRE = regexp.MustCompile(`^\d{10},[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func checkEnvelope(t *testing.T, r liteResp) {
	t.Helper()
	if !reqIDRE.MatchString(r.RequestID) || r.TimeUsed == nil {
		t.Fatalf("envelope: request_id %q time_used %v", r.RequestID, r.TimeUsed)
	}
}

func TestGetBizTokenParameters(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	with := apitest.LiteForm
	cases := []struct {
		name   string
		form   url.Values
		status int
		err    string
	}{
		{"ok", apitest.LiteForm(), 200, ""},
		{"missing return_url", with("return_url", "<del>"), 400, "MISSING_ARGUMENTS:return_url"},
		{"return_url not http", with("return_url", "ftp://x.example/"), 400, "BAD_ARGUMENTS:return_url"},
		{"return_url javascript", with("return_url", "javascript:alert(1)"), 400, "BAD_ARGUMENTS:return_url"},
		{"missing notify_url", with("notify_url", "<del>"), 400, "MISSING_ARGUMENTS:notify_url"},
		{"notify_url relative", with("notify_url", "/notify"), 400, "BAD_ARGUMENTS:notify_url"},
		{"missing liveness_type", with("liveness_type", "<del>"), 400, "MISSING_ARGUMENTS:liveness_type"},
		{"bad liveness_type", with("liveness_type", "meglive"), 400, "BAD_ARGUMENTS:liveness_type"},
		{"missing idcard_name", with("idcard_name", "<del>"), 400, "MISSING_ARGUMENTS:idcard_name"},
		{"missing idcard_number", with("idcard_number", "<del>"), 400, "MISSING_ARGUMENTS:idcard_number"},
		{"bad idcard checksum", with("idcard_number", "110105194912310021"), 400, "BAD_ARGUMENTS:idcard_number"},
		{"group 1 needs no name", with("group", "1", "idcard_name", "<del>", "idcard_number", "<del>"), 200, ""},
		{"group 2", with("group", "2"), 400, "BAD_ARGUMENTS:group"},
		{"biz_no 128 bytes", with("biz_no", strings.Repeat("b", 128)), 200, ""},
		{"biz_no 129 bytes", with("biz_no", strings.Repeat("b", 129)), 400, "BAD_ARGUMENTS:biz_no"},
		{"idcard_threshold 1.5", with("idcard_threshold", "1.5"), 400, "BAD_ARGUMENTS:idcard_threshold"},
		{"idcard_threshold NaN", with("idcard_threshold", "NaN"), 400, "BAD_ARGUMENTS:idcard_threshold"},
		{"idcard_threshold 0.5", with("idcard_threshold", "0.5"), 200, ""},
		{"idcard_retry_time 0", with("idcard_retry_time", "0"), 400, "BAD_ARGUMENTS:idcard_retry_time"},
		{"idcard_retry_time 6", with("idcard_retry_time", "6"), 400, "BAD_ARGUMENTS:idcard_retry_time"},
		{"idcard_side 2", with("idcard_side", "2"), 400, "BAD_ARGUMENTS:idcard_side"},
		{"security_level 4", with("security_level", "4"), 400, "BAD_ARGUMENTS:security_level"},
		{"security_level x", with("security_level", "x"), 400, "BAD_ARGUMENTS:security_level"},
		{"liveness_preferences 3", with("liveness_preferences", "3"), 400, "BAD_ARGUMENTS:liveness_preferences"},
		{"liveness_retry_count 0", with("liveness_retry_count", "0"), 400, "BAD_ARGUMENTS:liveness_retry_count"},
		{"liveness_retry_count 5", with("liveness_retry_count", "5"), 200, ""},
		{"comparison_type 2", with("comparison_type", "2"), 400, "BAD_ARGUMENTS:comparison_type"},
		{"comparison_type 0 needs uuid", with("comparison_type", "0"), 400, "MISSING_ARGUMENTS:uuid"},
		{"uuid too long", with("comparison_type", "0", "uuid", strings.Repeat("u", 129)), 400, "BAD_ARGUMENTS:uuid"},
		{"comparison_type 0 needs image_ref1", with("comparison_type", "0", "uuid", "u1"), 400, "MISSING_ARGUMENTS:image_ref1"},
		{"image_ref1 as text", with("comparison_type", "0", "uuid", "u1", "image_ref1", "aGVsbG8="), 400, "BAD_ARGUMENTS:image_ref1"},
		{"non-UTF-8 name", with("idcard_name", "\xff\xfe"), 400, "BAD_ARGUMENTS:idcard_name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r liteResp
			status := s.PostForm(t, "/lite/v1/get_biz_token", c.form, &r)
			checkEnvelope(t, r)
			if status != c.status || r.Error != c.err {
				t.Fatalf("got %d %q, want %d %q", status, r.Error, c.status, c.err)
			}
			if c.status == 200 && !tokenRE.MatchString(r.BizToken) {
				t.Fatalf("biz_token %q", r.BizToken)
			}
		})
	}
}

func rawPost(t *testing.T, s *apitest.Server, path, contentType string, body []byte, auth string) (int, liteResp) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	var r liteResp
	status := apitest.Do(t, req, &r)
	checkEnvelope(t, r)
	return status, r
}

func TestGetBizTokenTransport(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	auth := "APPCODE " + s.Tenant.AppCode
	form := []byte(apitest.LiteForm().Encode())
	cases := []struct {
		name, ct string
		body     []byte
		auth     string
		status   int
		err      string
	}{
		{"no auth", "application/x-www-form-urlencoded", form, "", 403, "AUTHORIZATION_ERROR:INVALID_SIGN"},
		{"wrong appcode", "application/x-www-form-urlencoded", form, "APPCODE nope", 403, "AUTHORIZATION_ERROR:INVALID_SIGN"},
		{"basic auth", "application/x-www-form-urlencoded", form, "Basic eDp5", 403, "AUTHORIZATION_ERROR:INVALID_SIGN"},
		{"json body", "application/json", []byte(`{"return_url":"https://x"}`), auth, 400, "BAD_ARGUMENTS:Content-Type"},
		{"garbage content type", "x/;;;", form, auth, 400, "BAD_ARGUMENTS:Content-Type"},
		{"multipart without boundary", "multipart/form-data", form, auth, 400, "BAD_ARGUMENTS:Content-Type"},
		{"broken multipart", "multipart/form-data; boundary=xyz", []byte("--xyz\r\nbroken"), auth, 400, "BAD_ARGUMENTS:body"},
		{"duplicate param", "application/x-www-form-urlencoded", append(form, []byte("&return_url=https://b.example/")...), auth, 400, "BAD_ARGUMENTS:return_url"},
		{"bad percent encoding", "application/x-www-form-urlencoded", []byte("return_url=%zz"), auth, 400, "BAD_ARGUMENTS:body"},
		{"empty body", "application/x-www-form-urlencoded", nil, auth, 400, "MISSING_ARGUMENTS:return_url"},
		{"huge field", "application/x-www-form-urlencoded", append(form, []byte("&biz_no="+strings.Repeat("x", 100000))...), auth, 400, "BAD_ARGUMENTS:biz_no"},
		{"over 20 MB", "application/x-www-form-urlencoded", append(form, []byte("&pad="+strings.Repeat("x", 21<<20))...), auth, 413, "Request Entity Too Large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, r := rawPost(t, s, "/lite/v1/get_biz_token", c.ct, c.body, c.auth)
			if status != c.status || r.Error != c.err {
				t.Fatalf("got %d %q, want %d %q", status, r.Error, c.status, c.err)
			}
		})
	}
	t.Run("multipart ok", func(t *testing.T) {
		body, ct := testenv.Multipart(apitest.LiteForm())
		status, r := rawPost(t, s, "/lite/v1/get_biz_token", ct, body, auth)
		if status != 200 || !tokenRE.MatchString(r.BizToken) {
			t.Fatalf("multipart: %d %+v", status, r)
		}
	})
}

func getResult(t *testing.T, s *apitest.Server, appcode, token string) (int, liteResp) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/lite/v1/get_result?biz_token="+url.QueryEscape(token), nil)
	req.Header.Set("Authorization", "APPCODE "+appcode)
	var r liteResp
	status := apitest.Do(t, req, &r)
	checkEnvelope(t, r)
	return status, r
}

func TestGetResultStates(t *testing.T) {
	clock := testclock.New(time.Now())
	s := apitest.Start(t, apitest.Options{Clock: clock})
	f := apitest.LiteForm()
	f.Set("biz_no", "order-42")
	var created liteResp
	if s.PostForm(t, "/lite/v1/get_biz_token", f, &created) != 200 {
		t.Fatalf("create: %+v", created)
	}
	tok := created.BizToken

	status, r := getResult(t, s, s.Tenant.AppCode, tok)
	if status != 200 || r.ResultCode != "9000" || r.ResultMessage != "LIVING_NOT_START" || r.BizToken != tok ||
		r.BizNo == nil || *r.BizNo != "order-42" || r.Action == nil {
		t.Fatalf("before start: %d %+v", status, r)
	}
	if status, r := getResult(t, s, s.Tenant.AppCode, "1700000000,00000000000000000000000000000000"); status != 400 || r.Error != "BAD_ARGUMENTS:biz_token" {
		t.Fatalf("unknown token: %d %+v", status, r)
	}
	if status, r := getResult(t, s, s.Tenant.AppCode, ""); status != 400 || r.Error != "MISSING_ARGUMENTS:biz_token" {
		t.Fatalf("missing token: %d %+v", status, r)
	}
	// another tenant cannot see it, and learns nothing more than for an unknown token
	other := admin.NewTenant("other", -1)
	if err := s.App.Store.CreateTenant(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if status, r := getResult(t, s, other.AppCode, tok); status != 400 || r.Error != "BAD_ARGUMENTS:biz_token" || r.ResultCode != "" {
		t.Fatalf("other tenant: %d %+v", status, r)
	}

	// the page opens the session and the user cancels → 6000 USER_CANCEL
	var view map[string]any
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+tok, nil)
	if apitest.Do(t, req, &view) != 200 || view["step"] != "video" || len(view["digits"].(string)) != 4 {
		t.Fatalf("page view: %+v", view)
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+tok+"/cancel", nil)
	if apitest.Do(t, req, &view) != 200 || view["state"] != "cancelled" {
		t.Fatalf("cancel: %+v", view)
	}
	if !strings.Contains(view["return_url"].(string), "biz_token="+url.QueryEscape(tok)) {
		t.Fatalf("return_url: %v", view["return_url"])
	}
	if _, r := getResult(t, s, s.Tenant.AppCode, tok); r.ResultCode != "6000" || r.ResultMessage != "USER_CANCEL" {
		t.Fatalf("after cancel: %+v", r)
	}
	// single use: the page refuses further actions
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+tok+"/cancel", nil)
	var e map[string]any
	if st := apitest.Do(t, req, &e); st != 409 || e["error"] != "USED" {
		t.Fatalf("second cancel: %d %+v", st, e)
	}

	// expiry: a token unused for an hour is refused by the page
	var c2 liteResp
	s.PostForm(t, "/lite/v1/get_biz_token", apitest.LiteForm(), &c2)
	clock.Advance(time.Hour + time.Second)
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+c2.BizToken, nil)
	if apitest.Do(t, req, &view) != 200 || view["state"] != "expired" || view["step"] != "expired" {
		t.Fatalf("expired view: %+v", view)
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+c2.BizToken+"/cancel", nil)
	if st := apitest.Do(t, req, &e); st != 410 || e["error"] != "EXPIRED" {
		t.Fatalf("expired cancel: %d %+v", st, e)
	}
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/nope", nil)
	if st := apitest.Do(t, req, &e); st != 404 || e["error"] != "TOKEN_INVALID" {
		t.Fatalf("unknown page token: %d %+v", st, e)
	}
}

func TestDeleteResult(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	var c liteResp
	s.PostForm(t, "/lite/v1/get_biz_token", apitest.LiteForm(), &c)
	var d map[string]any
	if st := s.PostForm(t, "/lite/v1/delete_result", url.Values{"biz_token": {c.BizToken}}, &d); st != 200 || d["deleted"] != true {
		t.Fatalf("delete: %d %+v", st, d)
	}
	if st, r := getResult(t, s, s.Tenant.AppCode, c.BizToken); st != 400 || r.Error != "BAD_ARGUMENTS:biz_token" {
		t.Fatalf("after delete: %d %+v", st, r)
	}
	keys, _ := s.App.Blobs.List(context.Background(), "sessions/")
	if len(keys) != 0 {
		t.Fatalf("blobs left: %v", keys)
	}
}

func TestTenantLimits(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	s.Tenant.Quota = 1
	s.App.Store.UpdateTenant(ctx, s.Tenant)
	var r liteResp
	if st := s.PostForm(t, "/lite/v1/get_biz_token", apitest.LiteForm(), &r); st != 200 {
		t.Fatalf("first: %d %+v", st, r)
	}
	if st := s.PostForm(t, "/lite/v1/get_biz_token", apitest.LiteForm(), &r); st != 403 || r.Error != "AUTHORIZATION_ERROR:BALANCE_NOT_ENOUGH" {
		t.Fatalf("over quota: %d %+v", st, r)
	}
	s.Tenant.Quota = -1
	s.Tenant.KeyDisabled = true
	s.App.Store.UpdateTenant(ctx, s.Tenant)
	if st := s.PostForm(t, "/lite/v1/get_biz_token", apitest.LiteForm(), &r); st != 403 || r.Error != "AUTHORIZATION_ERROR:API_KEY_BE_DISCONTINUED" {
		t.Fatalf("key disabled: %d %+v", st, r)
	}
	s.Tenant.KeyDisabled = false
	s.Tenant.Disabled = true
	s.App.Store.UpdateTenant(ctx, s.Tenant)
	if st := s.PostForm(t, "/lite/v1/get_biz_token", apitest.LiteForm(), &r); st != 403 || r.Error != "AUTHORIZATION_ERROR:ACCOUNT_DISABLED" {
		t.Fatalf("account disabled: %d %+v", st, r)
	}
	// a session whose tenant is disabled after creation ends with 5000 ACCOUNT_DISABLED
	s.Tenant.Disabled = false
	s.App.Store.UpdateTenant(ctx, s.Tenant)
	var c liteResp
	if st := s.PostForm(t, "/lite/v1/get_biz_token", apitest.LiteForm(), &c); st != 200 {
		t.Fatalf("create: %d %+v", st, c)
	}
	s.Tenant.Disabled = true
	s.App.Store.UpdateTenant(ctx, s.Tenant)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+c.BizToken, nil)
	var view map[string]any
	if st := apitest.Do(t, req, &view); st != 200 || view["state"] != "failed" {
		t.Fatalf("page of a disabled tenant: %d %v", st, view)
	}
	res := view["result"].(map[string]any)
	if res["code"].(float64) != float64(faceverify.ResultAccountDisabled.Code) || res["message"] != "ACCOUNT_DISABLED" {
		t.Fatalf("result %v", res)
	}
	got, _ := s.App.Store.Session(ctx, c.BizToken)
	if got.Result() != faceverify.ResultAccountDisabled {
		t.Fatalf("stored result %v", got.Result())
	}
}

func TestHealth(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	for _, p := range []string{"/healthz", "/readyz"} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+p, nil)
		if st := apitest.Do(t, req, nil); st != 200 {
			t.Fatalf("%s: %d", p, st)
		}
	}
}
