package httpapi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	stderrors "errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cloudauth"

	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testclock"
)

var (
	caCertifyIDRE   = regexp.MustCompile(`^[0-9a-f]{32}$`)
	caAliReqIDRE    = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)
	caTestMetaInfo  = `{"zimVer":"3.0.0","appVersion":"1","bioMetaInfo":"4.1.0:1150,0","appName":"com.aliyun.antcloudauth","deviceType":"h5","osVersion":"iOS 10.3.2","apdidToken":"","deviceModel":"iPhone9,1"}`
	caTestCertNo    = "11010519491231002X"
	caTestCertName  = "张三"
	caTestReturnURL = "https://biz.example/return?from=cloudauth"
)

// caSdkClient returns the official Go SDK client pointed at the test server.
func caSdkClient(t *testing.T, ak, secret string) *cloudauth.Client {
	t.Helper()
	c, err := cloudauth.NewClientWithAccessKey("cn-hangzhou", ak, secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func caHost(s *apitest.Server) string { return strings.TrimPrefix(s.URL, "http://") }

func caInitReq(s *apitest.Server, caKV ...string) *cloudauth.InitFaceVerifyRequest {
	r := cloudauth.CreateInitFaceVerifyRequest()
	r.Domain, r.Scheme = caHost(s), "http"
	r.SceneId = requests.Integer(s.Tenant.SceneID)
	r.OuterOrderNo = "e0c34a77f5ac40a5aa5e6ed20c353888"
	r.ProductCode = "ID_PRO"
	r.CertType = "IDENTITY_CARD"
	r.CertName = caTestCertName
	r.CertNo = caTestCertNo
	r.ReturnUrl = caTestReturnURL
	r.MetaInfo = caTestMetaInfo
	r.Model = "LIVENESS"
	for i := 0; i < len(caKV); i += 2 {
		caSetField(r, caKV[i], caKV[i+1])
	}
	return r
}

func caSetField(r *cloudauth.InitFaceVerifyRequest, k, v string) {
	fields := map[string]*string{"OuterOrderNo": &r.OuterOrderNo, "ProductCode": &r.ProductCode, "CertType": &r.CertType,
		"CertName": &r.CertName, "CertNo": &r.CertNo, "ReturnUrl": &r.ReturnUrl, "MetaInfo": &r.MetaInfo, "Mobile": &r.Mobile,
		"Ip": &r.Ip, "UserId": &r.UserId, "CallbackUrl": &r.CallbackUrl, "CallbackToken": &r.CallbackToken,
		"CertifyUrlType": &r.CertifyUrlType, "AuthId": &r.AuthId, "FaceContrastPicture": &r.FaceContrastPicture,
		"FaceContrastPictureUrl": &r.FaceContrastPictureUrl, "Model": &r.Model, "OssBucketName": &r.OssBucketName}
	if k == "SceneId" {
		r.SceneId = requests.Integer(v)
		return
	}
	p, ok := fields[k]
	if !ok {
		panic("unknown field " + k)
	}
	*p = v
}

func caDescribeReq(s *apitest.Server, id string) *cloudauth.DescribeFaceVerifyRequest {
	return s.DescribeRequest(id)
}

func caSdkInit(t *testing.T, s *apitest.Server, caKV ...string) *cloudauth.InitFaceVerifyResponse {
	t.Helper()
	resp, err := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret).InitFaceVerify(caInitReq(s, caKV...))
	if err != nil {
		t.Fatalf("InitFaceVerify: %v", err)
	}
	return resp
}

func TestCloudauthInitParameters(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	long := strings.Repeat("a", 65)
	cases := []struct {
		name string
		caKV []string
		code string
	}{
		{"ok", nil, "200"},
		{"ok unicode middle dot name", []string{"CertName", "阿依古丽·买买提"}, "200"},
		{"ok lower-case x", []string{"CertNo", strings.ToLower(caTestCertNo)}, "200"},
		{"ok all optional", []string{"Mobile", "13012345678", "Ip", "47.100.1.2", "UserId", "u-123", "CallbackUrl", "https://biz.example/cb?a=1",
			"CallbackToken", "NMjvQanQgplBSaEI0sL86WnQplB", "CertifyUrlType", "H5", "AuthId", "92d46b9e9e2d703f2897f350d5bd4149"}, "200"},
		{"http callback refused", []string{"CallbackUrl", "http://127.0.0.1:9/cb"}, "401"},
		{"http callback public host refused", []string{"CallbackUrl", "http://biz.example/cb"}, "401"},
		{"missing SceneId", []string{"SceneId", ""}, "400"},
		{"SceneId not a number", []string{"SceneId", "abc"}, "401"},
		{"SceneId of nobody", []string{"SceneId", "1000000006"}, "404"},
		{"missing ProductCode", []string{"ProductCode", ""}, "400"},
		{"ProductCode ID_PLUS", []string{"ProductCode", "ID_PLUS"}, "402"},
		{"missing OuterOrderNo", []string{"OuterOrderNo", ""}, "400"},
		{"OuterOrderNo 33 chars", []string{"OuterOrderNo", strings.Repeat("a", 33)}, "401"},
		{"OuterOrderNo with dash", []string{"OuterOrderNo", "order-1"}, "401"},
		{"CertType passport", []string{"CertType", "PASSPORT"}, "401"},
		{"CertName latin", []string{"CertName", "Zhang San"}, "401"},
		{"CertName one char", []string{"CertName", "张"}, "401"},
		{"CertName with digit", []string{"CertName", "张三1"}, "401"},
		{"CertNo bad checksum", []string{"CertNo", "110105194912310021"}, "401"},
		{"CertNo 15 digits", []string{"CertNo", "110105491231002"}, "401"},
		{"CertNo bad date", []string{"CertNo", "110105194913310028"}, "401"},
		{"missing CertName", []string{"CertName", ""}, "400"},
		{"missing CertNo", []string{"CertNo", ""}, "400"},
		{"missing ReturnUrl", []string{"ReturnUrl", ""}, "400"},
		{"ReturnUrl javascript", []string{"ReturnUrl", "javascript:alert(1)"}, "401"},
		{"missing MetaInfo", []string{"MetaInfo", ""}, "400"},
		{"MetaInfo not JSON", []string{"MetaInfo", "{zimVer"}, "401"},
		{"CallbackUrl ftp", []string{"CallbackUrl", "ftp://biz.example/"}, "401"},
		{"CertifyUrlType APP", []string{"CertifyUrlType", "APP"}, "401"},
		{"AuthId 65", []string{"AuthId", long}, "401"},
		{"Mobile letters", []string{"Mobile", "130xxxxxxxx"}, "401"},
		{"Ip bad", []string{"Ip", "47.100.XX.XX"}, "401"},
		{"Model unknown", []string{"Model", "TELEPATHY"}, "401"},
		{"FaceContrastPictureUrl refused", []string{"FaceContrastPictureUrl", "http://169.254.169.254/latest"}, "401"},
		{"OssBucketName refused", []string{"OssBucketName", "b"}, "401"},
		{"FaceContrastPicture not base64", []string{"FaceContrastPicture", "!!!"}, "401"},
		{"FaceContrastPicture not an image", []string{"FaceContrastPicture", base64.StdEncoding.EncodeToString([]byte("hello world"))}, "401"},
	}
	client := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := client.InitFaceVerify(caInitReq(s, c.caKV...))
			if err != nil {
				t.Fatalf("InitFaceVerify: %v", err)
			}
			if resp.GetHttpStatus() != 200 || resp.Code != c.code || !caAliReqIDRE.MatchString(resp.RequestId) {
				t.Fatalf("got HTTP %d %s, want Code %s", resp.GetHttpStatus(), resp.GetHttpContentString(), c.code)
			}
			var body map[string]any
			json.Unmarshal(resp.GetHttpContentBytes(), &body)
			if c.code != "200" {
				if _, has := body["ResultObject"]; has || resp.Message == "" || resp.Message == "success" {
					t.Fatalf("error body: %s", resp.GetHttpContentString())
				}
				return
			}
			if resp.Message != "success" || !caCertifyIDRE.MatchString(resp.ResultObject.CertifyId) ||
				!strings.HasSuffix(resp.ResultObject.CertifyUrl, "/cloudauth/v1/do/"+resp.ResultObject.CertifyId) {
				t.Fatalf("success body: %s", resp.GetHttpContentString())
			}
		})
	}
}

