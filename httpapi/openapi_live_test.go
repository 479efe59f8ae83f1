package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPILive: the served documents are valid OpenAPI 3, and live answers of the real
// server (Lite, Cloudauth via the official SDK, page API; success and error paths) match the
// response schema their operation documents.
func TestOpenAPILive(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	docs := map[string]*openapi3.T{}
	for _, n := range []string{"lite", "cloudauth", "h5"} {
		resp, err := http.Get(s.URL + "/docs/openapi/" + n + ".json")
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", n, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		doc, err := openapi3.NewLoader().LoadFromData(data)
		if err == nil {
			err = doc.Validate(context.Background())
		}
		if err != nil {
			t.Fatalf("served %s.json: %v", n, err)
		}
		docs[n] = doc
	}
	for p, want := range map[string]int{"/docs/": 200, "/docs/openapi/nope.json": 404, "/docs/openapi/lite.yaml": 404} {
		resp, err := http.Get(s.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", p, resp.StatusCode, want)
		}
		if want == 200 && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: CSP %q", p, resp.Header.Get("Content-Security-Policy"))
		}
	}

	check := func(doc, path, method string, req *http.Request) map[string]any {
		t.Helper()
		status, body := testenv.Fetch(t, req)
		validate(t, docs[doc], path, method, status, body)
		var m map[string]any
		json.Unmarshal(body, &m)
		return m
	}
	lite := func(method, path string, form url.Values, appcode string) *http.Request {
		var req *http.Request
		if method == http.MethodGet {
			req, _ = http.NewRequest(method, s.URL+path+"?"+form.Encode(), nil)
		} else {
			req, _ = http.NewRequest(method, s.URL+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Authorization", "APPCODE "+appcode)
		return req
	}
	app := s.Tenant.AppCode
	created := check("lite", "/lite/v1/get_biz_token", "POST", lite("POST", "/lite/v1/get_biz_token", apitest.LiteForm(), app))
	token, _ := created["biz_token"].(string)
	if token == "" {
		t.Fatalf("no biz_token: %v", created)
	}
	check("lite", "/lite/v1/get_biz_token", "POST", lite("POST", "/lite/v1/get_biz_token", url.Values{"return_url": {"https://a.example/"}}, app))
	check("lite", "/lite/v1/get_biz_token", "POST", lite("POST", "/lite/v1/get_biz_token", apitest.LiteForm(), "wrong"))
	check("lite", "/lite/v1/get_result", "GET", lite("GET", "/lite/v1/get_result", url.Values{"biz_token": {token}}, app))
	check("lite", "/lite/v1/get_result", "POST", lite("POST", "/lite/v1/get_result", url.Values{"biz_token": {"nope"}}, app))

	page := func(method, path string) *http.Request {
		req, _ := http.NewRequest(method, s.URL+path, nil)
		return req
	}
	check("h5", "/h5/v1/sessions/{token}", "GET", page("GET", "/h5/v1/sessions/"+token))
	check("h5", "/h5/v1/sessions/{token}", "GET", page("GET", "/h5/v1/sessions/unknown"))
	check("h5", "/h5/v1/sessions/{token}/cancel", "POST", page("POST", "/h5/v1/sessions/"+token+"/cancel"))
	check("h5", "/h5/v1/sessions/{token}/cancel", "POST", page("POST", "/h5/v1/sessions/"+token+"/cancel")) // 409
	check("lite", "/lite/v1/get_result", "GET", lite("GET", "/lite/v1/get_result", url.Values{"biz_token": {token}}, app))
	check("lite", "/lite/v1/delete_result", "POST", lite("POST", "/lite/v1/delete_result", url.Values{"biz_token": {token}}, app))

	// Cloudauth through the official SDK (signed), raw answers validated
	c := caSdkClient(t, s.Tenant.AccessKeyID, s.Tenant.AccessKeySecret)
	init, err := c.InitFaceVerify(caInitReq(s))
	if err != nil {
		t.Fatal(err)
	}
	validate(t, docs["cloudauth"], "/", "POST", init.GetHttpStatus(), init.GetHttpContentBytes())
	id := init.ResultObject.CertifyId
	if d, err := c.DescribeFaceVerify(caDescribeReq(s, id)); err == nil { // not finished: business 403 at HTTP 200
		validate(t, docs["cloudauth"], "/", "POST", d.GetHttpStatus(), d.GetHttpContentBytes())
	} else {
		t.Fatal(err)
	}
	check("h5", "/h5/v1/sessions/{token}/cancel", "POST", page("POST", "/h5/v1/sessions/"+id+"/cancel"))
	if d, err := c.DescribeFaceVerify(caDescribeReq(s, id)); err == nil {
		validate(t, docs["cloudauth"], "/", "POST", d.GetHttpStatus(), d.GetHttpContentBytes())
	} else {
		t.Fatal(err)
	}
	// unsigned: a POP error
	req, _ := http.NewRequest("POST", s.URL+"/", strings.NewReader("Action=InitFaceVerify"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	check("cloudauth", "/", "POST", req)
}

func validate(t *testing.T, doc *openapi3.T, path, method string, status int, body []byte) {
	t.Helper()
	item := doc.Paths.Find(path)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("%s %s not documented", method, path)
	}
	r := item.GetOperation(method).Responses.Status(status)
	if r == nil {
		t.Errorf("%s %s answered %d, which is not documented: %s", method, path, status, body)
		return
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil {
		t.Errorf("%s %s %d: no JSON schema", method, path, status)
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s %s %d: not JSON: %s", method, path, status, body)
		return
	}
	if err := mt.Schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Errorf("%s %s %d does not match the document: %v\n%s", method, path, status, err, body)
	}
}
