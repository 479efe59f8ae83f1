package openapi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/docs/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

func load(t *testing.T, name string) *openapi3.T {
	t.Helper()
	data, err := openapi.FS.ReadFile(name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not a valid OpenAPI 3 document: %v", name, err)
	}
	return doc
}

func TestDocumentsValid(t *testing.T) {
	for _, n := range openapi.Names {
		load(t, n)
	}
}

// responseSchema is the JSON schema of an operation's response with status.
func responseSchema(t *testing.T, doc *openapi3.T, path, method string, status int) *openapi3.Schema {
	t.Helper()
	item := doc.Paths.Find(path)
	if item == nil {
		t.Fatalf("no path %s", path)
	}
	op := item.GetOperation(method)
	if op == nil {
		t.Fatalf("no %s %s", method, path)
	}
	r := op.Responses.Status(status)
	if r == nil || r.Value == nil {
		t.Fatalf("%s %s documents no %d response", method, path, status)
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil {
		t.Fatalf("%s %s %d: no JSON body documented", method, path, status)
	}
	return mt.Schema.Value
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func visit(t *testing.T, file string, s *openapi3.Schema, v any) {
	t.Helper()
	if err := s.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Errorf("%s does not match its documented schema: %v", file, err)
	}
}

// Every Lite golden file matches the response the document gives for its operation.
func TestLiteGoldenFiles(t *testing.T) {
	doc := load(t, "lite")
	files, _ := filepath.Glob("../../dialect/lite/testdata/*.json")
	if len(files) == 0 {
		t.Fatal("no Lite golden files")
	}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		v := readJSON(t, f)
		switch {
		case strings.HasPrefix(base, "error_"):
			m := v.(map[string]any)
			status := int(m["status"].(float64))
			visit(t, f, responseSchema(t, doc, "/lite/v1/get_biz_token", "POST", status), m["body"])
			visit(t, f, responseSchema(t, doc, "/lite/v1/get_result", "GET", status), m["body"])
		case base == "get_biz_token":
			visit(t, f, responseSchema(t, doc, "/lite/v1/get_biz_token", "POST", 200), v)
		case strings.HasPrefix(base, "get_result"):
			visit(t, f, responseSchema(t, doc, "/lite/v1/get_result", "GET", 200), v)
			visit(t, f, responseSchema(t, doc, "/lite/v1/get_result", "POST", 200), v)
		case strings.HasPrefix(base, "notify_form"):
			cb := doc.Paths.Find("/lite/v1/get_biz_token").Post.Callbacks["notify"].Value
			op := cb.Value("{$request.body#/notify_url}").Post
			visit(t, f, op.RequestBody.Value.Content.Get("application/x-www-form-urlencoded").Schema.Value, v)
			var data any
			if err := json.Unmarshal([]byte(v.(map[string]any)["data"].(string)), &data); err != nil {
				t.Fatal(err)
			}
			visit(t, f+" (data)", doc.Components.Schemas["NotifyData"].Value, data)
		default:
			t.Errorf("golden file %s has no documented operation: add it to this test", f)
		}
	}
}

// Every Cloudauth golden file matches: business answers at HTTP 200, POP errors at their status.
func TestCloudauthGoldenFiles(t *testing.T) {
	doc := load(t, "cloudauth")
	files, _ := filepath.Glob("../../dialect/cloudauth/testdata/*.json")
	if len(files) == 0 {
		t.Fatal("no Cloudauth golden files")
	}
	popStatus := map[string]int{"pop_unknown_key": 404, "pop_expired": 400, "pop_missing_parameter": 400,
		"pop_nonce_used": 400, "pop_signature": 400, "pop_throttling": 400}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		v := readJSON(t, f)
		status := 200
		if strings.HasPrefix(base, "pop_") {
			st, ok := popStatus[base]
			if !ok {
				t.Errorf("%s: unknown POP golden file, add its status here", f)
				continue
			}
			status = st
		}
		visit(t, f, responseSchema(t, doc, "/", "POST", status), v)
		visit(t, f, responseSchema(t, doc, "/", "GET", status), v)
		// MaterialInfo is a JSON string with its own schema
		if ro, ok := v.(map[string]any)["ResultObject"].(map[string]any); ok {
			if mi, ok := ro["MaterialInfo"].(string); ok {
				var m any
				if err := json.Unmarshal([]byte(mi), &m); err != nil {
					t.Fatalf("%s MaterialInfo: %v", f, err)
				}
				visit(t, f+" (MaterialInfo)", doc.Components.Schemas["MaterialInfo"].Value, m)
			}
		}
	}
}

// The schemas reject what the wire must never carry (the validation can fail).
func TestSchemasRefuse(t *testing.T) {
	lite := load(t, "lite")
	bad := []struct {
		schema string
		json   string
	}{
		{"GetBizToken", `{"request_id":"1,2","time_used":5,"biz_token":"x"}`},
		{"GetResult", `{"request_id":"1763900000,3149525e-2c24-4862-8e9f-92040595f0a4","time_used":5,"biz_token":"t","result_code":1000,"result_message":"SUCCESS"}`},
		{"Error", `{"request_id":"1763900000,3149525e-2c24-4862-8e9f-92040595f0a4","time_used":5,"error":"X","extra":1}`},
	}
	for _, b := range bad {
		var v any
		json.Unmarshal([]byte(b.json), &v)
		if err := lite.Components.Schemas[b.schema].Value.VisitJSON(v); err == nil {
			t.Errorf("%s accepted %s", b.schema, b.json)
		}
	}
	ca := load(t, "cloudauth")
	var v any
	json.Unmarshal([]byte(`{"RequestId":"r","Code":"200","Message":"success","ResultObject":{"CertifyId":"zz"}}`), &v)
	if err := ca.Components.Schemas["RPCResponse"].Value.VisitJSON(v); err == nil {
		t.Error("RPCResponse accepted an Init answer without CertifyUrl")
	}
	h5 := load(t, "h5")
	json.Unmarshal([]byte(`{"token":"t","state":"flying","step":"intro","group":0,"idcard_side":0,"attempts_left":3,"max_video_bytes":1,"dialect":"lite","lang":"en"}`), &v)
	if err := h5.Components.Schemas["Session"].Value.VisitJSON(v); err == nil {
		t.Error("Session accepted an unknown state")
	}
	_ = strconv.Itoa
}
