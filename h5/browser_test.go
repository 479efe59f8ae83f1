package h5_test

// Browser tests: the whole journey in Debian's chromium driven by playwright-core
// (test/browser/h5.mjs), against the real server (internal/apitest) with the real models.
// The fake camera is a y4m made with ffmpeg from a real talking clip (or a still photo);
// the fake microphone is a wav of the challenge digits synthesised with espeak-ng (Mandarin,
// cmn-latn-pinyin, in the zh journeys; English in the en journey) after the
// test has read the digits from the page API, so each browser is launched after that.
// Screens are saved (360×640) under test/out/screens/.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"image"
	_ "image/jpeg"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cloudauth"

	"github.com/faceverify/faceverify/idcard/gen"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testclock"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/internal/voicetest"
)

// ---- the browser -----------------------------------------------------------------------

type step map[string]any

type run struct {
	Camera, Mic, Locale, Screens, Chromium string
	Deny                                   bool
	Init                                   string
	Steps                                  []step
}

type stepOut struct {
	Step  step `json:"step"`
	MS    int  `json:"ms"`
	Value any  `json:"value"`
}

type runOut struct {
	OK      bool      `json:"ok"`
	Out     []stepOut `json:"out"`
	Console []string  `json:"console"`
	Error   string    `json:"error"`
}

// value returns the value of the first step result that has key k equal to v.
func (o *runOut) value(k, v string) string {
	for _, s := range o.Out {
		if fmt.Sprint(s.Step[k]) == v {
			return fmt.Sprint(s.Value)
		}
	}
	return ""
}

var browserMu sync.Mutex // one chromium at a time (2 shared cores)

func browserDir(t *testing.T) string {
	t.Helper()
	testenv.Tool(t, "espeak-ng")
	testenv.Tool(t, "sox")
	return testenv.BrowserDir(t)
}

// browse runs one chromium session; allowed lists console error substrings the case expects.
func browse(t *testing.T, r run, allowed ...string) *runOut {
	t.Helper()
	browserDir(t)
	if r.Screens == "" {
		r.Screens = screensDir(t)
	}
	cfg := map[string]any{"camera": r.Camera, "mic": r.Mic, "deny": r.Deny, "locale": r.Locale,
		"screens": r.Screens, "steps": r.Steps, "init": r.Init}
	browserMu.Lock()
	defer browserMu.Unlock()
	var o runOut
	testenv.Browse(t, "h5.mjs", cfg, &o)
	for _, s := range o.Out {
		t.Logf("  %6d ms  %v %v", s.MS, s.Step, valueOr(s.Value))
	}
	if !o.OK {
		t.Fatalf("browser: %s\nconsole: %q", o.Error, o.Console)
	}
	for _, c := range o.Console {
		ok := false
		for _, a := range allowed {
			if strings.Contains(c, a) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("console error: %s", c)
		}
	}
	return &o
}

func valueOr(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprintf("→ %v", v)
}

