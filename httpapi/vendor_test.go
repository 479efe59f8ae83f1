package httpapi_test

// Issue 20: the vendor behaviours clients rely on, each pinned against the running server
// (docs/lite.md and docs/cloudauth.md say why each one is what it is).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/httpapi"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testclock"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/verify"
)

// liteCreate opens a Lite session with kv set on validForm (notify to rcv if given) and
// opens its page.
func liteCreate(t *testing.T, s *apitest.Server, rcv *testenv.Recorder, kv ...string) (string, map[string]any) {
	t.Helper()
	f := apitest.LiteForm()
	if rcv != nil {
		f.Set("notify_url", rcv.URL+"/notify")
	}
	for i := 0; i < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	token := s.BizToken(t, f)
	return token, pageView(t, s, token)
}

func notifyData(t *testing.T, f url.Values) lite.NotifyData {
	t.Helper()
	var d lite.NotifyData
	if err := json.Unmarshal([]byte(f.Get("data")), &d); err != nil {
		t.Fatalf("notify data %q: %v", f.Get("data"), err)
	}
	return d
}

// liveness_retry_count=N is N retakes after the first video: N+1 videos are judged, the
// last failure is the verdict (get_result and one notify).
func TestLiteLivenessRetakes(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Flags: []string{"--max-video-mb", "1", "--upload-rate", "-1"}})
	big := bytes.Repeat([]byte{0}, 1<<20+1) // one byte over: a failed VIDEO_TOO_LARGE attempt, decided at once
	for _, n := range []int{1, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rcv := testenv.NewRecorder(t, nil)
			tok, v := liteCreate(t, s, rcv, "liveness_retry_count", fmt.Sprint(n))
			if v["step"] != "video" || v["attempts_left"].(float64) != float64(n+1) {
				t.Fatalf("fresh: %v", v)
			}
			for k := 1; k <= n; k++ {
				st, out, _ := upload(t, s, tok, "video", big)
				sess, _ := out["session"].(map[string]any)
				if st != 200 || out["accepted"] != false || sess["step"] != "video" || sess["attempts_left"].(float64) != float64(n+1-k) {
					t.Fatalf("video %d of %d: %d %v", k, n+1, st, out)
				}
			}
			st, out, _ := upload(t, s, tok, "video", big)
			sess, _ := out["session"].(map[string]any)
			if st != 200 || sess["step"] != "result" {
				t.Fatalf("video %d (the last retake): %d %v", n+1, st, out)
			}
			if _, r := getResult(t, s, s.Tenant.AppCode, tok); r.ResultCode != "4200" || r.ResultMessage != "VIDEO_TOO_LARGE" {
				t.Fatalf("get_result: %+v", r)
			}
			if d := notifyData(t, rcv.Wait(t, 1, 30*time.Second, nil)[0].Form); d.ErrorCode != "4200" || d.ErrorMsg != "VIDEO_TOO_LARGE" || d.BizToken != tok {
				t.Fatalf("notify %+v", d)
			}
		})
	}
}

// jpegOf encodes a plain w×h picture (not an ID card).
func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idcard_retry_time=N is N retakes per side after the first photo (real OCR engine).
func TestLiteIDCardRetakes(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Engine: true, Flags: []string{"--upload-rate", "-1"}})
	notACard := jpegOf(t, 320, 200)
	for _, n := range []int{1, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rcv := testenv.NewRecorder(t, nil)
			tok, v := liteCreate(t, s, rcv, "group", "1", "idcard_side", "1", "idcard_retry_time", fmt.Sprint(n),
				"idcard_name", "", "idcard_number", "")
			left, _ := v["idcard_retries_left"].(map[string]any)
			if v["step"] != "idcard_front" || left["front"].(float64) != float64(n) {
				t.Fatalf("fresh: %v", v)
			}
			var last map[string]any
			for k := 0; k <= n; k++ {
				st, out, _ := upload(t, s, tok, "idcard", notACard)
				sess, _ := out["session"].(map[string]any)
				final := k == n
				if st != 200 || out["accepted"] != false || out["final"] != final {
					t.Fatalf("photo %d of %d: %d %v", k+1, n+1, st, out)
				}
				if !final {
					left, _ := sess["idcard_retries_left"].(map[string]any)
					if sess["step"] != "idcard_front" || left["front"].(float64) != float64(n-k) {
						t.Fatalf("photo %d of %d: retakes left %v", k+1, n+1, sess)
					}
				} else if sess["step"] != "result" {
					t.Fatalf("last retake did not end the session: %v", sess)
				}
				last = out["result"].(map[string]any)
			}
			_, r := getResult(t, s, s.Tenant.AppCode, tok)
			if r.ResultCode != fmt.Sprint(last["code"]) || r.ResultMessage != last["message"] || !strings.HasPrefix(r.ResultCode, "3") {
				t.Fatalf("get_result %+v, last photo %v", r, last)
			}
			if d := notifyData(t, rcv.Wait(t, 1, 30*time.Second, nil)[0].Form); d.ErrorCode != r.ResultCode || d.ErrorMsg != r.ResultMessage {
				t.Fatalf("notify %+v", d)
			}
		})
	}
}