func TestCloudauthDescribeCodes(t *testing.T) {
	// the server clock runs 14 minutes behind the SDK's (within the ±15 min window) so it
	// can later move 28 minutes on, past the 20-minute page validity configured here
	clock := testclock.New(time.Now().Add(-14 * time.Minute))
	s := apitest.Start(t, apitest.Options{Clock: clock, Flags: []string{"--cloudauth-page-ttl", "20m"}})
	client := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret)
	id := caSdkInit(t, s).ResultObject.CertifyId
	describe := func(r *cloudauth.DescribeFaceVerifyRequest) *cloudauth.DescribeFaceVerifyResponse {
		t.Helper()
		resp, err := client.DescribeFaceVerify(r)
		if err != nil {
			t.Fatalf("DescribeFaceVerify: %v", err)
		}
		return resp
	}
	for _, c := range []struct {
		name, id, scene, code string
	}{
		{"not started", id, s.Tenant.SceneID, "424"},
		{"unknown", strings.Repeat("0", 32), s.Tenant.SceneID, "406"},
		{"malformed", "../../etc/passwd", s.Tenant.SceneID, "406"},
		{"upper-case", strings.ToUpper(id), s.Tenant.SceneID, "406"},
		{"missing", "", s.Tenant.SceneID, "400"},
		{"other scene", id, "1000000006", "404"},
	} {
		r := caDescribeReq(s, c.id)
		r.SceneId = requests.Integer(c.scene)
		if resp := describe(r); resp.Code != c.code || resp.ResultObject.SubCode != "" {
			t.Errorf("%s: got %s, want Code %s", c.name, resp.GetHttpContentString(), c.code)
		}
	}
	// another tenant's CertifyId is exactly an unknown one: never issued to this tenant
	other := admin.NewTenant("other", -1)
	if err := s.App.Store.CreateTenant(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	r := caDescribeReq(s, id)
	r.SceneId = requests.Integer(other.SceneID)
	if resp, err := caSdkClient(t, other.AccessKeyID, other.AccessKeySecret).DescribeFaceVerify(r); err != nil || resp.Code != "406" {
		t.Fatalf("other tenant: %v %+v", err, resp)
	}
	// in progress (page opened) → 424; abandoned → 424; expired → 424
	var view map[string]any
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+id, nil)
	if apitest.Do(t, req, &view) != 200 || view["step"] != "video" || view["dialect"] != "cloudauth" {
		t.Fatalf("page view: %+v", view)
	}
	if resp := describe(caDescribeReq(s, id)); resp.Code != "424" || resp.Message != "身份认证记录不存在" {
		t.Fatalf("in progress: %s", resp.GetHttpContentString())
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+id+"/cancel", nil)
	if apitest.Do(t, req, &view) != 200 || view["state"] != "cancelled" {
		t.Fatalf("cancel: %+v", view)
	}
	if ru, _ := view["return_url"].(string); ru != "https://biz.example/return?certifyId="+id+"&code=1003&from=cloudauth" {
		t.Fatalf("return_url after cancel: %q", ru)
	}
	if resp := describe(caDescribeReq(s, id)); resp.Code != "424" || resp.Message != "身份认证记录不存在" {
		t.Fatalf("abandoned: %s", resp.GetHttpContentString())
	}
	id2 := caSdkInit(t, s).ResultObject.CertifyId
	clock.Set(time.Now().Add(14 * time.Minute))
	if resp := describe(caDescribeReq(s, id2)); resp.Code != "424" {
		t.Fatalf("expired: %s", resp.GetHttpContentString())
	}
}

