package httpapi_test

// Fuzz tests of every decoder that reads untrusted input: request bodies (ReadForm:
// form-urlencoded and multipart), the Lite get_biz_token parameters (lite.ParseCreate),
// the page JSON/multipart API (through the real handler), and the Cloudauth RPC
// parameters (cloudauth.ParseInit / ParseDescribe). Each asserts: no panic, no 5xx, and
// every error is a documented one. The seed corpus (f.Add below and testdata/fuzz/) runs
// in plain `go test`; explore with e.g. `go test ./httpapi -run '^$' -fuzz FuzzReadForm`.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/blob/fs"
	"github.com/faceverify/faceverify/dialect/cloudauth"
	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/httpapi"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlite"
	"github.com/faceverify/faceverify/verify"
)

// documentedLite reports whether err is one of the errors the Lite error table documents
// for a request decoder (never internal).
func documentedLite(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *faceverify.Error
	if !errors.As(err, &fe) {
		t.Fatalf("foreign error %T %v", err, err)
	}
	switch fe.Code {
	case faceverify.EMISSING, faceverify.EINVALID, faceverify.ETOOLARGE:
	default:
		t.Fatalf("undocumented decoder error %v", err)
	}
	status, msg := lite.ErrorResponse(err)
	if status >= 500 || !(strings.HasPrefix(msg, "MISSING_ARGUMENTS:") || strings.HasPrefix(msg, "BAD_ARGUMENTS:") || msg == "Request Entity Too Large") {
		t.Fatalf("%v → %d %q", err, status, msg)
	}
}

func FuzzReadForm(f *testing.F) {
	body, ct := testenv.Multipart(url.Values{"return_url": {"https://a.example/"}, "liveness_type": {"video_number"}},
		testenv.File{Field: "image_ref1", Name: "image_ref1.jpg", Data: []byte("\xff\xd8\xff\xd9")})
	f.Add("POST", ct, "", body)
	f.Add("POST", "application/x-www-form-urlencoded", "a=1", []byte("return_url=https%3A%2F%2Fa.example%2F&x=%zz"))
	f.Add("POST", "application/x-www-form-urlencoded; charset=utf-8", "%", []byte("a=1&a=2"))
	f.Add("POST", "multipart/form-data; boundary=", "", []byte("--\r\n"))
	f.Add("POST", "multipart/form-data; boundary=x", "", []byte("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--x--\r\n"))
	f.Add("POST", "multipart/form-data; boundary=x", "", []byte("--x\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f\"\r\n\r\n"))
	f.Add("POST", "text/plain", "", []byte("hello"))
	f.Add("POST", "", "", []byte(" "))
	f.Add("GET", "", "biz_token=1%2C2", []byte(nil))
	f.Add("POST", "multipart/form-data; boundary=\"unterminated", "", []byte("x"))
	f.Fuzz(func(t *testing.T, method, contentType, query string, body []byte) {
		if method != "GET" {
			method = "POST"
		}
		r := httptest.NewRequest(method, "/lite/v1/get_biz_token", bytes.NewReader(body))
		r.URL.RawQuery = query
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		form, err := httpapi.ReadForm(r, 64<<10)
		documentedLite(t, err)
		if err == nil && (form.Values == nil || form.Files == nil) {
			t.Fatal("nil maps on success")
		}
	})
}

