package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/livecorpus"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/internal/voicetest"
	"github.com/faceverify/faceverify/notify"
)

func frameOf(t *testing.T, clip string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "frame.jpg")
	testenv.Sh(t, "ffmpeg", "-nostdin", "-loglevel", "error", "-ss", "1", "-i", clip, "-frames:v", "1", "-q:v", "2", out)
	data, _ := os.ReadFile(out)
	return data
}

func uploadVideo(t *testing.T, s *apitest.Server, token, file string) (int, map[string]any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	return apitest.Do(t, testenv.VideoRequest(s.URL, token, filepath.Base(file), data), &out), out
}

func pageView(t *testing.T, s *apitest.Server, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+token, nil)
	var v map[string]any
	if st := apitest.Do(t, req, &v); st != 200 {
		t.Fatalf("page view %d %v", st, v)
	}
	return v
}

func waitStep(t *testing.T, s *apitest.Server, token string, not string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		v := pageView(t, s, token)
		if v["step"] != not {
			return v
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("session stuck in %s", not)
	return nil
}

func corpusCase(t *testing.T, name string) livecorpus.Case {
	t.Helper()
	cases, err := livecorpus.Ensure(livecorpus.Dir(), testenv.Datasets(t, "talking"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.Name == name {
			return c
		}
	}
	var genuine []string
	for _, c := range cases {
		if c.Want == "VIDEO_OK" && c.Preferences == 2 {
			if name == "genuine" {
				return c
			}
			genuine = append(genuine, c.Name)
		}
	}
	t.Fatalf("no corpus case %q (genuine: %v)", name, genuine)
	return livecorpus.Case{}
}

// TestLiteFlowEndToEnd runs a whole FaceID Lite verification on the real engine: token,
// page, video, verdict job, get_result and the signed notify.
func TestLiteFlowEndToEnd(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Engine: true})
	ctx := context.Background()
	s.Tenant.Checks.LipSyncOff = true // genuine corpus clips are dubbed with digits (docs/liveness.md)
	if err := s.App.Store.UpdateTenant(ctx, s.Tenant); err != nil {
		t.Fatal(err)
	}
	genuine := corpusCase(t, "genuine")
	wrong := corpusCase(t, "wrong_digits")
	const number, other = "11010519491231002X", "110101199003074514"
	if err := s.App.Service.Enrol(ctx, "张三", number, frameOf(t, genuine.File)); err != nil {
		t.Fatal(err)
	}
	ds := testenv.Datasets(t, "faces")
	stranger, _ := os.ReadFile(filepath.Join(ds, "faces", "deepface", "img1.jpg"))
	if err := s.App.Service.Enrol(ctx, "李四", other, stranger); err != nil {
		t.Fatal(err)
	}
	rcv := testenv.NewRecorder(t, nil)

	create := func(name, num string) string {
		f := apitest.LiteForm()
		f.Set("notify_url", rcv.URL+"/notify")
		f.Set("idcard_name", name)
		f.Set("idcard_number", num)
		f.Set("liveness_retry_count", "2")
		f.Set("biz_no", "order-7")
		var r liteResp
		if st := s.PostForm(t, "/lite/v1/get_biz_token", f, &r); st != 200 {
			t.Fatalf("create: %d %+v", st, r)
		}
		return r.BizToken
	}

	t.Run("success after one retry", func(t *testing.T) {
		tok := create("张三", number)
		if v := pageView(t, s, tok); v["step"] != "video" {
			t.Fatalf("first step %v", v["step"])
		}
		voicetest.PinChallenge(t, s.App.Store, tok, "1111") // the wrong_digits clip does not say 1111
		if st, out := uploadVideo(t, s, tok, wrong.File); st != 202 {
			t.Fatalf("upload: %d %v", st, out)
		}
		v := waitStep(t, s, tok, "processing")
		last, _ := v["last_result"].(map[string]any)
		if v["step"] != "video" || last == nil || last["message"] != "SR_ERROR" || v["attempts_left"].(float64) != 2 { // liveness_retry_count=2: two retakes after the first
			t.Fatalf("after wrong digits: %v", v)
		}
		if last["text"] != "未通过念数字识别，请重试" {
			t.Fatalf("page text %q", last["text"])
		}
		// the engine's deciding rule is stored with the attempt (for the console, not the wire)
		if ss, err := s.App.Store.Session(context.Background(), tok); err != nil || ss.LastAttempt == nil || !strings.HasSuffix(ss.LastAttempt.Rule, " → SR_ERROR") {
			t.Fatalf("stored attempt's rule: %+v, %v", ss.LastAttempt, err)
		}
		voicetest.PinChallenge(t, s.App.Store, tok, genuine.Challenge)
		if st, out := uploadVideo(t, s, tok, genuine.File); st != 202 {
			t.Fatalf("upload: %d %v", st, out)
		}
		v = waitStep(t, s, tok, "processing")
		res, _ := v["result"].(map[string]any)
		if v["step"] != "result" || res["message"] != "SUCCESS" {
			t.Fatalf("verdict: %v", v)
		}
		_, r := getResult(t, s, s.Tenant.AppCode, tok)
		if r.ResultCode != "1000" || r.ResultMessage != "SUCCESS" || r.Verification["idcard"] == nil {
			t.Fatalf("get_result: %+v", r)
		}
		if ss, err := s.App.Store.Session(context.Background(), tok); err != nil || ss.Verdict == nil || ss.Verdict.Liveness == nil || !strings.HasSuffix(ss.Verdict.Liveness.Rule, " → VIDEO_OK") {
			t.Fatalf("stored verdict's rule: %+v, %v", ss.Verdict, err)
		}
		conf := r.Verification["idcard"]["confidence"].(float64)
		thr := r.Verification["idcard"]["thresholds"].(map[string]any)
		if conf < thr["1e-4"].(float64) || len(thr) != 4 {
			t.Fatalf("confidence %v thresholds %v", conf, thr)
		}
		img, err := base64.StdEncoding.DecodeString(r.Images["image_best"])
		if err != nil || len(img) < 1000 || img[0] != 0xFF || img[1] != 0xD8 {
			t.Fatalf("image_best not a JPEG (%d bytes, %v)", len(img), err)
		}
		// the notify: data + sign, and the signature header
		got := rcv.Wait(t, 1, 30*time.Second, nil)[0]
		var data lite.NotifyData
		json.Unmarshal([]byte(got.Form.Get("data")), &data)
		if data.BizToken != tok || data.ErrorCode != "1000" || data.ErrorMsg != "SUCCESS" {
			t.Fatalf("notify data %+v", data)
		}
		if got.Form.Get("sign") != lite.Sign(s.Tenant.NotifySecret, got.Form.Get("data")) {
			t.Fatal("notify sign does not verify")
		}
		hdr := got.Header.Get("X-Faceverify-Signature")
		if !notify.VerifySignature(s.Tenant.NotifySecret, hdr, string(got.Body), time.Now(), time.Minute) {
			t.Fatalf("X-Faceverify-Signature does not verify: %q", hdr)
		}
		// single use: no more uploads
		if st, out := uploadVideo(t, s, tok, genuine.File); st != 409 || out["error"] != "USED" {
			t.Fatalf("upload after verdict: %d %v", st, out)
		}
	})

	// genuineVerdict plays the genuine clip (its challenge pinned) into session tok and
	// returns get_result once the verdict is in.
	genuineVerdict := func(t *testing.T, tok string) liteResp {
		t.Helper()
		pageView(t, s, tok)
		voicetest.PinChallenge(t, s.App.Store, tok, genuine.Challenge)
		if st, out := uploadVideo(t, s, tok, genuine.File); st != 202 {
			t.Fatalf("upload: %d %v", st, out)
		}
		waitStep(t, s, tok, "processing")
		_, r := getResult(t, s, s.Tenant.AppCode, tok)
		return r
	}

	t.Run("not the same person", func(t *testing.T) {
		r := genuineVerdict(t, create("李四", other))
		if r.ResultCode != "2000" || r.ResultMessage != "PASS_LIVING_NOT_THE_SAME" {
			t.Fatalf("stranger: %+v", r)
		}
	})

	t.Run("identity not in registry", func(t *testing.T) {
		if r := genuineVerdict(t, create("王五", "110105198001010016")); r.ResultCode != "3000" || r.ResultMessage != "NO_ID_CARD_NUMBER" {
			t.Fatalf("unknown number: %+v", r)
		}
		// right number, wrong name
		if r := genuineVerdict(t, create("王五", number)); r.ResultCode != "3000" || r.ResultMessage != "ID_NUMBER_NAME_NOT_MATCH" {
			t.Fatalf("name mismatch: %+v", r)
		}
	})

	t.Run("retries exhausted", func(t *testing.T) {
		tok := create("张三", number)
		pageView(t, s, tok)
		for i := 0; i < 3; i++ { // liveness_retry_count=2: the first video and two retakes
			voicetest.PinChallenge(t, s.App.Store, tok, "1111")
			if st, out := uploadVideo(t, s, tok, wrong.File); st != 202 {
				t.Fatalf("upload %d: %d %v", i, st, out)
			}
			waitStep(t, s, tok, "processing")
		}
		if _, r := getResult(t, s, s.Tenant.AppCode, tok); r.ResultCode != "4200" || r.ResultMessage != "SR_ERROR" {
			t.Fatalf("after last attempt: %+v", r)
		}
	})
}