// caRecorder keeps the last request the SDK sent so it can be replayed.
type caRecorder struct {
	mu   sync.Mutex
	last *http.Request
	body []byte
}

func (r *caRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.last, r.body = req.Clone(context.Background()), body
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *caRecorder) replay(t *testing.T) (int, map[string]any) {
	t.Helper()
	r.mu.Lock()
	req := r.last.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(r.body))
	r.mu.Unlock()
	req.RequestURI = ""
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func caPopCode(t *testing.T, err error) (int, string) {
	t.Helper()
	var se *sdkerrors.ServerError
	if !caErrorsAs(err, &se) {
		t.Fatalf("want a ServerError, got %v", err)
	}
	return se.HttpStatus(), se.ErrorCode()
}

// TestCloudauthDeleteSDK: DeleteFaceVerifyResult through the official Go SDK erases the
// session; Describe then answers 406 (the id is unknown now), and another tenant cannot erase it.
func TestCloudauthDeleteSDK(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	init := caSdkInit(t, s)
	id := init.ResultObject.CertifyId
	del := func(ak, secret, certifyID, after string) (*cloudauth.DeleteFaceVerifyResultResponse, error) {
		r := cloudauth.CreateDeleteFaceVerifyResultRequest()
		r.Domain, r.Scheme = caHost(s), "http"
		r.CertifyId, r.DeleteAfterQuery = certifyID, after
		return caSdkClient(t, ak, secret).DeleteFaceVerifyResult(r)
	}
	other := admin.NewTenant("other", -1)
	if err := s.App.Store.CreateTenant(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if resp, err := del(other.AccessKeyID, other.AccessKeySecret, id, "N"); err != nil || resp.Code != "406" {
		t.Fatalf("other tenant's delete: %+v %v", resp, err)
	}
	if resp, err := del(s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret, id, "X"); err != nil || resp.Code != "401" {
		t.Fatalf("bad DeleteAfterQuery: %+v %v", resp, err)
	}
	if resp, err := del(s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret, "not-hex", "N"); err != nil || resp.Code == "200" {
		t.Fatalf("malformed id: %+v %v", resp, err)
	}
	resp, err := del(s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret, id, "Y")
	if err != nil || resp.Code != "200" || resp.ResultObject.DeleteResult != "Y" || resp.ResultObject.CertifyId != id {
		t.Fatalf("delete: %+v %v", resp, err)
	}
	d, err := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret).DescribeFaceVerify(caDescribeReq(s, id))
	if err != nil || d.Code != "406" {
		t.Fatalf("describe after delete: %+v %v", d, err)
	}
	if resp, err := del(s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret, id, "N"); err != nil || resp.Code != "406" {
		t.Fatalf("second delete: %+v %v", resp, err)
	}
	keys, _ := s.App.Blobs.List(context.Background(), "sessions/")
	if len(keys) != 0 {
		t.Fatalf("blobs left: %v", keys)
	}
}