// A video beyond the allowance while the session is still open (its last allowed video is
// being checked) ends it with 4200 VIDEO_MANY_TIMES: get_result and one notify say so. A
// video during an earlier check is 409 BAD_STATE; one after the end is 409 USED and
// changes nothing.
func TestLiteVideoManyTimes(t *testing.T) {
	// no engine, and a clock that does not move: the verdict job of an uploaded video fails
	// and waits for a retry that never comes due, so "being checked" lasts as long as needed
	clock := testclock.New(time.Now())
	s := apitest.Start(t, apitest.Options{Clock: clock, Flags: []string{"--max-video-mb", "1", "--upload-rate", "-1"}})
	rcv := testenv.NewRecorder(t, nil)
	tok, _ := liteCreate(t, s, rcv, "liveness_retry_count", "2") // three videos allowed
	small := []byte("a video the server stages for its verdict job")
	if st, out, _ := upload(t, s, tok, "video", small); st != 202 || out["accepted"] != true {
		t.Fatalf("video 1: %d %v", st, out)
	}
	// within the allowance, but video 1 is being checked
	if st, out, _ := upload(t, s, tok, "video", small); st != 409 || out["error"] != "BAD_STATE" {
		t.Fatalf("video during the first check: %d %v", st, out)
	}
	// let the verdict job fail for good (VIDEO_INTERNAL_ERROR, a failed attempt): back to video
	deadline := time.Now().Add(60 * time.Second)
	for pageView(t, s, tok)["step"] != "video" {
		if time.Now().After(deadline) {
			t.Fatal("the verdict job of video 1 did not give up")
		}
		clock.Advance(time.Minute)
		time.Sleep(300 * time.Millisecond)
	}
	if v := pageView(t, s, tok); v["attempts_left"].(float64) != 2 {
		t.Fatalf("after video 1: %v", v)
	}
	big := bytes.Repeat([]byte{0}, 1<<20+1)
	if st, out, _ := upload(t, s, tok, "video", big); st != 200 || out["accepted"] != false {
		t.Fatalf("video 2 (too large, failed at once): %d %v", st, out)
	}
	if st, out, _ := upload(t, s, tok, "video", small); st != 202 || out["accepted"] != true {
		t.Fatalf("video 3, the last allowed: %d %v", st, out)
	}
	st, out, _ := upload(t, s, tok, "video", small)
	res, _ := out["result"].(map[string]any)
	sess, _ := out["session"].(map[string]any)
	if st != 200 || out["accepted"] != false || res["message"] != "VIDEO_MANY_TIMES" || sess["step"] != "result" {
		t.Fatalf("video beyond the allowance: %d %v", st, out)
	}
	if _, r := getResult(t, s, s.Tenant.AppCode, tok); r.ResultCode != "4200" || r.ResultMessage != "VIDEO_MANY_TIMES" {
		t.Fatalf("get_result: %+v", r)
	}
	form := rcv.Wait(t, 1, 30*time.Second, nil)[0].Form
	if d := notifyData(t, form); d.ErrorCode != "4200" || d.ErrorMsg != "VIDEO_MANY_TIMES" || d.BizToken != tok {
		t.Fatalf("notify %+v", d)
	}
	if form.Get("sign") != lite.Sign(s.Tenant.NotifySecret, form.Get("data")) {
		t.Fatal("notify sign")
	}
	keys, _ := s.App.Blobs.List(t.Context(), "sessions/")
	for _, k := range keys {
		if strings.HasSuffix(k, "/video-3") {
			t.Fatalf("the discarded video is still stored: %v", keys)
		}
	}
	if st, out, _ := upload(t, s, tok, "video", small); st != 409 || out["error"] != "USED" {
		t.Fatalf("video after the end: %d %v", st, out)
	}
	time.Sleep(300 * time.Millisecond)
	n := len(rcv.All())
	if _, r := getResult(t, s, s.Tenant.AppCode, tok); r.ResultMessage != "VIDEO_MANY_TIMES" || n != 1 {
		t.Fatalf("after a further upload: %+v, %d notifies", r, n)
	}
}