// TestReferenceImages: image_ref1 must hold exactly one usable face.
func TestReferenceImages(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Engine: true})
	ds := testenv.Datasets(t, "faces")
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(ds, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	noFace := filepath.Join(t.TempDir(), "noface.jpg")
	testenv.Sh(t, "ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", noFace)
	noFaceData, _ := os.ReadFile(noFace)
	cases := []struct {
		name   string
		ref1   []byte
		ref2   []byte
		status int
		err    string
	}{
		{"one face", read("faces/deepface/img1.jpg"), nil, 200, ""},
		{"webp", read("faces/deepface/img47.jpg"), nil, 200, ""},
		{"two refs", read("faces/deepface/img1.jpg"), read("faces/deepface/img2.jpg"), 200, ""},
		{"no face", noFaceData, nil, 400, "BAD_ARGUMENTS:image_ref1"},
		{"two faces", read("faces/deepface/couple.jpg"), nil, 400, "BAD_ARGUMENTS:image_ref1"},
		{"not an image", []byte("%PDF-1.4 definitely not a photo"), nil, 400, "BAD_ARGUMENTS:image_ref1"},
		{"bad ref2", read("faces/deepface/img1.jpg"), []byte("GIF89a"), 400, "BAD_ARGUMENTS:image_ref2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := apitest.LiteForm()
			f.Set("comparison_type", "0")
			f.Set("uuid", "user-"+strconv.Itoa(len(c.name)))
			f.Del("idcard_name")
			f.Del("idcard_number")
			files := []testenv.File{{Field: "image_ref1", Name: "ref1.jpg", Data: c.ref1}}
			if c.ref2 != nil {
				files = append(files, testenv.File{Field: "image_ref2", Name: "ref2.jpg", Data: c.ref2})
			}
			body, ct := testenv.Multipart(f, files...)
			status, r := rawPost(t, s, "/lite/v1/get_biz_token", ct, body, "APPCODE "+s.Tenant.AppCode)
			if status != c.status || r.Error != c.err {
				t.Fatalf("got %d %q, want %d %q", status, r.Error, c.status, c.err)
			}
		})
	}
}
