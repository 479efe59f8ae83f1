package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cloudauth"

	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/internal/voicetest"
)

// caSpeakDigits writes a WAV of espeak-ng reading the digits in Mandarin (the zh-CN
// page's language; cmn-latn-pinyin voice), 0.6 s of silence first.
func caSpeakDigits(t *testing.T, dir, digits string) string {
	t.Helper()
	raw, wav := filepath.Join(dir, "digits-raw.wav"), filepath.Join(dir, "digits.wav")
	testenv.Sh(t, "espeak-ng", "-v", "cmn-latn-pinyin", "-s", "130", "-g", "20", "-w", raw, voicetest.Say("zh", digits))
	testenv.Sh(t, "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", raw, "-af", "adelay=600|600,apad=pad_dur=1", "-ar", "16000", "-ac", "1", wav)
	return wav
}

// caTalkingClip lays the spoken digits over a real talking-face clip (the face moves and
// talks; the lips do not say these digits, so the tenant runs with lip-sync off).
func caTalkingClip(t *testing.T, dir, video, digits string) []byte {
	t.Helper()
	wav := caSpeakDigits(t, dir, digits)
	out := filepath.Join(dir, "talking.mp4")
	testenv.Sh(t, "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", video, "-i", wav, "-map", "0:v:0", "-map", "1:a:0",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// caStillClip is a still photo held to the camera while a voice reads the digits.
func caStillClip(t *testing.T, dir, photo, digits string) []byte {
	t.Helper()
	wav := caSpeakDigits(t, dir, digits)
	out, small := filepath.Join(dir, "still.mp4"), filepath.Join(dir, "still.png")
	// scale once: looping the full-size JPEG decodes it for every frame (20 s)
	testenv.Sh(t, "ffmpeg", "-nostdin", "-v", "error", "-y", "-i", photo, "-vf", "scale=480:-2", small)
	testenv.Sh(t, "ffmpeg", "-nostdin", "-v", "error", "-y", "-loop", "1", "-framerate", "25", "-t", "4.5", "-i", small, "-i", wav,
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// caPageDigits opens the page JSON API of a session and returns the challenge.
func caPageDigits(t *testing.T, s *apitest.Server, id string) string {
	t.Helper()
	var view map[string]any
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+id, nil)
	if st := apitest.Do(t, req, &view); st != 200 || view["step"] != "video" || view["dialect"] != "cloudauth" {
		t.Fatalf("page view: %d %+v", st, view)
	}
	return view["digits"].(string)
}

// caClearChallenge opens the page and pins the session's challenge to digits the server's
// recogniser confirms in this test's voice: the test plays a user who speaks clearly, so a
// genuine case does not hinge on the recogniser's error rate for a random challenge
// (measured by speech/cmd/digiteval, docs/speech.md).
func caClearChallenge(t *testing.T, s *apitest.Server, id, dir string) string {
	t.Helper()
	caPageDigits(t, s, id)
	for _, digits := range voicetest.Candidates {
		if voicetest.Confirmed(t, caSpeakDigits(t, dir, digits), digits) {
			voicetest.PinChallenge(t, s.App.Store, id, digits)
			return digits
		}
	}
	t.Fatal("the recogniser confirms none of the candidate challenges in this voice")
	return ""
}

func caUploadVideo(t *testing.T, s *apitest.Server, id string, video []byte) {
	t.Helper()
	var out map[string]any
	if st := apitest.Do(t, testenv.VideoRequest(s.URL, id, "clip.mp4", video), &out); st != http.StatusAccepted || out["accepted"] != true {
		t.Fatalf("upload: %d %+v", st, out)
	}
}

// caAwaitDescribe polls DescribeFaceVerify through the SDK until the verdict is there.
func caAwaitDescribe(t *testing.T, s *apitest.Server, c *cloudauth.Client, scene, id string) *cloudauth.DescribeFaceVerifyResponse {
	t.Helper()
	return apitest.AwaitDescribe(t, c, func() *cloudauth.DescribeFaceVerifyRequest {
		r := caDescribeReq(s, id)
		if scene != "" {
			r.SceneId = requests.Integer(scene)
		}
		return r
	}, 90*time.Second)
}

type caMaterialInfo struct {
	FaceAttack         string `json:"faceAttack"`
	FaceOcclusion      string `json:"faceOcclusion"`
	FacialPictureFront struct {
		FaceAttackScore *float64 `json:"faceAttackScore"`
		QualityScore    *float64 `json:"qualityScore"`
		VerifyScore     *float64 `json:"verifyScore"`
		PictureURL      string   `json:"pictureUrl"`
		OssBucketName   string   `json:"ossBucketName"`
		OssObjectName   string   `json:"ossObjectName"`
	} `json:"facialPictureFront"`
}

// caFetchPicture GETs a pictureUrl on the test server (the URL's base is the configured
// public URL, not the test port).
func caFetchPicture(t *testing.T, s *apitest.Server, raw string) (int, []byte) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return testenv.Get(t, s.URL+u.RequestURI())
}

func TestCloudauthFlowGoSDK(t *testing.T) {
	ds := testenv.Datasets(t, "talking")
	testenv.Tool(t, "ffmpeg")
	testenv.Tool(t, "espeak-ng")
	ctx := context.Background()
	// the callback receiver is a plain-http loopback server: the operator allows it
	s := apitest.Start(t, apitest.Options{Engine: true, Flags: []string{"--cloudauth-http-callback-hosts", "127.0.0.1"}})
	dir := t.TempDir()

	cb := testenv.NewRecorder(t, nil)
	seen := 0                            // callbacks taken so far
	awaitCallback := func() url.Values { // the next GET callback, in order
		seen++
		return cb.Wait(t, seen, 20*time.Second, func(r testenv.Received) bool { return r.Method == http.MethodGet })[seen-1].Query
	}

	t.Run("genuine talking face passes (registry, lip-sync off)", func(t *testing.T) {
		// the operator-visible switch: this tenant runs without the lip/voice sync check
		s.Tenant.Checks.LipSyncOff = true
		if err := s.App.Store.UpdateTenant(ctx, s.Tenant); err != nil {
			t.Fatal(err)
		}
		clip := filepath.Join(ds, "talking", "vox_audio_00373.mp4")
		ref := filepath.Join(dir, "ref.jpg")
		testenv.Sh(t, "ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", "3.5", "-i", clip, "-frames:v", "1", "-vf", "scale=448:448", ref)
		photo, _ := os.ReadFile(ref)
		if err := s.App.Service.Enrol(ctx, caTestCertName, caTestCertNo, photo); err != nil {
			t.Fatalf("enrol: %v", err)
		}
		init := caSdkInit(t, s, "CallbackUrl", cb.URL+"/cb?biz=1", "CallbackToken", "tok123")
		if init.Code != "200" {
			t.Fatalf("init: %s", init.GetHttpContentString())
		}
		id := init.ResultObject.CertifyId
		caUploadVideo(t, s, id, caTalkingClip(t, dir, clip, caClearChallenge(t, s, id, dir)))
		client := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret)
		resp := caAwaitDescribe(t, s, client, "", id)
		ro := resp.ResultObject
		if resp.Code != "200" || ro.Passed != "T" || ro.SubCode != "200" || ro.IdentityInfo != "" {
			t.Fatalf("describe: %s", resp.GetHttpContentString())
		}
		var mi caMaterialInfo
		if err := json.Unmarshal([]byte(ro.MaterialInfo), &mi); err != nil {
			t.Fatalf("MaterialInfo %q: %v", ro.MaterialInfo, err)
		}
		f := mi.FacialPictureFront
		if mi.FaceAttack != "F" || mi.FaceOcclusion != "F" || f.VerifyScore == nil || *f.VerifyScore < 75 || f.QualityScore == nil ||
			*f.QualityScore <= 0 || *f.QualityScore > 100 || f.FaceAttackScore == nil || *f.FaceAttackScore >= 0.5 ||
			f.OssBucketName == "" || !strings.Contains(f.OssObjectName, id) {
			t.Fatalf("MaterialInfo: %s", ro.MaterialInfo)
		}
		t.Logf("verifyScore %.2f qualityScore %.2f faceAttackScore %.4f", *f.VerifyScore, *f.QualityScore, *f.FaceAttackScore)
		st, img := caFetchPicture(t, s, f.PictureURL)
		if st != 200 || len(img) < 100 || img[0] != 0xFF || img[1] != 0xD8 {
			t.Fatalf("picture: %d (%d bytes)", st, len(img))
		}
		if st, _ := caFetchPicture(t, s, strings.Replace(f.PictureURL, "Signature=", "Signature=x", 1)); st != 403 {
			t.Fatalf("tampered picture URL: %d", st)
		}
		q := awaitCallback()
		if q.Get("certifyId") != id || q.Get("passed") != "200" || q.Get("callbackToken") != "tok123" || q.Get("biz") != "1" {
			t.Fatalf("callback: %v", q)
		}
		// the Node SDK (V3 signatures) reads the same verdict
		out := caNodeSDK(t, s, "FV_MODE=describe", "FV_CERTIFY_ID="+id)
		body, _ := out["describe"]["body"].(map[string]any)
		nro, _ := body["ResultObject"].(map[string]any)
		if body["Code"] != "200" || nro["Passed"] != "T" || nro["SubCode"] != "200" || !strings.Contains(fmt.Sprint(nro["MaterialInfo"]), "pictureUrl") {
			t.Fatalf("node describe: %+v", out["describe"])
		}
		// the page is single-use
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+id, nil)
		var view map[string]any
		if apitest.Do(t, req, &view); view["step"] != "result" || !strings.Contains(fmt.Sprint(view["return_url"]), "code=1000") {
			t.Fatalf("page after verdict: %+v", view)
		}
	})

	t.Run("still photo with a voice is an attack (reference picture, full checks)", func(t *testing.T) {
		other := admin.NewTenant("full checks", -1)
		if err := s.App.Store.CreateTenant(ctx, other); err != nil {
			t.Fatal(err)
		}
		photoPath := filepath.Join(testenv.Datasets(t, "faces", "deepface"), "faces", "deepface", "img1.jpg")
		photo, err := os.ReadFile(photoPath)
		if err != nil {
			t.Fatal(err)
		}
		client := caSdkClient(t, other.AccessKeyID, other.AccessKeySecret)
		r := caInitReq(s, "CertName", "", "CertNo", "", "CallbackUrl", cb.URL+"/attack", "FaceContrastPicture", base64.StdEncoding.EncodeToString(photo))
		r.SceneId = requests.Integer(other.SceneID)
		init, err := client.InitFaceVerify(r)
		if err != nil || init.Code != "200" {
			t.Fatalf("init: %v %v", err, init)
		}
		id := init.ResultObject.CertifyId
		t0 := time.Now()
		clipData := caStillClip(t, dir, photoPath, caPageDigits(t, s, id))
		t1 := time.Now()
		caUploadVideo(t, s, id, clipData)
		resp := caAwaitDescribe(t, s, client, other.SceneID, id)
		t.Logf("clip %v, verdict %v", t1.Sub(t0), time.Since(t1))
		ro := resp.ResultObject
		var mi caMaterialInfo
		json.Unmarshal([]byte(ro.MaterialInfo), &mi)
		if resp.Code != "200" || ro.Passed != "F" || ro.SubCode != "205" || mi.FaceAttack != "T" {
			t.Fatalf("describe: %s", resp.GetHttpContentString())
		}
		q := awaitCallback()
		if q.Get("certifyId") != id || q.Get("passed") != "205" || q.Has("callbackToken") {
			t.Fatalf("callback: %v", q)
		}
	})
	if logs := s.Log.String(); strings.Contains(logs, caTestCertNo) || strings.Contains(logs, caTestCertName) {
		t.Fatal("personal data in logs")
	}
}
