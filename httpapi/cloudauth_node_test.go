package httpapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testenv"
)

// caNodeSDK runs test/node/cloudauth.mjs (the official Node SDK, ACS3-HMAC-SHA256 signatures)
// against s and decodes what it printed.
func caNodeSDK(t *testing.T, s *apitest.Server, env ...string) map[string]map[string]any {
	t.Helper()
	node := testenv.Tool(t, "node")
	dir := filepath.Join(testenv.RepoRoot(), "test", "node")
	testenv.Need(t, filepath.Join(dir, "node_modules", "@alicloud", "cloudauth20190307"), "Node SDK", "run `make setup`")
	cmd := exec.Command(node, "cloudauth.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"FV_ENDPOINT=" + caHost(s), "FV_AK=" + s.Tenant.AccessKeyID,
		"FV_SECRET=" + s.Tenant.AccessKeySecret, "FV_SCENE=" + s.Tenant.SceneID}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("node: %v\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("node timed out\n%s", stderr.String())
	}
	var out map[string]map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("node output %q: %v", stdout.String(), err)
	}
	return out
}

func TestCloudauthNodeSDK(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	out := caNodeSDK(t, s, "FV_MODE=init")
	body := func(k string) map[string]any { b, _ := out[k]["body"].(map[string]any); return b }
	init := body("init")
	ro, _ := init["ResultObject"].(map[string]any)
	if out["init"]["statusCode"] != 200.0 || init["Code"] != "200" || init["Message"] != "success" || ro == nil ||
		!caCertifyIDRE.MatchString(ro["CertifyId"].(string)) || !caAliReqIDRE.MatchString(init["RequestId"].(string)) {
		t.Fatalf("init: %+v", out["init"])
	}
	id := ro["CertifyId"].(string)
	if !strings.HasSuffix(ro["CertifyUrl"].(string), "/cloudauth/v1/do/"+id) {
		t.Fatalf("CertifyUrl %v", ro["CertifyUrl"])
	}
	if d := body("describe"); d["Code"] != "424" || d["Message"] != "身份认证记录不存在" {
		t.Fatalf("describe: %+v", out["describe"])
	}
	if b := body("badParams"); b["Code"] != "400" || b["Message"] != "参数不能为空" {
		t.Fatalf("bad params: %+v", out["badParams"])
	}
	if w := out["wrongSecret"]; w["statusCode"] != 400.0 || w["code"] != "SignatureDoesNotMatch" || w["hostId"] != caHost(s) {
		t.Fatalf("wrong secret: %+v", w)
	}
	// the session the Node SDK created carries its parameters, encoded exactly
	ss, err := s.App.Store.Session(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	o := ss.Options
	if o.UserRef != "user 42 +*~" || o.NotifyToken != "tok+en*~" || o.NotifyURL != "https://biz.example/cb?x=1 2*~" ||
		o.Meta["AuthId"] != "auth-1" || o.Meta["Model"] != "LIVENESS" || o.ClaimedName != "张三" {
		t.Fatalf("options: %+v", o)
	}
}