func TestCloudauthSignatureErrors(t *testing.T) {
	clock := testclock.New(time.Now())
	s := apitest.Start(t, apitest.Options{Clock: clock})
	// wrong secret, unknown key
	_, err := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret+"x").InitFaceVerify(caInitReq(s))
	if st, code := caPopCode(t, err); st != 400 || code != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %d %s", st, code)
	}
	_, err = caSdkClient(t, "FVAKNOSUCHKEY", "secret").InitFaceVerify(caInitReq(s))
	if st, code := caPopCode(t, err); st != 404 || code != "InvalidAccessKeyId.NotFound" {
		t.Fatalf("unknown key: %d %s", st, code)
	}
	// replayed nonce: the exact same signed request twice
	rec := &caRecorder{}
	client := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret)
	client.SetTransport(rec)
	if resp, err := client.InitFaceVerify(caInitReq(s)); err != nil || resp.Code != "200" {
		t.Fatalf("first: %v %+v", err, resp)
	}
	if st, body := rec.replay(t); st != 400 || body["Code"] != "SignatureNonceUsed" || !caAliReqIDRE.MatchString(body["RequestId"].(string)) ||
		body["HostId"] != caHost(s) {
		t.Fatalf("replay: %d %v", st, body)
	}
	// stale / future timestamps: the server clock is 16 minutes off the client's
	for _, d := range []time.Duration{16 * time.Minute, -16 * time.Minute} {
		clock.Set(time.Now().Add(d))
		_, err = client.InitFaceVerify(caInitReq(s))
		if st, code := caPopCode(t, err); st != 400 || code != "InvalidTimeStamp.Expired" {
			t.Fatalf("skew %v: %d %s", d, st, code)
		}
	}
	clock.Set(time.Now().Add(14 * time.Minute))
	if resp, err := client.InitFaceVerify(caInitReq(s)); err != nil || resp.Code != "200" {
		t.Fatalf("14 min skew is allowed: %v", err)
	}
	clock.Set(time.Now())
	// disabled key
	s.Tenant.KeyDisabled = true
	s.App.Store.UpdateTenant(context.Background(), s.Tenant)
	_, err = client.InitFaceVerify(caInitReq(s))
	if st, code := caPopCode(t, err); st != 400 || code != "InvalidAccessKeyId.Inactive" {
		t.Fatalf("disabled key: %d %s", st, code)
	}
	s.Tenant.KeyDisabled = false
	// disabled account, quota → business codes 410, 412
	s.Tenant.Disabled = true
	s.App.Store.UpdateTenant(context.Background(), s.Tenant)
	if resp, err := client.InitFaceVerify(caInitReq(s)); err != nil || resp.Code != "410" || resp.Message != "未开通服务" {
		t.Fatalf("disabled account: %v %+v", err, resp)
	}
	s.Tenant.Disabled = false
	s.Tenant.Quota, s.Tenant.Used = 1, 1
	s.App.Store.UpdateTenant(context.Background(), s.Tenant)
	if resp, err := client.InitFaceVerify(caInitReq(s)); err != nil || resp.Code != "412" || resp.Message != "欠费中" {
		t.Fatalf("quota: %v %+v", err, resp)
	}
}