func screensDir(t *testing.T) string {
	d := filepath.Join(testenv.RepoRoot(), "test", "out", "screens")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// ---- fake camera and microphone ---------------------------------------------------------

// talkingCamera makes a 640×480 y4m of a real talking clip (the fake camera loops it) and a
// JPEG of one of its frames (the reference photo of the same person).
func talkingCamera(t *testing.T, dir string) (y4m, ref string) {
	clip := filepath.Join(testenv.Datasets(t, "talking"), "talking", "vox_input_00010.mp4")
	y4m, ref = filepath.Join(dir, "talking.y4m"), filepath.Join(dir, "ref.jpg")
	testenv.Sh(t, "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", clip, "-an",
		"-vf", "scale=448:448,pad=640:480:96:16,fps=25,format=yuv420p", "-f", "yuv4mpegpipe", y4m)
	testenv.Sh(t, "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-ss", "1", "-i", clip, "-frames:v", "1", "-q:v", "2", ref)
	return y4m, ref
}

// stillCamera makes a y4m of a still face photo: a photo held up to the camera.
func stillCamera(t *testing.T, dir string) (y4m, ref string) {
	photo := filepath.Join(testenv.Datasets(t, "faces", "deepface"), "faces", "deepface", "img1.jpg")
	y4m = filepath.Join(dir, "still.y4m")
	testenv.Sh(t, "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-loop", "1", "-i", photo, "-t", "1",
		"-vf", "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=10,format=yuv420p",
		"-f", "yuv4mpegpipe", y4m)
	return y4m, photo
}

// shrinkMarks lists the sizes the page shrank ID card photos to before upload.
const shrinkMarks = `JSON.stringify(performance.getEntriesByName("fv:idcard-shrink").map(function (e) { return e.detail; }))`

// liveGuide: the ID card step shows the camera live with the card-shaped guide over it.
const liveGuide = `(function () { var v = document.getElementById("idcard-video"), g = document.querySelector("#idcard-frame .card-guide");
  return (v && !v.hidden && v.srcObject && v.videoWidth > 0 ? "video" : "no-video") + " " +
    (g && getComputedStyle(g).display !== "none" && document.getElementById("idcard-frame").classList.contains("live") ? "guide over live video" : "no guide"); })()`

// shotMarks are the camera frames the page took for the card (fv:idcard-shot marks).
const shotMarks = `JSON.stringify(performance.getEntriesByName("fv:idcard-shot").map(function (e) { return e.detail; }))`

// idcardTexts are the documented retake texts of the ID card step (faceid-lite-h5.txt).
var idcardTexts = map[string]bool{
	"识别错误，请正对身份证重新拍摄":        true,
	"身份证人像面找不到人脸，请正对身份证重新拍摄": true,
	"非身份证人像面，请正对身份证重新拍摄":     true,
	"非身份证国徽面，请正对身份证重新拍摄":     true,
}

// voice synthesises the digits read aloud (espeak-ng; lang "zh" = Mandarin with the
// cmn-latn-pinyin voice, "en" = English) as a 48 kHz mono wav: 3 s of silence, the digits,
// then silence long enough that nothing else is heard while recording.
// Chromium starts the fake microphone when the page opens the camera, not when recording
// starts: the 3 s lead-in keeps the digits inside the recording however late the record
// click comes on a loaded machine (recordSteps records 2 s longer than the clip it names).
//
// The test plays a user who speaks clearly: of a few voices it takes the first one in which
// the real recogniser (package speech, as the server runs it: both languages) confirms all
// four digits, so a browser case does not hinge on the recogniser's error rate for random
// challenge digits (measured by speech/cmd/digiteval, docs/speech.md). The server still
// decides on the recording the browser made (Opus through MediaRecorder).
func voice(t *testing.T, dir, lang, digits string) string {
	out := filepath.Join(dir, "voice-"+lang+"-"+digits+".wav")
	bestRaw := ""
	for i, v := range voicetest.Voices[lang] {
		raw := filepath.Join(dir, fmt.Sprintf("voice-raw-%s-%s-%d.wav", lang, digits, i))
		testenv.Sh(t, "espeak-ng", "-v", v[0], "-s", v[1], "-w", raw, voicetest.Say(lang, digits))
		if bestRaw == "" {
			bestRaw = raw
		}
		if voicetest.Confirmed(t, raw, digits) {
			bestRaw = raw
			break
		}
		t.Logf("voice %s -s %s: the recogniser does not confirm %s (hears %q)", v[0], v[1], digits, voicetest.Heard(t, raw))
	}
	testenv.Sh(t, "sox", bestRaw, "-r", "48000", "-c", "1", "-b", "16", out, "pad", "3.0", "30", "gain", "-n", "-3")
	return out
}

// clearVoice returns a wav of the session's challenge read in lang in a voice the server's
// recogniser confirms; if it confirms none of the voices, the test (playing the user) pins
// the session's challenge to digits it does confirm before the page shows them.
func clearVoice(t *testing.T, s *apitest.Server, token, dir, lang string) string {
	t.Helper()
	current := session(t, s, token).Digits
	for _, digits := range append([]string{current}, voicetest.Candidates...) {
		if wav, ok := exactVoice(t, dir, lang, digits); ok {
			if digits != current {
				voicetest.PinChallenge(t, s.App.Store, token, digits)
				t.Logf("challenge %s pinned to %s, which the recogniser confirms in this voice", current, digits)
			}
			return wav
		}
	}
	t.Fatal("the recogniser confirms none of the candidate challenges")
	return ""
}

// exactVoice is a wav of digits read in lang (3 s lead-in, as voice) in the first of a few
// voices the recogniser confirms.
func exactVoice(t *testing.T, dir, lang, digits string) (string, bool) {
	out := filepath.Join(dir, "voice-"+lang+"-"+digits+".wav")
	for i, v := range voicetest.Voices[lang][:3] {
		raw := filepath.Join(dir, fmt.Sprintf("clear-raw-%s-%s-%d.wav", lang, digits, i))
		testenv.Sh(t, "espeak-ng", "-v", v[0], "-s", v[1], "-w", raw, voicetest.Say(lang, digits))
		if voicetest.Confirmed(t, raw, digits) {
			testenv.Sh(t, "sox", raw, "-r", "48000", "-c", "1", "-b", "16", out, "pad", "3.0", "30", "gain", "-n", "-3")
			return out, true
		}
	}
	return "", false
}

// wrong returns digits that differ from d in every place.
func wrong(d string) string {
	b := []byte(d)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+5)%10
	}
	return string(b)
}

// ---- the business side -------------------------------------------------------------------

// receiver is the business: it records the Lite notify POSTs (/notify) and the Cloudauth
// GET callbacks (/cb), and serves the page the user returns to (/return).
type receiver struct{ *testenv.Recorder }