// image_ref1 and image_ref2 are File parameters: as plain form text (urlencoded, or a
// multipart field without a file name) both are refused the same way in both modes.
func TestLiteImageRefAsText(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	ref := []string{"comparison_type", "0", "uuid", "u1"}
	cases := []struct {
		name string
		kv   []string
		err  string
	}{
		{"image_ref1 text, comparison_type 1", []string{"image_ref1", "aGVsbG8="}, "BAD_ARGUMENTS:image_ref1"},
		{"image_ref2 text, comparison_type 1", []string{"image_ref2", "aGVsbG8="}, "BAD_ARGUMENTS:image_ref2"},
		{"image_ref1 text, comparison_type 0", append(ref, "image_ref1", "aGVsbG8="), "BAD_ARGUMENTS:image_ref1"},
		{"image_ref2 text, comparison_type 0", append(ref, "image_ref2", "aGVsbG8="), "BAD_ARGUMENTS:image_ref2"},
		{"the document's sample placeholder", []string{"image_ref1", "image_ref1", "image_ref2", "image_ref2"}, "BAD_ARGUMENTS:image_ref1"},
		{"empty text is absent", []string{"image_ref1", "", "image_ref2", ""}, ""},
	}
	for _, c := range cases {
		for _, multi := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s multipart=%v", c.name, multi), func(t *testing.T) {
				f := apitest.LiteForm()
				for i := 0; i < len(c.kv); i += 2 {
					f.Set(c.kv[i], c.kv[i+1])
				}
				var status int
				var r liteResp
				if multi {
					body, ct := testenv.Multipart(f)
					status, r = rawPost(t, s, "/lite/v1/get_biz_token", ct, body, "APPCODE "+s.Tenant.AppCode)
				} else {
					status = s.PostForm(t, "/lite/v1/get_biz_token", f, &r)
					checkEnvelope(t, r)
				}
				want := 400
				if c.err == "" {
					want = 200
				}
				if status != want || r.Error != c.err {
					t.Fatalf("got %d %q, want %d %q", status, r.Error, want, c.err)
				}
			})
		}
	}
}

// A panic inside a Lite handler still answers in the Lite envelope with request_id and
// time_used ("总返回该字段"). The server here runs with a service whose store is missing,
// so the first use of the store panics.
func TestLitePanicKeepsEnvelope(t *testing.T) {
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Service: &verify.Service{}}))
	defer srv.Close()
	s := &apitest.Server{URL: srv.URL, Tenant: &faceverify.Tenant{AppCode: "any"}}
	for _, path := range []string{"/lite/v1/get_biz_token", "/lite/v1/get_result", "/lite/v1/delete_result"} {
		status, r := rawPost(t, s, path, "application/x-www-form-urlencoded", []byte(apitest.LiteForm().Encode()), "APPCODE any")
		if status != 500 || r.Error != "INTERNAL_ERROR" { // rawPost checked request_id and time_used
			t.Fatalf("%s: %d %+v", path, status, r)
		}
	}
}

// The 413 limit is 20 MB read as 20 MiB: a body of exactly 20,971,520 bytes is read (and
// here refused for its oversized field, 400), one byte more is 413.
func TestLiteBodyLimit20MiB(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	head := apitest.LiteForm().Encode() + "&pad="
	body := []byte(head + strings.Repeat("x", 20<<20-len(head)))
	if len(body) != 20_971_520 {
		t.Fatal(len(body))
	}
	auth := "APPCODE " + s.Tenant.AppCode
	if st, r := rawPost(t, s, "/lite/v1/get_biz_token", "application/x-www-form-urlencoded", body, auth); st != 400 || r.Error != "BAD_ARGUMENTS:pad" {
		t.Fatalf("exactly 20 MiB: %d %+v", st, r)
	}
	if st, r := rawPost(t, s, "/lite/v1/get_biz_token", "application/x-www-form-urlencoded", append(body, 'x'), auth); st != 413 || r.Error != "Request Entity Too Large" {
		t.Fatalf("20 MiB + 1: %d %+v", st, r)
	}
	// the same limit without a Content-Length (chunked): read up to the limit, then 413
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/lite/v1/get_biz_token", struct{ *bytes.Reader }{bytes.NewReader(append(body, 'x'))})
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", auth)
	var r liteResp
	if st := apitest.Do(t, req, &r); st != 413 || r.Error != "Request Entity Too Large" {
		t.Fatalf("chunked 20 MiB + 1: %d %+v", st, r)
	}
	checkEnvelope(t, r)
}