func FuzzParseCreate(f *testing.F) {
	f.Add("return_url=https%3A%2F%2Fa.example%2F&notify_url=https%3A%2F%2Fa.example%2Fn&liveness_type=video_number&idcard_name=%E5%BC%A0%E4%B8%89&idcard_number=11010519491231002X", []byte(nil), []byte(nil))
	f.Add("return_url=https://a.example/&notify_url=https://a.example/n&liveness_type=video_number&comparison_type=0&uuid=u1", []byte("\xff\xd8"), []byte("\xff\xd8"))
	f.Add("return_url=javascript:alert(1)&notify_url=x&liveness_type=video_number", []byte(nil), []byte(nil))
	f.Add("return_url=https://a/&notify_url=https://a/&liveness_type=video_number&group=1&idcard_threshold=NaN&security_level=9", []byte(nil), []byte{})
	f.Add("return_url=https://a/&notify_url=https://a/&liveness_type=video_number&comparison_type=0&uuid=u&image_ref2=x", []byte{}, []byte("x"))
	f.Add("%ff=%fe&return_url=https://a/&return_url=https://b/", []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, query string, ref1, ref2 []byte) {
		vals, _ := url.ParseQuery(query)
		form := lite.Form{Values: vals, Files: map[string][][]byte{}}
		if ref1 != nil {
			form.Files["image_ref1"] = [][]byte{ref1}
		}
		if ref2 != nil {
			form.Files["image_ref2"] = [][]byte{ref2}
		}
		req, err := lite.ParseCreate(form)
		documentedLite(t, err)
		if err != nil {
			return
		}
		// what is accepted is consistent
		o := req.Options
		if o.LivenessType != "video_number" || o.SecurityLevel < 1 || o.SecurityLevel > 3 || o.LivenessRetries < 1 || o.LivenessRetries > 5 {
			t.Fatalf("accepted out-of-range options %+v", o)
		}
		for _, u := range []string{o.ReturnURL, o.NotifyURL} {
			pu, err := url.Parse(u)
			if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				t.Fatalf("accepted URL %q", u)
			}
		}
		if o.ComparisonType == faceverify.CompareReference && len(req.RefImages) == 0 {
			t.Fatal("comparison_type=0 accepted without image_ref1")
		}
	})
}

// pageServer is a real handler (SQLite store, file blobs, no engine) for the page API fuzz.
var pageServer = sync.OnceValues(func() (*pageFixture, error) {
	dir, err := tempDir()
	if err != nil {
		return nil, err
	}
	box, err := seal.New(seal.NewKey(1))
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(filepath.Join(dir, "fv.db"), box, nil)
	if err != nil {
		return nil, err
	}
	blobs, err := fs.Open(filepath.Join(dir, "blobs"), box)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := verify.New(st, blobs, nil, nil, log, verify.Config{MaxVideoBytes: 64 << 10, MaxImageBytes: 64 << 10})
	tenant := admin.NewTenant("fuzz", -1)
	if err := st.CreateTenant(context.Background(), tenant); err != nil {
		return nil, err
	}
	fx := &pageFixture{srv: httpapi.NewServer(httpapi.Deps{Service: svc, Log: log, UploadRate: -1}), svc: svc, tenant: tenant}
	return fx, nil
})

type pageFixture struct {
	srv    *httpapi.Server
	svc    *verify.Service
	tenant *faceverify.Tenant
}