func newReceiver(t *testing.T) *receiver {
	return &receiver{testenv.NewRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.URL.Path != "/return" {
			return false
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		q := r.URL.Query()
		fmt.Fprintf(w, "<!doctype html><title>business</title><link rel=icon href=\"data:,\"><p>back at the business: %s</p>",
			html.EscapeString(q.Get("biz_token")+q.Get("certifyId")))
		return true
	})}
}

// notifyData is the JSON "data" of a Lite notify.
func notifyData(r testenv.Received) map[string]any {
	var d map[string]any
	json.Unmarshal([]byte(r.Form.Get("data")), &d)
	return d
}

// waitNotify waits for the callback of token and returns its data (the latest one).
func (rc *receiver) waitNotify(t *testing.T, token string) map[string]any {
	t.Helper()
	got := rc.Wait(t, 1, 20*time.Second, func(r testenv.Received) bool {
		return r.Path == "/notify" && fmt.Sprint(notifyData(r)["biz_token"]) == token
	})
	return notifyData(got[len(got)-1])
}

// waitCallback waits for the Cloudauth GET callback of certifyId and returns its query.
func (rc *receiver) waitCallback(t *testing.T, id string) url.Values {
	t.Helper()
	got := rc.Wait(t, 1, 20*time.Second, func(r testenv.Received) bool {
		return r.Path == "/cb" && r.Method == http.MethodGet && r.Query.Get("certifyId") == id
	})
	return got[len(got)-1].Query
}

func createSession(t *testing.T, s *apitest.Server, appCode string, rc *receiver, ref string, kv ...string) string {
	t.Helper()
	f := url.Values{"return_url": {rc.URL + "/return?order=42"}, "notify_url": {rc.URL + "/notify"},
		"liveness_type": {"video_number"}}
	if ref != "" {
		f.Set("comparison_type", "0")
		f.Set("uuid", "user-1")
	} else {
		f.Set("idcard_name", "张三")
		f.Set("idcard_number", "11010519491231002X")
	}
	var files []testenv.File
	if ref != "" {
		img, err := os.ReadFile(ref)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, testenv.File{Field: "image_ref1", Name: "ref.jpg", Data: img})
	}
	body, ct := testenv.Multipart(apitest.EditForm(f, "", kv...), files...)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/lite/v1/get_biz_token", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "APPCODE "+appCode)
	var out struct {
		BizToken string `json:"biz_token"`
		Error    string `json:"error"`
	}
	if st := apitest.Do(t, req, &out); st != 200 || out.BizToken == "" {
		t.Fatalf("get_biz_token: %d %s", st, out.Error)
	}
	return out.BizToken
}

// ---- Cloudauth through the official Go SDK (docs/cloudauth.md) ----------------------------

// caInit calls InitFaceVerify comparing with the FaceContrastPicture ref, with a GET
// callback to rc and the return URL on rc.
func caInit(t *testing.T, s *apitest.Server, rc *receiver, ref string) (id, certifyURL string) {
	t.Helper()
	img, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	r := cloudauth.CreateInitFaceVerifyRequest()
	r.Domain, r.Scheme = strings.TrimPrefix(s.URL, "http://"), "http"
	r.SceneId = requests.Integer(s.Tenant.SceneID)
	r.OuterOrderNo = "order43"
	r.ProductCode = "ID_PRO"
	r.Model = "LIVENESS"
	r.ReturnUrl = rc.URL + "/return?order=43"
	r.CallbackUrl = rc.URL + "/cb?biz=1"
	r.CallbackToken = "tok43"
	r.MetaInfo = `{"zimVer":"3.0.0","appVersion":"1","bioMetaInfo":"4.1.0:1150,0","appName":"com.example","deviceType":"h5","osVersion":"Linux","apdidToken":"","deviceModel":"chromium"}`
	r.FaceContrastPicture = base64.StdEncoding.EncodeToString(img)
	resp, err := s.CloudauthClient(t).InitFaceVerify(r)
	if err != nil || resp.Code != "200" {
		t.Fatalf("InitFaceVerify: %v %s", err, resp.GetHttpContentString())
	}
	return resp.ResultObject.CertifyId, resp.ResultObject.CertifyUrl
}

// caDescribe polls DescribeFaceVerify until the verdict is there (Code 424 = not yet).
func caDescribe(t *testing.T, s *apitest.Server, id string) *cloudauth.DescribeFaceVerifyResponse {
	t.Helper()
	return apitest.AwaitDescribe(t, s.CloudauthClient(t), func() *cloudauth.DescribeFaceVerifyRequest { return s.DescribeRequest(id) }, 60*time.Second)
}

type pageSession struct {
	Step         string `json:"step"`
	Digits       string `json:"digits"`
	AttemptsLeft int    `json:"attempts_left"`
	LastResult   *struct {
		Message, Text string
	} `json:"last_result"`
	Result *struct {
		Code          int
		Message, Text string
	} `json:"result"`
}