// Each dialect answers only for the sessions it issued: Lite get_result/delete_result do
// not know a Cloudauth CertifyId, Cloudauth Describe/Delete do not know a biz_token.
func TestResultsStayInTheirDialect(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	certifyID := caSdkInit(t, s).ResultObject.CertifyId
	bizToken, _ := liteCreate(t, s, nil)
	if st, r := getResult(t, s, s.Tenant.AppCode, certifyID); st != 400 || r.Error != "BAD_ARGUMENTS:biz_token" || r.ResultCode != "" {
		t.Fatalf("Lite get_result of a CertifyId: %d %+v", st, r)
	}
	var d liteResp
	if st := s.PostForm(t, "/lite/v1/delete_result", url.Values{"biz_token": {certifyID}}, &d); st != 400 || d.Error != "BAD_ARGUMENTS:biz_token" {
		t.Fatalf("Lite delete_result of a CertifyId: %d %+v", st, d)
	}
	client := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret)
	if resp, err := client.DescribeFaceVerify(caDescribeReq(s, certifyID)); err != nil || resp.Code != "424" {
		t.Fatalf("the CertifyId survived: %v %+v", err, resp)
	}
	if resp, err := client.DescribeFaceVerify(caDescribeReq(s, bizToken)); err != nil || resp.Code != "406" {
		t.Fatalf("Describe of a biz_token: %v %+v", err, resp)
	}
	if st, r := getResult(t, s, s.Tenant.AppCode, bizToken); st != 200 || r.ResultCode != "9000" {
		t.Fatalf("the biz_token still answers: %d %+v", st, r)
	}
}

// return_url keeps the tenant's query string byte for byte; biz_token is appended last,
// before the fragment.
func TestLiteReturnURLKeepsQuery(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	const ret = "https://biz.example/done?z=1&a=%7E+x&flag&sig=AB%2Fc%3D#/step/2"
	tok, _ := liteCreate(t, s, nil, "return_url", ret)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+tok+"/cancel", nil)
	var v map[string]any
	if st := apitest.Do(t, req, &v); st != 200 {
		t.Fatalf("cancel: %d %v", st, v)
	}
	want := "https://biz.example/done?z=1&a=%7E+x&flag&sig=AB%2Fc%3D&biz_token=" + url.QueryEscape(tok) + "#/step/2"
	if v["return_url"] != want {
		t.Fatalf("return_url %v, want %s", v["return_url"], want)
	}
}

// CallbackUrl must begin with https (401); plain http only for the operator's listed hosts.
func TestCloudauthCallbackHTTPS(t *testing.T) {
	def := apitest.Start(t, apitest.Options{})
	listed := apitest.Start(t, apitest.Options{Flags: []string{"--cloudauth-http-callback-hosts", "127.0.0.1, cb.internal"}})
	for _, c := range []struct {
		s    *apitest.Server
		url  string
		code string
	}{
		{def, "https://biz.example/cb?a=1", "200"},
		{def, "http://biz.example/cb", "401"},
		{def, "http://127.0.0.1:9/cb", "401"},
		{listed, "http://127.0.0.1:9/cb", "200"},
		{listed, "http://CB.internal/cb", "200"},
		{listed, "http://biz.example/cb", "401"},
		{listed, "https://biz.example/cb", "200"},
	} {
		resp := caSdkInit(t, c.s, "CallbackUrl", c.url)
		if resp.Code != c.code {
			t.Errorf("%s (listed %v): %s, want Code %s", c.url, c.s == listed, resp.GetHttpContentString(), c.code)
		}
	}
}

