package cloudauth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkcloudauth "github.com/aliyun/alibaba-cloud-sdk-go/services/cloudauth"

	"github.com/faceverify/faceverify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"a b": "a%20b", "a+b": "a%2Bb", "*": "%2A", "~": "~", "-_.": "-_.", "张": "%E5%BC%A0", "/": "%2F",
		"=&": "%3D%26", "%": "%25", "!'()": "%21%27%28%29", "": "",
	} {
		if got := PercentEncode(in); got != want {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSignV1MatchesGoSDK signs requests with the official Go SDK's own signer and checks
// that the server side computes the same string to sign and signature.
func TestSignV1MatchesGoSDK(t *testing.T) {
	for _, method := range []string{requests.POST, requests.GET} {
		for _, name := range []string{"张三", "欧阳·娜娜", "a+b*c~d e", "x=1&y=%2"} {
			r := sdkcloudauth.CreateInitFaceVerifyRequest()
			r.Method = method
			r.SceneId = "1000000006"
			r.CertName = name
			r.Model = "LIVENESS"                         // a body parameter
			r.AuthId = "auth ~*+"                        // a body parameter
			r.MetaInfo = `{"zimVer":"3.0.0","ua":"x y"}` // JSON in a query parameter
			if err := requests.InitParams(r); err != nil {
				t.Fatal(err)
			}
			p := credentials.NewStaticAKCredentialsProvider("AKID", "secret/with+chars")
			if err := auth.Sign(r, nil, "cn-hangzhou", p); err != nil {
				t.Fatal(err)
			}
			q, f := url.Values{}, url.Values{}
			for k, v := range r.GetQueryParams() {
				q.Set(k, v)
			}
			for k, v := range r.GetFormParams() {
				f.Set(k, v)
			}
			a, err := ParseAuth(Incoming{Method: method, Path: "/", Query: q, Form: f, Header: http.Header{}})
			if err != nil {
				t.Fatal(err)
			}
			if a.StringToSign() != r.GetStringToSign() {
				t.Fatalf("string to sign:\n ours %s\n sdk  %s", a.StringToSign(), r.GetStringToSign())
			}
			if !a.Verify("secret/with+chars") || a.Verify("secret/with+chars ") {
				t.Fatalf("%s %q: signature not verified", method, name)
			}
			if a.Params.Get("CertName") != name || a.Params.Get("AuthId") != "auth ~*+" || a.Params.Get("Signature") != "" || a.Params.Get("AccessKeyId") != "" {
				t.Fatalf("params: %v", a.Params)
			}
		}
	}
}

// A V3 request built by hand from the published algorithm (independent of CanonicalRequestV3).
func TestSignV3(t *testing.T) {
	body := []byte("AuthId=a&Model=LIVENESS")
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	h := http.Header{}
	h.Set("x-acs-action", "InitFaceVerify")
	h.Set("x-acs-version", APIVersion)
	h.Set("x-acs-date", "2026-01-02T03:04:05Z")
	h.Set("x-acs-signature-nonce", "n1")
	h.Set("x-acs-content-sha256", bodyHash)
	h.Set("content-type", "application/x-www-form-urlencoded")
	q := url.Values{"CertName": {"张 三"}, "SceneId": {"1"}}
	canon := "POST\n/\nCertName=%E5%BC%A0%20%E4%B8%89&SceneId=1\n" +
		"content-type:application/x-www-form-urlencoded\nhost:127.0.0.1:8080\nx-acs-action:InitFaceVerify\n" +
		"x-acs-content-sha256:" + bodyHash + "\nx-acs-date:2026-01-02T03:04:05Z\nx-acs-signature-nonce:n1\nx-acs-version:2019-03-07\n\n" +
		"content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" + bodyHash
	sig := SignV3("sk", StringToSignV3(canon))
	h.Set("Authorization", "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="+sig)
	f, _ := url.ParseQuery(string(body))
	in := Incoming{Method: "POST", Path: "/", Query: q, Form: f, Header: h, Host: "127.0.0.1:8080", Body: body}
	a, err := ParseAuth(in)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Verify("sk") || a.Verify("sk2") || a.AccessKeyID != "AK" || a.Action != "InitFaceVerify" || a.Nonce != "n1" ||
		a.Params.Get("Model") != "LIVENESS" || a.Params.Get("CertName") != "张 三" {
		t.Fatalf("V3: %+v", a)
	}
	// a different host, a changed body, an unsigned required header
	in2 := in
	in2.Host = "evil.example"
	if a, _ := ParseAuth(in2); a.Verify("sk") {
		t.Fatal("host not signed")
	}
	in2 = in
	in2.Body = []byte("AuthId=b&Model=LIVENESS")
	if _, err := ParseAuth(in2); err == nil || err.(*PopError).Code != "SignatureDoesNotMatch" {
		t.Fatalf("body tampering: %v", err)
	}
	h2 := h.Clone()
	h2.Set("Authorization", "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-action,Signature="+sig)
	in2 = in
	in2.Header = h2
	if _, err := ParseAuth(in2); err == nil || err.(*PopError).Code != "IncompleteSignature" {
		t.Fatalf("unsigned headers: %v", err)
	}
}

func TestSubCode(t *testing.T) {
	want := map[string]string{
		"SUCCESS": "200", "ID_NUMBER_NAME_NOT_MATCH": "201", "NO_ID_CARD_NUMBER": "202", "NO_FACE_FOUND_IDCARD": "203",
		"FAIL_OCR_FAKE_IDCARD": "203", "PASS_LIVING_NOT_THE_SAME": "204", "FAIL_LIVING_FACE_ATTACK": "205",
		"CHANGE_FACE_ATTACK": "205", "SR_ERROR": "205", "NOT_SYNCHRONIZED": "205", "LIP_VOICE_NOT_SYNC": "205",
		"NO_FACE_FOUND": "204", "FACE_QUALITY_TOO_LOW": "204", "INVALID_VIDEO_DURATION": "206", "VIDEO_TOO_LARGE": "206",
		"VIDEO_FORMAT_UNSUPPORTED": "206", "NO_AUDIO": "206",
		"VIDEO_MANY_TIMES": "206", "VIDEO_INTERNAL_ERROR": "206", "BALANCE_NOT_ENOUGH": "206", "ACCOUNT_DISABLED": "206",
	}
	for _, r := range faceverify.Results {
		if w, ok := want[r.Message]; ok && SubCode(r) != w {
			t.Errorf("SubCode(%s) = %s, want %s", r.Message, SubCode(r), w)
		}
	}
}

func testSession(state faceverify.State, v *faceverify.Verdict) *faceverify.Session {
	return &faceverify.Session{Token: "91707dc296d469ad38e4c5efa6a0f24b", TenantID: "t1", Dialect: faceverify.DialectCloudauth, State: state,
		Options: faceverify.Options{NotifyURL: "https://www.aliyun.com/cb?x=1", NotifyToken: "1000004826", ReturnURL: "http://www.aliyun.com"},
		Verdict: v}
}

func live(attack, quality float64) *faceverify.Liveness {
	return &faceverify.Liveness{AttackScore: attack, QualityScore: quality}
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".json")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if strings.TrimSpace(string(want)) != string(got) {
		t.Fatalf("%s:\n got %s\nwant %s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	const reqID = "130A2C10-B9EE-4D84-88E3-5384FF039795"
	tenant := &faceverify.Tenant{ID: "t1"}
	now := time.Unix(1_700_000_000, 0)
	key := []byte("k")
	pic := SignedPicture("https://fv.example", key, tenant, "91707dc296d469ad38e4c5efa6a0f24b", now)
	golden(t, "init_ok", RenderInit(reqID, "https://fv.example/", testSession(faceverify.StateCreated, nil)))

	pass := &faceverify.Verdict{Result: faceverify.ResultSuccess, Liveness: live(0.0123456789, 88.36154937),
		Verification: map[string]faceverify.Comparison{"idcard": {VerifyScore: 81.2345678}}}
	d, err := RenderDescribe(reqID, testSession(faceverify.StateDone, pass), pic)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "describe_passed", d)
	attack := &faceverify.Verdict{Result: faceverify.ResultFaceAttack, Liveness: &faceverify.Liveness{AttackScore: 0.97, QualityScore: 61.5, Occluded: true}}
	d, _ = RenderDescribe(reqID, testSession(faceverify.StateDone, attack), nil)
	golden(t, "describe_attack_205", d)
	notFound := &faceverify.Verdict{Result: faceverify.ResultNoIDCardNumber, Liveness: live(0.01, 90)}
	d, _ = RenderDescribe(reqID, testSession(faceverify.StateDone, notFound), pic)
	golden(t, "describe_identity_not_found_202", d)
	mismatch := &faceverify.Verdict{Result: faceverify.ResultNotTheSame, Liveness: live(0.02, 77),
		Verification: map[string]faceverify.Comparison{"ref1": {VerifyScore: 12.5}}}
	d, _ = RenderDescribe(reqID, testSession(faceverify.StateDone, mismatch), pic)
	golden(t, "describe_face_mismatch_204", d)
	// unusable media are not attacks: their SubCode is not 205 and faceAttack stays F
	noFace := &faceverify.Verdict{Result: faceverify.ResultNoFaceFound, Liveness: live(0, 0)}
	d, _ = RenderDescribe(reqID, testSession(faceverify.StateDone, noFace), nil)
	golden(t, "describe_no_face_204", d)
	noAudio := &faceverify.Verdict{Result: faceverify.ResultNoAudio, Liveness: live(0.01, 80)}
	d, _ = RenderDescribe(reqID, testSession(faceverify.StateDone, noAudio), nil)
	golden(t, "describe_no_audio_206", d)
	// a lip/voice failure is an attack: 205 with faceAttack T
	sr := &faceverify.Verdict{Result: faceverify.ResultLipVoiceNotSync, Liveness: live(0.1, 80)}
	d, _ = RenderDescribe(reqID, testSession(faceverify.StateDone, sr), nil)
	golden(t, "describe_lip_voice_205", d)

	for _, c := range []struct {
		name string
		s    *faceverify.Session
	}{
		{"describe_not_finished_424", testSession(faceverify.StateLiveness, nil)},
		{"describe_cancelled_424", testSession(faceverify.StateCancelled, &faceverify.Verdict{Result: faceverify.ResultUserCancel})},
		{"describe_internal_error_424", testSession(faceverify.StateDone, &faceverify.Verdict{Result: faceverify.ResultVideoInternalError})},
	} {
		_, err := RenderDescribe(reqID, c.s, nil)
		_, body := ErrorResponse(err, reqID, "cloudauth.example")
		golden(t, c.name, body)
	}
	errs := []struct {
		name   string
		err    error
		status int
	}{
		{"error_missing_400", faceverify.Missing("SceneId"), 200},
		{"error_invalid_401", faceverify.Invalid("CertNo", "x"), 200},
		{"error_product_402", faceverify.Invalid("ProductCode", "x"), 200},
		{"error_scene_404", &faceverify.Error{Code: faceverify.ENOTFOUND, Key: "SceneId"}, 200},
		{"error_certifyid_406", faceverify.Invalid("CertifyId", "x"), 200},
		{"error_unknown_certifyid_406", faceverify.Errorf(faceverify.ENOTFOUND, "session not found"), 200},
		{"error_internal_500", os.ErrClosed, 200},
		{"pop_signature", popError("SignatureDoesNotMatch"), 400},
		{"pop_missing_parameter", popError("MissingParameter", "Timestamp"), 400},
		{"pop_unknown_key", popError("InvalidAccessKeyId.NotFound"), 404},
		{"pop_nonce_used", popError("SignatureNonceUsed"), 400},
		{"pop_expired", popError("InvalidTimeStamp.Expired"), 400},
		{"pop_throttling", faceverify.Errorf(faceverify.ECONCURRENCY, "x"), 400},
	}
	for _, e := range errs {
		st, body := ErrorResponse(e.err, reqID, "cloudauth.example")
		if st != e.status {
			t.Errorf("%s: status %d, want %d", e.name, st, e.status)
		}
		golden(t, e.name, body)
	}
}

func TestCallbackAndReturnURL(t *testing.T) {
	pass := &faceverify.Verdict{Result: faceverify.ResultSuccess}
	if got := CallbackURL(testSession(faceverify.StateDone, pass)); got != "https://www.aliyun.com/cb?callbackToken=1000004826&certifyId=91707dc296d469ad38e4c5efa6a0f24b&passed=200&x=1" {
		t.Fatalf("callback: %s", got)
	}
	fail := &faceverify.Verdict{Result: faceverify.ResultFaceAttack}
	if got := CallbackURL(testSession(faceverify.StateDone, fail)); !strings.Contains(got, "passed=205") {
		t.Fatalf("callback: %s", got)
	}
	for _, s := range []*faceverify.Session{
		testSession(faceverify.StateCancelled, &faceverify.Verdict{Result: faceverify.ResultUserCancel}),
		testSession(faceverify.StateExpired, nil), testSession(faceverify.StateLiveness, nil),
		testSession(faceverify.StateDeciding, nil),
		testSession(faceverify.StateDone, &faceverify.Verdict{Result: faceverify.ResultVideoInternalError}),
	} {
		if got := CallbackURL(s); got != "" {
			t.Fatalf("%s: callback %q, want none", s.State, got)
		}
	}
	s := testSession(faceverify.StateDone, pass)
	s.Options.NotifyToken = ""
	if got := CallbackURL(s); strings.Contains(got, "callbackToken") {
		t.Fatalf("callback without token: %s", got)
	}
	if got := ReturnURL(testSession(faceverify.StateDone, fail)); got != "http://www.aliyun.com?certifyId=91707dc296d469ad38e4c5efa6a0f24b&code=2006" {
		t.Fatalf("return: %s", got)
	}
	ie := testSession(faceverify.StateDone, &faceverify.Verdict{Result: faceverify.ResultVideoInternalError})
	if got := ReturnURL(ie); !strings.HasSuffix(got, "&code=1003") {
		t.Fatalf("return after an internal error: %s", got)
	}
}

func TestPictureURL(t *testing.T) {
	key := []byte("key")
	id := "91707dc296d469ad38e4c5efa6a0f24b"
	now := time.Unix(1_700_000_000, 0)
	p := SignedPicture("https://fv.example", key, &faceverify.Tenant{ID: "t"}, id, now)
	u, _ := url.Parse(p.URL)
	if u.Path != PicturePath(id) {
		t.Fatal(u.Path)
	}
	q := u.Query()
	if !CheckPicture(key, id, q, now.Add(14*time.Minute)) {
		t.Fatal("valid URL refused")
	}
	if CheckPicture(key, id, q, now.Add(15*time.Minute+time.Second)) {
		t.Fatal("expired URL accepted")
	}
	if CheckPicture([]byte("other"), id, q, now) || CheckPicture(key, strings.Repeat("0", 32), q, now) {
		t.Fatal("wrong key / id accepted")
	}
	q2 := url.Values{"Expires": {"99999999999"}, "Signature": {PictureSignature(key, id, 99999999999)}}
	if CheckPicture(key, id, q2, now) {
		t.Fatal("far-future expiry accepted")
	}
}

func TestParseInitMapping(t *testing.T) {
	tenant := &faceverify.Tenant{SceneID: "1000000006"}
	p := url.Values{"SceneId": {"1000000006"}, "OuterOrderNo": {"abc"}, "ProductCode": {"ID_PRO"}, "CertName": {"张三"},
		"CertNo": {"11010519491231002x"}, "ReturnUrl": {"https://r.example"}, "MetaInfo": {`{"a":1}`}, "UserId": {"u"},
		"CallbackUrl": {"https://cb.example"}, "CallbackToken": {"tok"}, "Mobile": {"13012345678"}}
	req, err := ParseInit(p, tenant, InitPolicy{MaxImage: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	o := req.Options
	if req.Dialect != faceverify.DialectCloudauth || o.ComparisonType != faceverify.CompareRegistry || o.ClaimedNumber != "11010519491231002X" ||
		o.ExternalRef != "abc" || o.UserRef != "u" || o.NotifyURL != "https://cb.example" || o.NotifyToken != "tok" ||
		o.LivenessRetries != 0 || o.Meta["Mobile"] != "13012345678" || len(req.RefImages) != 0 {
		t.Fatalf("registry mode: %+v", req)
	}
	jpeg := []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3}
	p.Set("FaceContrastPicture", base64.StdEncoding.EncodeToString(jpeg))
	p.Del("CertName")
	p.Del("CertNo")
	req, err = ParseInit(p, tenant, InitPolicy{MaxImage: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if req.Options.ComparisonType != faceverify.CompareReference || len(req.RefImages) != 1 || string(req.RefImages[0]) != string(jpeg) {
		t.Fatalf("reference mode: %+v", req.Options)
	}
	if _, err := ParseInit(p, tenant, InitPolicy{MaxImage: 4}); faceverify.ErrorKey(err) != "FaceContrastPicture" {
		t.Fatalf("too large: %v", err)
	}
	// CallbackUrl must begin with https; http only for the operator's listed hosts
	for _, c := range []struct {
		url   string
		hosts []string
		ok    bool
	}{
		{"https://cb.example/x", nil, true},
		{"HTTPS://cb.example/x", nil, true},
		{"http://cb.example/x", nil, false},
		{"http://127.0.0.1:9000/x", nil, false},
		{"http://127.0.0.1:9000/x", []string{"127.0.0.1"}, true},
		{"http://CB.example/x", []string{"cb.example"}, true},
		{"http://cb.example.evil/x", []string{"cb.example"}, false},
		{"http://user@evil.example/x?cb.example", []string{"cb.example"}, false},
		{"ftp://cb.example/x", []string{"cb.example"}, false},
	} {
		p.Set("CallbackUrl", c.url)
		_, err := ParseInit(p, tenant, InitPolicy{MaxImage: 1 << 20, HTTPCallbackHosts: c.hosts})
		if (err == nil) != c.ok || (err != nil && faceverify.ErrorKey(err) != "CallbackUrl") {
			t.Errorf("CallbackUrl %s hosts %v: %v", c.url, c.hosts, err)
		}
	}
	b, _ := json.Marshal(req.Options)
	if strings.Contains(string(b), "FaceContrastPicture") {
		t.Fatal("picture kept in options")
	}
}