// session reads the page API like the page does (this also starts a fresh session).
func session(t *testing.T, s *apitest.Server, token string) pageSession {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+token, nil)
	var v pageSession
	if st := apitest.Do(t, req, &v); st != 200 {
		t.Fatalf("page API: %d", st)
	}
	return v
}

func liteResult(t *testing.T, s *apitest.Server, token string) (code, msg string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/lite/v1/get_result?biz_token="+url.QueryEscape(token), nil)
	req.Header.Set("Authorization", "APPCODE "+s.Tenant.AppCode)
	var out struct {
		ResultCode    string `json:"result_code"`
		ResultMessage string `json:"result_message"`
	}
	apitest.Do(t, req, &out)
	return out.ResultCode, out.ResultMessage
}

// recordSteps record about secs+2 seconds on the video screen (see voice) and wait for the
// next screen.
func recordSteps(secs int, shot string) []step {
	secs += 2
	st := []step{
		{"screen": "video"}, {"waitEnabled": "#record"},
	}
	if shot != "" {
		st = append(st, step{"shot": shot})
	}
	if shot != "" { // and one while recording
		return append(st, step{"click": "#record"}, step{"sleep": 1500}, step{"shot": shot + "-recording"},
			step{"sleep": secs*1000 - 1500}, step{"click": "#stop"}, step{"screen": "processing", "timeout": 60000})
	}
	return append(st,
		step{"click": "#record"}, step{"sleep": secs * 1000}, step{"click": "#stop"},
		step{"screen": "processing", "timeout": 60000},
	)
}

// ---- the tests ---------------------------------------------------------------------------