// A verification interrupted by an internal error (VIDEO_INTERNAL_ERROR, "异常中断") is not
// completed: Describe answers 424 while the video is checked and after, no callback is
// made, and the page returns with code 1003.
func TestCloudauthInternalErrorIsNotCompleted(t *testing.T) {
	clock := testclock.New(time.Now().Add(-10 * time.Minute)) // room to move on within the ±15 min signature window
	s := apitest.Start(t, apitest.Options{Clock: clock, Flags: []string{"--cloudauth-http-callback-hosts", "127.0.0.1"}})
	var mu sync.Mutex
	var calls []string
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.URL.String())
		mu.Unlock()
	}))
	defer cb.Close()
	id := caSdkInit(t, s, "CallbackUrl", cb.URL+"/cb").ResultObject.CertifyId
	caPageDigits(t, s, id)
	caUploadVideo(t, s, id, []byte("staged for a verdict job that cannot run: this server has no engine"))
	client := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret)
	if resp, err := client.DescribeFaceVerify(caDescribeReq(s, id)); err != nil || resp.Code != "424" {
		t.Fatalf("being checked: %v %+v", err, resp)
	}
	// the verdict job fails on every attempt until it gives up (backoff on the test clock)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ss, err := s.App.Store.Session(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ss.State.Terminal() {
			if ss.Result() != faceverify.ResultVideoInternalError {
				t.Fatalf("verdict %v", ss.Result())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the verdict job did not give up: %s", ss.State)
		}
		clock.Advance(time.Minute)
		time.Sleep(300 * time.Millisecond)
	}
	if resp, err := client.DescribeFaceVerify(caDescribeReq(s, id)); err != nil || resp.Code != "424" || resp.ResultObject.SubCode != "" {
		t.Fatalf("after VIDEO_INTERNAL_ERROR: %v %+v", err, resp)
	}
	if v := pageView(t, s, id); v["step"] != "result" || !strings.Contains(fmt.Sprint(v["return_url"]), "code=1003") {
		t.Fatalf("page: %v", v)
	}
	time.Sleep(2500 * time.Millisecond) // the notify job runs at once (Wake); give it time to (not) call
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 0 {
		t.Fatalf("callback made for an interrupted verification: %v", calls)
	}
}

// Unusable media are not attacks (real engine, real ffmpeg clips): an undecodable file and a
// video without sound are 206, a video without a face 204; faceAttack stays F and the
// callback carries the same SubCode. (Attacks, 205 with faceAttack T, are pinned by
// TestCloudauthFlowGoSDK.)
func TestCloudauthUnusableMediaSubCodes(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Engine: true, Flags: []string{"--cloudauth-http-callback-hosts", "127.0.0.1", "--upload-rate", "-1"}})
	dir := t.TempDir()
	clip := func(name string, args ...string) []byte {
		t.Helper()
		out := dir + "/" + name
		testenv.Sh(t, "ffmpeg", append(append([]string{"-nostdin", "-v", "error", "-y"}, args...), out)...)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	gray := []string{"-f", "lavfi", "-i", "color=c=gray:s=320x240:r=15:d=3"}
	cases := []struct {
		name, sub, result string
		video             []byte
	}{
		{"undecodable", "206", "VIDEO_FORMAT_UNSUPPORTED", []byte("this is not a video at all, just some bytes")},
		{"no audio", "206", "NO_AUDIO", clip("silent.mp4", append(gray, "-c:v", "mpeg4", "-an")...)},
		{"no face", "204", "NO_FACE_FOUND", clip("noface.mp4", append(gray, "-f", "lavfi", "-i", "sine=frequency=1000:duration=3",
			"-c:v", "mpeg4", "-c:a", "aac", "-shortest")...)},
	}
	var mu sync.Mutex
	calls := map[string]url.Values{}
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls[r.URL.Query().Get("certifyId")] = r.URL.Query()
		mu.Unlock()
	}))
	defer cb.Close()
	client := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := caSdkInit(t, s, "CallbackUrl", cb.URL+"/cb").ResultObject.CertifyId
			caPageDigits(t, s, id)
			caUploadVideo(t, s, id, c.video)
			resp := caAwaitDescribe(t, s, client, "", id)
			ro := resp.ResultObject
			var mi caMaterialInfo
			json.Unmarshal([]byte(ro.MaterialInfo), &mi)
			ss, _ := s.App.Store.Session(t.Context(), id)
			if resp.Code != "200" || ro.Passed != "F" || ro.SubCode != c.sub || mi.FaceAttack != "F" || ss.Result().Message != c.result {
				t.Fatalf("describe %s (verdict %s)", resp.GetHttpContentString(), ss.Result().Message)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				q, ok := calls[id]
				mu.Unlock()
				if ok {
					if q.Get("passed") != c.sub {
						t.Fatalf("callback %v", q)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no callback")
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