// ---- raw v1 requests signed by an independent signer, for the edge cases the SDK never sends

type caKV struct{ k, v string }

// caPopEnc is written from the POP specification, independently of dialect/cloudauth.
func caPopEnc(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	return b.String()
}

func caSignV1(method, secret string, params []caKV) string {
	ps := append([]caKV(nil), params...)
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].k != ps[j].k {
			return ps[i].k < ps[j].k
		}
		return ps[i].v < ps[j].v
	})
	var parts []string
	for _, p := range ps {
		parts = append(parts, caPopEnc(p.k)+"="+caPopEnc(p.v))
	}
	sts := method + "&%2F&" + caPopEnc(strings.Join(parts, "&"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

var caNonceN int

func caSysParams(s *apitest.Server, action string) []caKV {
	caNonceN++
	return []caKV{{"AccessKeyId", s.Tenant.AccessKeyID}, {"Action", action}, {"Format", "JSON"}, {"RegionId", "cn-hangzhou"},
		{"SignatureMethod", "HMAC-SHA1"}, {"SignatureNonce", "nonce-" + time.Now().Format("150405.000000000") + "-" + string(rune('a'+caNonceN%26))},
		{"SignatureType", ""}, {"SignatureVersion", "1.0"}, {"Timestamp", time.Now().UTC().Format("2006-01-02T15:04:05Z")}, {"Version", "2019-03-07"}}
}

func caInitParams(s *apitest.Server) []caKV {
	return []caKV{{"SceneId", s.Tenant.SceneID}, {"OuterOrderNo", "order42"}, {"ProductCode", "ID_PRO"}, {"CertName", caTestCertName},
		{"CertNo", caTestCertNo}, {"ReturnUrl", caTestReturnURL}, {"MetaInfo", caTestMetaInfo}}
}

// caRawV1 sends query params in the URL and form params in the body, signed over signed.
func caRawV1(t *testing.T, s *apitest.Server, method string, query, form, signed []caKV, secret string) (int, map[string]any) {
	t.Helper()
	sig := caSignV1(method, secret, signed)
	enc := func(ps []caKV) string {
		var parts []string
		for _, p := range ps {
			parts = append(parts, url.QueryEscape(p.k)+"="+url.QueryEscape(p.v))
		}
		return strings.Join(parts, "&")
	}
	q := enc(append(query, caKV{"Signature", sig}))
	var body io.Reader
	if len(form) > 0 {
		body = strings.NewReader(enc(form))
	}
	req, _ := http.NewRequest(method, s.URL+"/?"+q, body)
	if len(form) > 0 {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	var out map[string]any
	st := apitest.Do(t, req, &out)
	return st, out
}

func TestCloudauthSignatureEdgeCases(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	secret := s.Tenant.AccessKeySecret
	all := func(extra ...caKV) []caKV {
		return append(append(caSysParams(s, "InitFaceVerify"), caInitParams(s)...), extra...)
	}
	// unicode, + * ~ and spaces in values; everything in the query, GET and POST
	tricky := []caKV{{"UserId", "a+b*c~d e/f"}, {"CallbackToken", "x=1&y=2%3"}, {"CertName", "欧阳·娜娜"}}
	withTricky := func() []caKV {
		ps := all()
		out := ps[:0]
		for _, p := range ps {
			if p.k != "CertName" {
				out = append(out, p)
			}
		}
		return append(out, tricky...)
	}
	for _, method := range []string{"GET", "POST"} {
		ps := withTricky()
		if st, body := caRawV1(t, s, method, ps, nil, ps, secret); st != 200 || body["Code"] != "200" {
			t.Fatalf("%s all in query: %d %v", method, st, body)
		}
	}
	// POST with the business parameters in the form body (as the SDK sends Model, AuthId)
	sys, biz := caSysParams(s, "InitFaceVerify"), append(caInitParams(s), tricky[:2]...)
	if st, body := caRawV1(t, s, "POST", sys, biz, append(append([]caKV(nil), sys...), biz...), secret); st != 200 || body["Code"] != "200" {
		t.Fatalf("form body: %d %v", st, body)
	}
	// the body is signed: changing it breaks the signature
	sys = caSysParams(s, "InitFaceVerify")
	tampered := append(append([]caKV(nil), caInitParams(s)...), caKV{"UserId", "other"})
	if st, body := caRawV1(t, s, "POST", sys, tampered, append(append([]caKV(nil), sys...), caInitParams(s)...), secret); st != 400 || body["Code"] != "SignatureDoesNotMatch" {
		t.Fatalf("tampered body: %d %v", st, body)
	}
	// a GET signed as POST fails
	ps := all()
	sig := caSignV1("POST", secret, ps)
	q := url.Values{}
	for _, p := range ps {
		q.Set(p.k, p.v)
	}
	q.Set("Signature", sig)
	req, _ := http.NewRequest("GET", s.URL+"/?"+q.Encode(), nil)
	var out map[string]any
	if st := apitest.Do(t, req, &out); st != 400 || out["Code"] != "SignatureDoesNotMatch" {
		t.Fatalf("GET signed as POST: %d %v", st, out)
	}
	// repeated business parameter: signed over both values, refused as 参数非法
	ps = all(caKV{"UserId", "one"}, caKV{"UserId", "two"})
	if st, body := caRawV1(t, s, "POST", ps, nil, ps, secret); st != 200 || body["Code"] != "401" {
		t.Fatalf("repeated UserId: %d %v", st, body)
	}
	// repeated, but only one value signed
	if st, body := caRawV1(t, s, "POST", ps, nil, all(caKV{"UserId", "one"}), secret); st != 400 || body["Code"] != "SignatureDoesNotMatch" {
		t.Fatalf("repeated UserId, one signed: %d %v", st, body)
	}
	// repeated system parameter
	ps = all(caKV{"Timestamp", "2020-01-01T00:00:00Z"})
	if st, body := caRawV1(t, s, "POST", ps, nil, ps, secret); st != 400 || body["Code"] != "InvalidParameter" {
		t.Fatalf("repeated Timestamp: %d %v", st, body)
	}
	// missing / malformed system parameters, unknown action and version, XML
	drop := func(k string) []caKV {
		var out []caKV
		for _, p := range all() {
			if p.k != k {
				out = append(out, p)
			}
		}
		return out
	}
	set := func(k, v string) []caKV {
		out := all()
		for i := range out {
			if out[i].k == k {
				out[i].v = v
			}
		}
		return out
	}
	for _, c := range []struct {
		name   string
		ps     []caKV
		status int
		code   string
	}{
		{"no AccessKeyId", drop("AccessKeyId"), 400, "MissingParameter"},
		{"no SignatureNonce", drop("SignatureNonce"), 400, "MissingParameter"},
		{"no Timestamp", drop("Timestamp"), 400, "MissingParameter"},
		{"bad Timestamp", set("Timestamp", "yesterday"), 400, "InvalidTimeStamp.Format"},
		{"old Timestamp", set("Timestamp", "2019-03-07T00:00:00Z"), 400, "InvalidTimeStamp.Expired"},
		{"HMAC-SHA256 v1", set("SignatureMethod", "HMAC-SHA256"), 400, "InvalidSignatureMethod"},
		{"version 2.0", set("SignatureVersion", "2.0"), 400, "InvalidSignatureVersion"},
		{"unknown action", set("Action", "DescribeVerifyToken"), 404, "InvalidAction.NotFound"},
		{"other version", set("Version", "2020-11-12"), 400, "InvalidVersion"},
		{"XML", set("Format", "XML"), 400, "InvalidParameter.Format"},
		{"no Format is JSON", drop("Format"), 200, "200"},
	} {
		st, body := caRawV1(t, s, "POST", c.ps, nil, c.ps, secret)
		if st != c.status || body["Code"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.name, st, body, c.status, c.code)
		}
		if st != 200 && (body["Message"] == "" || !caAliReqIDRE.MatchString(body["RequestId"].(string))) {
			t.Errorf("%s: envelope %v", c.name, body)
		}
	}
	// nothing personal is logged
	if logs := s.Log.String(); strings.Contains(logs, caTestCertNo) || strings.Contains(logs, caTestCertName) || strings.Contains(logs, "欧阳") {
		t.Fatal("personal data in logs")
	}
}

func caErrorsAs(err error, target any) bool { return stderrors.As(err, target) }