// TestBrowserJourney runs the video journey against one server with the real models: tenant
// "lipsync-off" has the operator-visible Checks.LipSyncOff switch on (the fake camera's lips
// do not say the synthesised digits, see docs/h5.md), tenant "full" runs every check.
func TestBrowserJourney(t *testing.T) {
	browserDir(t)
	testenv.Datasets(t, "talking")
	// callbacks go to a plain-http loopback receiver: the operator allows it
	s := apitest.Start(t, apitest.Options{Engine: true, Flags: []string{"--cloudauth-http-callback-hosts", "127.0.0.1"}})
	ctx := context.Background()
	s.Tenant.Checks.LipSyncOff = true
	if err := s.App.Store.UpdateTenant(ctx, s.Tenant); err != nil {
		t.Fatal(err)
	}
	full := admin.NewTenant("full checks", -1)
	if err := s.App.Store.CreateTenant(ctx, full); err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t)
	media := t.TempDir()
	cam, ref := talkingCamera(t, media)
	page := func(token string) string { return s.URL + "/lite/v1/do/" + token }

	t.Run("happy path", func(t *testing.T) {
		token := createSession(t, s, s.Tenant.AppCode, rc, ref)
		steps := []step{{"goto": page(token)}, {"screen": "intro"}, {"shot": "01-intro"},
			{"check": "#consent"}, {"click": "#start"}}
		steps = append(steps, recordSteps(5, "02-video")...)
		steps = append(steps, step{"shot": "03-processing"},
			step{"screen": "result", "timeout": 90000}, step{"shot": "04-result"},
			step{"text": "#result-title"},
			step{"eval": "performance.getEntriesByName('fv:upload-to-verdict')[0].duration"},
			step{"eval": "(performance.getEntriesByName('fv:upload-end')[0].startTime - performance.getEntriesByName('fv:upload-start')[0].startTime)"},
			step{"eval": "window.getMetaInfo()"},
			step{"eval": "JSON.stringify(performance.getEntriesByName('fv:upload-start')[0].detail)"},
			step{"waitURL": rc.URL + "/return", "timeout": 10000},
		)
		o := browse(t, run{Camera: cam, Mic: clearVoice(t, s, token, media, "zh"), Steps: steps})
		if got := o.value("text", "#result-title"); got != "验证通过" {
			t.Errorf("result title %q", got)
		}
		back := o.value("waitURL", rc.URL+"/return")
		if !strings.Contains(back, "biz_token="+url.QueryEscape(token)) || !strings.Contains(back, "order=42") {
			t.Errorf("redirected to %s", back)
		}
		t.Logf("upload-to-verdict seen by the page: %s ms (upload %s ms)",
			o.value("eval", "performance.getEntriesByName('fv:upload-to-verdict')[0].duration"),
			o.value("eval", "(performance.getEntriesByName('fv:upload-end')[0].startTime - performance.getEntriesByName('fv:upload-start')[0].startTime)"))
		t.Logf("uploaded clip: %s", o.value("eval", "JSON.stringify(performance.getEntriesByName('fv:upload-start')[0].detail)"))
		var meta map[string]any
		if err := json.Unmarshal([]byte(o.value("eval", "window.getMetaInfo()")), &meta); err != nil || meta["zimVer"] == nil || meta["ua"] == nil || meta["bioMetaInfo"] == nil {
			t.Errorf("getMetaInfo: %v %v", meta, err)
		}
		n := rc.waitNotify(t, token)
		if fmt.Sprint(n["error_code"]) != "1000" || n["error_msg"] != "SUCCESS" {
			t.Errorf("notify %v", n)
		}
		if code, msg := liteResult(t, s, token); code != "1000" {
			t.Errorf("get_result %s %s", code, msg)
		}
	})

	t.Run("wrong digits then success, reload resumes", func(t *testing.T) {
		token := createSession(t, s, s.Tenant.AppCode, rc, ref, "liveness_retry_count", "3")
		first := session(t, s, token).Digits
		steps := []step{{"goto": page(token)}, {"check": "#consent"}, {"click": "#start"}}
		steps = append(steps, recordSteps(5, "")...)
		steps = append(steps, step{"screen": "retry", "timeout": 90000}, step{"shot": "05-retry"},
			step{"text": "#retry-reason"}, step{"text": "#retry-left"},
			step{"reload": true}, step{"screen": "retry"}, step{"text": "#retry-reason"})
		o := browse(t, run{Camera: cam, Mic: voice(t, media, "zh", wrong(first)), Steps: steps})
		if got := o.value("text", "#retry-reason"); got != "未通过念数字识别，请重试" {
			t.Errorf("retry reason %q", got)
		}
		if got := o.value("text", "#retry-left"); got != "还可重试 3 次" { // liveness_retry_count 3: three retakes
			t.Errorf("attempts left %q", got)
		}
		v := session(t, s, token)
		if v.Step != "video" || v.Digits == first || v.LastResult == nil || v.LastResult.Message != "SR_ERROR" {
			t.Fatalf("after the wrong digits: %+v", v)
		}
		// a new browser (the microphone file is fixed at launch): consent again, then retry
		steps = []step{{"goto": page(token)}, {"screen": "intro"}, {"check": "#consent"}, {"click": "#start"},
			{"screen": "retry"}, {"click": "#retry"}}
		steps = append(steps, recordSteps(5, "")...)
		steps = append(steps, step{"screen": "result", "timeout": 90000}, step{"text": "#result-title"},
			step{"waitURL": rc.URL + "/return", "timeout": 10000})
		o = browse(t, run{Camera: cam, Mic: clearVoice(t, s, token, media, "zh"), Steps: steps})
		if got := o.value("text", "#result-title"); got != "验证通过" {
			t.Errorf("result title %q", got)
		}
		if n := rc.waitNotify(t, token); fmt.Sprint(n["error_code"]) != "1000" {
			t.Errorf("notify %v", n)
		}
	})

	t.Run("ID card front and back, retake, then video", func(t *testing.T) {
		// a synthetic card (idcard/gen) whose portrait is the person on the fake camera, and
		// that identity enrolled in the registry (comparison_type=1, group=1)
		faces := filepath.Join(media, "faces", "person")
		os.MkdirAll(faces, 0o755)
		testenv.Sh(t, "cp", ref, filepath.Join(faces, "ref.jpg"))
		g, err := gen.New(gen.Options{Seed: 7, FacesDir: filepath.Dir(faces)})
		if err != nil {
			t.Skipf("card generator: %v", err)
		}
		card := g.Card()
		write := func(name string, b []byte) string {
			p := filepath.Join(media, name)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		// the front as a phone takes it: a portrait 1536×2048 photo (over the page's 1600 px,
		// so the page shrinks it before upload), the card tilted in the lower part
		frontShot, _ := g.Shoot(card.Front, gen.ShotOptions{Orientation: "portrait", LongSide: 2048, RotationSet: true, MinFill: 0.85, MaxFill: 0.9, NoEffects: true})
		front := write("card_front.jpg", frontShot)
		back := write("card_back.jpg", g.PhotoWith(card.Back, gen.PhotoOptions{Scale: 0.8, MaxRotate: 3, Quality: 90}))
		// the card far away (a quarter of the frame's width): refused with the retake reason small
		smallShot, _ := g.Shoot(card.Front, gen.ShotOptions{LongSide: 1280, MinFill: 0.22, MaxFill: 0.27, NoEffects: true})
		small := write("card_small.jpg", smallShot)
		photo, _ := os.ReadFile(ref)
		if err := s.App.Service.Enrol(ctx, card.Identity.Name, card.Identity.Number, photo); err != nil {
			t.Fatal(err)
		}
		token := createSession(t, s, s.Tenant.AppCode, rc, "", "group", "1", "idcard_name", "", "idcard_number", "")
		steps := []step{{"goto": page(token)}, {"screen": "intro"}, {"check": "#consent"}, {"click": "#start"},
			{"screen": "idcard"}, {"text": "#idcard-title"},
			// the live camera view with the card guide over it: the first photo is a frame of
			// the (fake) camera, which shows a face, not a card → a documented retake text
			{"waitVisible": "#idcard-shoot", "timeout": 20000}, {"shot": "13-idcard-front"},
			{"eval": liveGuide}, {"click": "#idcard-shoot"}, {"waitVisible": "#idcard-msg", "timeout": 60000},
			{"eval": shotMarks},
			{"shot": "14-idcard-retake"}, {"text": "#idcard-msg"}, {"text": "#idcard-left"},
			{"files": []string{"#idcard-file", small}}, {"waitVisible": "#idcard-retake", "timeout": 60000},
			{"shot": "14b-idcard-too-small"}, {"text": "#idcard-retake"},
			{"files": []string{"#idcard-file", front}}, {"waitText": "#idcard-title", "value": "拍摄身份证国徽面", "timeout": 60000},
			{"eval": shrinkMarks}, {"text": "#idcard-tips"},
			{"reload": true}, {"waitText": "#idcard-title", "value": "拍摄身份证国徽面"}, // resumes on the back side
			{"files": []string{"#idcard-file", back}}, {"screen": "video", "timeout": 60000},
		}
		// the digits exist only once the card is read: read them after the card steps
		o := browse(t, run{Camera: cam, Steps: steps})
		if got := o.value("text", "#idcard-msg"); !idcardTexts[got] {
			t.Errorf("retake text %q is not one of the documented texts", got)
		}
		if got := o.value("text", "#idcard-retake"); got != "身份证太小，请靠近一些，让身份证占满虚线框" { // retake small (app.js retakeSmall)
			t.Errorf("retake text for a card too small %q", got)
		}
		if got := o.value("eval", liveGuide); got != "video guide over live video" {
			t.Errorf("live card view: %s", got)
		}
		if got := o.value("eval", shotMarks); got == "[]" || got == "" {
			t.Errorf("no frame taken from the camera: %s", got)
		}
		if got := o.value("eval", shrinkMarks); got != `[{"width":1200,"height":1600}]` {
			t.Errorf("the 1536×2048 front was uploaded as %s, want shrunk to 1200×1600", got)
		}
		if got := o.value("text", "#idcard-tips"); !strings.Contains(got, "靠近一些") || !strings.Contains(got, "反光") {
			t.Errorf("hints before the photo: %q", got)
		}
		if got := o.value("text", "#idcard-left"); got != "还可重新拍摄 3 次" { // idcard_retry_time 3: three retakes after the first photo
			t.Errorf("retakes left %q", got)
		}
		v := session(t, s, token)
		if v.Step != "video" {
			t.Fatalf("after the card: %+v", v)
		}
		steps = []step{{"goto": page(token)}, {"check": "#consent"}, {"click": "#start"}}
		steps = append(steps, recordSteps(5, "")...)
		steps = append(steps, step{"reload": true}, // while the verdict is pending: resumes waiting
			step{"screen": "result", "timeout": 90000}, step{"text": "#result-title"}, step{"text": "#result-text"})
		o = browse(t, run{Camera: cam, Mic: clearVoice(t, s, token, media, "zh"), Steps: steps})
		if got := o.value("text", "#result-title"); got != "验证通过" {
			t.Errorf("result %q %q", got, o.value("text", "#result-text"))
		}
	})

	t.Run("still photo with full checks: attack, retries exhausted", func(t *testing.T) {
		still, photo := stillCamera(t, media)
		token := createSession(t, s, full.AppCode, rc, photo, "liveness_retry_count", "1") // the first video and one retake
		digits := session(t, s, token).Digits
		steps := []step{{"goto": page(token)}, {"check": "#consent"}, {"click": "#start"}}
		steps = append(steps, recordSteps(4, "")...)
		steps = append(steps, step{"screen": "retry", "timeout": 90000}, step{"text": "#retry-reason"},
			step{"text": "#retry-left"}, step{"click": "#retry"})
		steps = append(steps, recordSteps(4, "")...)
		steps = append(steps, step{"screen": "result", "timeout": 90000}, step{"shot": "06-failed"},
			step{"text": "#result-title"}, step{"text": "#result-text"},
			step{"waitURL": rc.URL + "/return", "timeout": 10000})
		o := browse(t, run{Camera: still, Mic: voice(t, media, "zh", digits), Steps: steps})
		const attack = "活体验证未通过，请本人正对镜头重试"
		if got := o.value("text", "#retry-reason"); got != attack {
			t.Errorf("first attempt %q", got)
		}
		if got := o.value("text", "#retry-left"); got != "还可重试 1 次" {
			t.Errorf("attempts left %q", got)
		}
		if got := o.value("text", "#result-text"); got != attack {
			t.Errorf("verdict text %q", got)
		}
		n := rc.waitNotify(t, token)
		if fmt.Sprint(n["error_code"]) != "4100" || n["error_msg"] != "FAIL_LIVING_FACE_ATTACK" {
			t.Errorf("notify %v", n)
		}
	})

	t.Run("cancel on the video step", func(t *testing.T) {
		token := createSession(t, s, s.Tenant.AppCode, rc, ref)
		o := browse(t, run{Camera: cam, Steps: []step{{"goto": page(token)}, {"check": "#consent"}, {"click": "#start"},
			{"screen": "video"}, {"waitEnabled": "#record"}, {"click": "#cancel"}, {"shot": "07-confirm-cancel"},
			{"click": "#confirm-yes"}, {"screen": "result"}, {"text": "#result-title"},
			{"waitURL": rc.URL + "/return", "timeout": 10000}}})
		if got := o.value("text", "#result-title"); got != "已退出验证" {
			t.Errorf("title %q", got)
		}
		n := rc.waitNotify(t, token)
		if fmt.Sprint(n["error_code"]) != "6000" || n["error_msg"] != "USER_CANCEL" {
			t.Errorf("notify %v", n)
		}
	})

	t.Run("Cloudauth CertifyUrl through the Go SDK", func(t *testing.T) {
		id, certifyURL := caInit(t, s, rc, ref)
		if want := s.URL + "/cloudauth/v1/do/" + id; certifyURL != want {
			t.Fatalf("CertifyUrl %q, want %q", certifyURL, want)
		}
		digits := session(t, s, id).Digits
		steps := []step{{"goto": certifyURL}, {"screen": "intro"}, {"shot": "15-cloudauth-intro"},
			{"check": "#consent"}, {"click": "#start"}}
		steps = append(steps, recordSteps(5, "")...)
		steps = append(steps, step{"screen": "result", "timeout": 90000}, step{"shot": "16-cloudauth-result"},
			step{"text": "#result-title"},
			step{"waitURL": rc.URL + "/return", "timeout": 10000}, step{"text": "p"})
		o := browse(t, run{Camera: cam, Mic: clearVoice(t, s, id, media, "zh"), Steps: steps})
		if got := o.value("text", "#result-title"); got != "验证通过" {
			t.Errorf("result title %q (digits %s, verdict %+v)", got, digits, session(t, s, id).Result)
		}
		back, err := url.Parse(o.value("waitURL", rc.URL+"/return"))
		if err != nil {
			t.Fatal(err)
		}
		if q := back.Query(); back.Path != "/return" || q.Get("order") != "43" || q.Get("certifyId") != id || q.Get("code") != "1000" {
			t.Errorf("redirected to %s", back)
		}
		if got := o.value("text", "p"); got != "back at the business: "+id {
			t.Errorf("business page %q", got)
		}
		q := rc.waitCallback(t, id)
		if q.Get("passed") != "200" || q.Get("callbackToken") != "tok43" || q.Get("biz") != "1" {
			t.Errorf("callback %v", q)
		}
		resp := caDescribe(t, s, id)
		ro := resp.ResultObject
		if resp.Code != "200" || ro.Passed != "T" || ro.SubCode != "200" {
			t.Fatalf("describe: %s", resp.GetHttpContentString())
		}
		var mi struct {
			FaceAttack         string `json:"faceAttack"`
			FacialPictureFront struct {
				VerifyScore *float64 `json:"verifyScore"`
				PictureURL  string   `json:"pictureUrl"`
			} `json:"facialPictureFront"`
		}
		if err := json.Unmarshal([]byte(ro.MaterialInfo), &mi); err != nil {
			t.Fatalf("MaterialInfo %q: %v", ro.MaterialInfo, err)
		}
		f := mi.FacialPictureFront
		if mi.FaceAttack != "F" || f.VerifyScore == nil || !strings.HasPrefix(f.PictureURL, s.URL+"/cloudauth/v1/picture/"+id) {
			t.Fatalf("MaterialInfo: %s", ro.MaterialInfo)
		}
		t.Logf("verifyScore %.2f", *f.VerifyScore)
		pic, err := http.Get(f.PictureURL) // the public URL is the test server
		if err != nil {
			t.Fatal(err)
		}
		img, _ := io.ReadAll(pic.Body)
		pic.Body.Close()
		if pic.StatusCode != 200 || !strings.HasPrefix(pic.Header.Get("Content-Type"), "image/jpeg") || len(img) < 1000 || img[0] != 0xFF || img[1] != 0xD8 {
			t.Fatalf("picture: %d %s (%d bytes)", pic.StatusCode, pic.Header.Get("Content-Type"), len(img))
		}
		if _, _, err := image.Decode(bytes.NewReader(img)); err != nil {
			t.Fatalf("picture does not decode: %v", err)
		}
	})

	t.Run("English journey (Accept-Language)", func(t *testing.T) {
		token := createSession(t, s, s.Tenant.AppCode, rc, ref)
		steps := []step{{"goto": page(token)}, {"screen": "intro"}, {"shot": "17-intro-en"},
			{"text": "#s-intro h1"}, {"text": "#start"}, {"text": "label.consent"},
			{"check": "#consent"}, {"click": "#start"}, {"screen": "video"}, {"waitEnabled": "#record"},
			{"text": "#s-video h1"}, {"text": "#record"}}
		steps = append(steps, recordSteps(5, "18-video-en")...)
		steps = append(steps, step{"screen": "result", "timeout": 90000}, step{"shot": "19-result-en"},
			step{"text": "#result-title"}, step{"text": "#result-return"}, step{"eval": "document.documentElement.lang"},
			step{"waitURL": rc.URL + "/return", "timeout": 10000})
		o := browse(t, run{Camera: cam, Mic: clearVoice(t, s, token, media, "en"), Locale: "en-US", Steps: steps})
		for sel, want := range map[string]string{
			"#s-intro h1":    "Verify your identity",
			"#start":         "Start",
			"label.consent":  "I agree that my face images, voice and ID card data are collected and processed for this identity verification.",
			"#s-video h1":    "Read these digits aloud in English",
			"#record":        "Start recording",
			"#result-title":  "Verification passed",
			"#result-return": "Return",
		} {
			if got := o.value("text", sel); got != want {
				t.Errorf("%s: %q, want %q", sel, got, want)
			}
		}
		if got := o.value("eval", "document.documentElement.lang"); got != "en" {
			t.Errorf("html lang %q", got)
		}
		if n := rc.waitNotify(t, token); fmt.Sprint(n["error_code"]) != "1000" {
			t.Errorf("notify %v", n)
		}
	})
}