func (fx *pageFixture) token(t *testing.T, group bool) string {
	o := faceverify.Options{ReturnURL: "https://a.example/", NotifyURL: "https://a.example/n", LivenessType: "video_number",
		SecurityLevel: 2, LivenessPrefs: 1, LivenessRetries: 2, IDCardRetries: 2, ClaimedName: "张三", ClaimedNumber: "11010519491231002X",
		ComparisonType: faceverify.CompareRegistry, IDFromCard: group}
	ss, err := fx.svc.Create(context.Background(), fx.tenant, verify.CreateRequest{Dialect: faceverify.DialectLite, Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return ss.Token
}

var pageErrors = map[string]bool{"TOKEN_INVALID": true, "EXPIRED": true, "USED": true, "BAD_STATE": true, "BAD_REQUEST": true,
	"TOO_LARGE": true, "RATE_LIMITED": true}

func FuzzPageAPI(f *testing.F) {
	body, ct := testenv.Multipart(nil, testenv.File{Field: "video", Name: "video.jpg", Data: []byte("\x00\x00\x00\x18ftypmp42")})
	f.Add(uint8(0), uint8(1), "", ct, "", body)
	f.Add(uint8(1), uint8(1), "", ct, "", body)
	body2, ct2 := testenv.Multipart(url.Values{"side": {"front"}}, testenv.File{Field: "image", Name: "image.jpg", Data: []byte("\xff\xd8\xff\xd9")})
	f.Add(uint8(2), uint8(2), "", ct2, "side=front", body2)
	f.Add(uint8(2), uint8(1), "", ct2, "side=back", body2)
	f.Add(uint8(3), uint8(1), "", "", "", []byte(nil))
	f.Add(uint8(1), uint8(0), "1700000000,00000000000000000000000000000000", "multipart/form-data; boundary=b", "", []byte("--b\r\n"))
	f.Add(uint8(1), uint8(1), "", "multipart/form-data; boundary=b", "lang=en", []byte("--b\r\nContent-Disposition: form-data; name=\"video\"; filename=\"v\"\r\n\r\n"))
	f.Add(uint8(2), uint8(2), "", "application/json", "side=%zz", []byte(`{"image":"AAAA"}`))
	f.Add(uint8(0), uint8(0), "../../etc/passwd", "", "lang=zh", []byte(nil))
	f.Fuzz(func(t *testing.T, route, tokenKind uint8, token, contentType, query string, body []byte) {
		fx, err := pageServer()
		if err != nil {
			t.Fatal(err)
		}
		switch tokenKind % 3 {
		case 1:
			token = fx.token(t, false)
		case 2:
			token = fx.token(t, true)
		}
		token = url.PathEscape(token)
		var method, path string
		switch route % 4 {
		case 0:
			method, path = http.MethodGet, "/h5/v1/sessions/"+token
		case 1:
			method, path = http.MethodPost, "/h5/v1/sessions/"+token+"/video"
		case 2:
			method, path = http.MethodPost, "/h5/v1/sessions/"+token+"/idcard"
		case 3:
			method, path = http.MethodPost, "/h5/v1/sessions/"+token+"/cancel"
		}
		if tokenKind%3 != 0 && route%4 != 0 {
			// open the page first, like a browser
			fx.srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/h5/v1/sessions/"+token, nil))
		}
		r := httptest.NewRequest(method, "/", bytes.NewReader(body))
		r.URL.Path, r.URL.RawQuery = path, query
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		fx.srv.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body.String())
		}
		if (w.Code == http.StatusMovedPermanently || w.Code == http.StatusTemporaryRedirect || w.Code == http.StatusPermanentRedirect) &&
			w.Header().Get("Location") != "" {
			return // the mux cleaning a path such as /h5/v1/sessions//video
		}
		if w.Code == http.StatusNotFound && w.Body.Len() > 0 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			return // the mux's own 404 for a path that is not a route (e.g. a token with a slash)
		}
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: %d non-JSON %q", method, path, w.Code, w.Body.String())
		}
		if w.Code >= 400 {
			if e, _ := out["error"].(string); !pageErrors[e] {
				t.Fatalf("%s %s: %d undocumented error %v", method, path, w.Code, out)
			}
		}
	})
}

func FuzzCloudauthParams(f *testing.F) {
	tenant := admin.NewTenant("fuzz", -1)
	f.Add("ProductCode=ID_PRO&SceneId="+tenant.SceneID+"&OuterOrderNo=o1&CertType=IDENTITY_CARD&CertName=%E5%BC%A0%E4%B8%89&CertNo=11010519491231002X&MetaInfo=%7B%7D&Model=LIVENESS", true)
	f.Add("ProductCode=ID_PRO&SceneId=1&FaceContrastPicture=%%%&CertifyId=x", true)
	f.Add("CertifyId=0123456789abcdef0123456789abcdef&SceneId="+tenant.SceneID, false)
	f.Add("CertifyId=&SceneId=&SceneId=2", false)
	f.Add("ProductCode=ID_PRO&SceneId="+tenant.SceneID+"&FaceContrastPicture=////&CallbackUrl=javascript:x&ReturnUrl=ftp://x", true)
	f.Fuzz(func(t *testing.T, query string, init bool) {
		p, _ := url.ParseQuery(query)
		var err error
		if init {
			_, err = cloudauth.ParseInit(p, tenant, cloudauth.InitPolicy{MaxImage: 64 << 10})
		} else {
			_, err = cloudauth.ParseDescribe(p, tenant)
		}
		if err == nil {
			return
		}
		status, body := cloudauth.ErrorResponse(err, "req", "host")
		if status >= 500 || body.Code == "" || body.Code == cloudauth.CodeInternal {
			t.Fatalf("%q: %v → %d %+v", query, err, status, body)
		}
	})
}

// tempDir holds the page fuzz fixture's database for the life of the test binary.
func tempDir() (string, error) { return os.MkdirTemp("", "faceverify-fuzz-page-") }
