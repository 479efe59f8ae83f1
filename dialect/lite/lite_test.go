package lite

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./dialect/lite -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from golden:\n%s\nwant:\n%s", name, buf.Bytes(), want)
	}
}

var env = Envelope{RequestID: "1763900000,3149525e-2c24-4862-8e9f-92040595f0a4", TimeUsed: 5}

func session(state faceverify.State) *faceverify.Session {
	return &faceverify.Session{Token: "1763900000,34fb21937e47ae719f11cbc719615687", State: state,
		Options: faceverify.Options{ExternalRef: "order-42", ReturnURL: "https://biz.example/done?x=1"}}
}

func thresholds() map[string]float64 {
	return map[string]float64{"1e-3": 62.168713, "1e-4": 69.31534, "1e-5": 74.39926, "1e-6": 78.038055}
}

func TestGoldenResponses(t *testing.T) {
	golden(t, "get_biz_token", CreateResponse{RequestID: env.RequestID, TimeUsed: env.TimeUsed, BizToken: session("").Token})
	for _, c := range []struct {
		name string
		err  error
	}{
		{"error_missing", faceverify.Missing("return_url")},
		{"error_bad", faceverify.Invalid("liveness_retry_count", "1 to 5")},
		{"error_auth", faceverify.Errorf(faceverify.EUNAUTHORIZED, "x")},
		{"error_balance", faceverify.Errorf(faceverify.EQUOTA, "x")},
		{"error_concurrency", faceverify.Errorf(faceverify.ECONCURRENCY, "x")},
		{"error_too_large", faceverify.Errorf(faceverify.ETOOLARGE, "x")},
		{"error_internal", errors.New("disk on fire")},
	} {
		status, msg := ErrorResponse(c.err)
		golden(t, c.name, map[string]any{"status": status, "body": ErrorBody{RequestID: env.RequestID, TimeUsed: env.TimeUsed, Error: msg}})
	}

	golden(t, "get_result_not_started", RenderResult(env, session(faceverify.StateLiveness), nil))
	cancelled := session(faceverify.StateCancelled)
	cancelled.Verdict = &faceverify.Verdict{Result: faceverify.ResultUserCancel}
	golden(t, "get_result_cancelled", RenderResult(env, cancelled, nil))
	many := session(faceverify.StateDone)
	many.Verdict = &faceverify.Verdict{Result: faceverify.ResultVideoManyTimes}
	golden(t, "get_result_video_many_times", RenderResult(env, many, nil))

	done := session(faceverify.StateDone)
	done.Verdict = &faceverify.Verdict{Result: faceverify.ResultSuccess, DecidedAt: time.Unix(1763900100, 0),
		Verification: map[string]faceverify.Comparison{
			"idcard":   {Similarity: 0.71, Confidence: 86.4735, Thresholds: thresholds(), Passed: true},
			"ref1":     {Similarity: 0.69, Confidence: 84.123456789, Thresholds: thresholds(), Passed: true},
			"portrait": {Similarity: 0.6, Confidence: 80, Thresholds: thresholds(), Passed: true},
		}}
	golden(t, "get_result_success", RenderResult(env, done, map[string][]byte{"image_best": {0xFF, 0xD8, 0xFF, 0xE0}}))

	ocr := session(faceverify.StateDone)
	ocr.Options.IDFromCard = true
	ocr.Verdict = &faceverify.Verdict{Result: faceverify.ResultNotTheSame, Verification: map[string]faceverify.Comparison{
		"idcard": {Confidence: 40.5, Thresholds: thresholds()}}}
	leg := &faceverify.Legality{IDPhoto: 0.999, Screen: 0.001, Threshold: 0.8}
	ocr.IDCard = &faceverify.IDCardResult{Name: "张三", Number: "11010519491231002X", Gender: "男", Nationality: "汉",
		BirthYear: "1949", BirthMonth: "12", BirthDay: "31", Address: "北京市海淀区XXXXX", IssuedBy: "北京市公安局海淀分局",
		ValidDateStart: "20150516", ValidDateEnd: "20350516", FrontLegality: leg, BackLegality: leg,
		PortraitEmbedding: []float32{0.1, 0.2}}
	golden(t, "get_result_group1", RenderResult(env, ocr, map[string][]byte{
		"image_best": {1, 2, 3}, "idcard_frontside": {4, 5}, "idcard_backside": {6}, "idcard_portrait": {7, 8, 9}}))
}

func TestNotifyForm(t *testing.T) {
	s := session(faceverify.StateDone)
	s.Verdict = &faceverify.Verdict{Result: faceverify.ResultSuccess}
	f := NotifyForm(s, "secret")
	golden(t, "notify_form", map[string]string{"data": f.Get("data"), "sign": f.Get("sign")})
	if f.Get("sign") != Sign("secret", f.Get("data")) {
		t.Fatal("sign mismatch")
	}
	if got := ReturnURL(s); got != "https://biz.example/done?x=1&biz_token=1763900000%2C34fb21937e47ae719f11cbc719615687" {
		t.Fatalf("return url %s", got)
	}
	many := session(faceverify.StateDone)
	many.Verdict = &faceverify.Verdict{Result: faceverify.ResultVideoManyTimes}
	f = NotifyForm(many, "secret")
	golden(t, "notify_form_video_many_times", map[string]string{"data": f.Get("data"), "sign": f.Get("sign")})
}

// The tenant's return_url is kept byte for byte; biz_token is appended last (docs/lite.md).
func TestReturnURLKeepsQuery(t *testing.T) {
	const tok = "1763900000%2C34fb21937e47ae719f11cbc719615687"
	for in, want := range map[string]string{
		"https://biz.example/done":                       "https://biz.example/done?biz_token=" + tok,
		"https://biz.example/done?":                      "https://biz.example/done?biz_token=" + tok,
		"https://biz.example/done?z=1&a=%7E+x&flag":      "https://biz.example/done?z=1&a=%7E+x&flag&biz_token=" + tok,
		"https://biz.example/done?a=1&":                  "https://biz.example/done?a=1&biz_token=" + tok,
		"https://biz.example/done?sig=AB%2Fc%3D#/step/2": "https://biz.example/done?sig=AB%2Fc%3D&biz_token=" + tok + "#/step/2",
		"https://biz.example/done?biz_token=mine":        "https://biz.example/done?biz_token=mine&biz_token=" + tok,
		"http://biz.example:8080/p%20q/done#top":         "http://biz.example:8080/p%20q/done?biz_token=" + tok + "#top",
	} {
		s := session(faceverify.StateDone)
		s.Options.ReturnURL = in
		if got := ReturnURL(s); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

func TestPlausibleIDNumber(t *testing.T) {
	for n, want := range map[string]bool{"11010519491231002X": true, "110105194912310021": false, "110105491231002": true,
		"11010519491231002x": false, "1101051949123100": false, "A1010519491231002X": false} {
		if PlausibleIDNumber(n) != want {
			t.Errorf("%s: want %v", n, want)
		}
	}
}