// TestBrowserPageStates covers the screens that need no verdict: expired (test clock), used,
// unknown token, camera denied, no MediaRecorder; in Chinese and English.
func TestBrowserPageStates(t *testing.T) {
	browserDir(t)
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s := apitest.Start(t, apitest.Options{Clock: clock})
	rc := newReceiver(t)
	page := func(token string) string { return s.URL + "/lite/v1/do/" + token }

	expired := createSession(t, s, s.Tenant.AppCode, rc, "")
	used := createSession(t, s, s.Tenant.AppCode, rc, "")
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+used+"/cancel", nil)
	if st := apitest.Do(t, req, nil); st != 200 {
		t.Fatalf("cancel: %d", st)
	}
	clock.Advance(2 * time.Hour) // past the 1 h page validity of biz_token
	fresh := createSession(t, s, s.Tenant.AppCode, rc, "")
	fresh2 := createSession(t, s, s.Tenant.AppCode, rc, "")

	t.Run("expired used unknown", func(t *testing.T) {
		o := browse(t, run{Steps: []step{
			{"goto": page(expired)}, {"screen": "problem"}, {"shot": "08-expired"},
			{"text": "#problem-title"}, {"text": "#problem-text"},
			{"goto": page(used)}, {"screen": "result"}, {"shot": "09-used"}, {"text": "#result-title"},
			{"goto": page("1700000000,00000000000000000000000000000000")}, {"screen": "problem"},
			{"shot": "10-unknown"}, {"eval": "document.getElementById('problem-title').textContent"},
		}}, "404")
		if got := o.value("text", "#problem-title"); got != "验证链接已过期" {
			t.Errorf("expired title %q", got)
		}
		if got := o.value("text", "#problem-text"); got != "无效请求，或当前请求已过期" {
			t.Errorf("expired text %q", got)
		}
		if got := o.value("text", "#result-title"); got != "该验证已经完成" {
			t.Errorf("used title %q", got)
		}
		if got := o.value("eval", "document.getElementById('problem-title').textContent"); got != "验证链接无效" {
			t.Errorf("unknown title %q", got)
		}
		if v := session(t, s, expired); v.Step != "expired" {
			t.Errorf("expired session step %q", v.Step)
		}
	})

	t.Run("camera denied (English)", func(t *testing.T) {
		o := browse(t, run{Deny: true, Locale: "en-US", Steps: []step{
			{"goto": page(fresh)}, {"screen": "intro"}, {"text": "#start"}, {"check": "#consent"}, {"click": "#start"},
			{"screen": "problem"}, {"shot": "11-denied-en"}, {"text": "#problem-title"},
		}})
		if got := o.value("text", "#start"); got != "Start" {
			t.Errorf("English start button %q", got)
		}
		if got := o.value("text", "#problem-title"); got != "Camera or microphone blocked" {
			t.Errorf("denied title %q", got)
		}
	})

	t.Run("no MediaRecorder", func(t *testing.T) {
		o := browse(t, run{Init: "delete window.MediaRecorder", Steps: []step{
			{"goto": page(fresh2) + "?lang=en"}, {"check": "#consent"}, {"click": "#start"},
			{"screen": "problem"}, {"shot": "12-unsupported"}, {"text": "#problem-title"},
			{"click": "#cancel"}, {"click": "#confirm-yes"}, {"screen": "result"}, {"text": "#result-text"},
		}})
		if got := o.value("text", "#problem-title"); got != "This browser cannot record video" {
			t.Errorf("unsupported title %q", got)
		}
		if got := o.value("text", "#result-text"); got != "You left the verification" {
			t.Errorf("cancel text %q", got)
		}
	})
}
