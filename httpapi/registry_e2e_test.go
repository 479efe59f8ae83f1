package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/voicetest"
	"github.com/faceverify/faceverify/registry/httpreg"
)

// TestHTTPRegistryEndToEnd runs Lite verifications of a tenant whose identity source is an
// HTTP registry (a signed loopback source started here, configured through --registries):
// the live face is compared with the photo the source sends; its other answers become the
// documented result codes.
func TestHTTPRegistryEndToEnd(t *testing.T) {
	genuine := corpusCase(t, "genuine")
	secret := []byte("e2e-registry-secret-0123456789")
	const number, noPhoto, unknown = "11010519491231002X", "110101199003074514", "110105198001010016"
	var blank bytes.Buffer
	png.Encode(&blank, image.NewGray(image.Rect(0, 0, 200, 200)))
	people := map[string]struct {
		name  string
		photo []byte
	}{number: {"张三", frameOf(t, genuine.File)}, noPhoto: {"李四", blank.Bytes()}}
	var mu sync.Mutex
	lookups := 0
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, nonce := r.Header.Get(httpreg.HeaderTimestamp), r.Header.Get(httpreg.HeaderNonce)
		if r.URL.Path != "/fv/v1/lookup" || !httpreg.Equal(r.Header.Get(httpreg.HeaderSignature), httpreg.RequestSignature(secret, r.Method, r.URL.EscapedPath(), ts, nonce, body)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var q struct {
			Number string `json:"idcard_number"`
			Name   string `json:"name"`
		}
		json.Unmarshal(body, &q)
		mu.Lock()
		lookups++
		mu.Unlock()
		ans := map[string]string{"result": "no_such_number"}
		if p, ok := people[q.Number]; ok {
			ans = map[string]string{"result": "name_mismatch"}
			if p.name == q.Name {
				ans = map[string]string{"result": "match", "photo": base64.StdEncoding.EncodeToString(p.photo)}
			}
		}
		out, _ := json.Marshal(ans)
		w.Header().Set(httpreg.HeaderSignature, httpreg.ResponseSignature(secret, 200, nonce, out))
		w.Write(out)
	}))
	defer src.Close()
	regFile := filepath.Join(t.TempDir(), "registries.json")
	os.WriteFile(regFile, []byte(fmt.Sprintf(`{"registries":{"crm":{"url":%q,"key_id":"k1","secret":%q,"allow":"127.0.0.1/32","allow_http":true}}}`,
		src.URL+"/fv", secret)), 0o600)

	s := apitest.Start(t, apitest.Options{Engine: true, Flags: []string{"--registries", regFile}})
	ctx := context.Background()
	s.Tenant.Checks.LipSyncOff = true // genuine corpus clips are dubbed with digits (docs/liveness.md)
	s.Tenant.Registry = "crm"
	if err := s.App.Store.UpdateTenant(ctx, s.Tenant); err != nil {
		t.Fatal(err)
	}
	verdict := func(name, num string) liteResp {
		f := apitest.LiteForm()
		f.Set("idcard_name", name)
		f.Set("idcard_number", num)
		var r liteResp
		if st := s.PostForm(t, "/lite/v1/get_biz_token", f, &r); st != 200 {
			t.Fatalf("create: %d %+v", st, r)
		}
		pageView(t, s, r.BizToken)
		voicetest.PinChallenge(t, s.App.Store, r.BizToken, genuine.Challenge)
		if st, out := uploadVideo(t, s, r.BizToken, genuine.File); st != 202 {
			t.Fatalf("upload: %d %v", st, out)
		}
		waitStep(t, s, r.BizToken, "processing")
		_, res := getResult(t, s, s.Tenant.AppCode, r.BizToken)
		return res
	}
	if r := verdict("张三", number); r.ResultCode != "1000" || r.Verification["idcard"] == nil {
		t.Fatalf("match: %+v", r)
	}
	for _, c := range []struct{ name, num, code, msg string }{
		{"王五", unknown, "3000", "NO_ID_CARD_NUMBER"},
		{"王五", number, "3000", "ID_NUMBER_NAME_NOT_MATCH"},
		{"李四", noPhoto, "3100", "NO_FACE_FOUND_IDCARD"},
	} {
		if r := verdict(c.name, c.num); r.ResultCode != c.code || r.ResultMessage != c.msg {
			t.Errorf("%s %s: %s %s, want %s %s", c.name, c.num, r.ResultCode, r.ResultMessage, c.code, c.msg)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if lookups != 4 {
		t.Fatalf("the source saw %d lookups, want 4 (the embedded table must not have answered)", lookups)
	}
}
