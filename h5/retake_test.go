package h5_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/docs/openapi"
	"github.com/faceverify/faceverify/h5"
)

// TestAssetsRetakeTexts: every retake reason the page API documents (IDCardResponse.retake
// in h5.json) has its own text in the page's table, in Chinese and English, and the index
// has the element the page shows it in.
func TestAssetsRetakeTexts(t *testing.T) {
	data, err := openapi.FS.ReadFile("h5.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []any `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, v := range doc.Components.Schemas["IDCardResponse"].Properties["retake"].Enum {
		if s, ok := v.(string); ok {
			reasons = append(reasons, s)
		}
	}
	if len(reasons) != 4 {
		t.Fatalf("h5.json IDCardResponse.retake enum %v, want cut, small, blur, glare", reasons)
	}
	h := h5.Handler(h5.Options{})
	js := body(t, serve(t, h, "/h5/app.js"))
	m := regexp.MustCompile(`var RETAKE = \{([^}]*)\}`).FindStringSubmatch(js)
	if m == nil {
		t.Fatal("no RETAKE table in app.js")
	}
	seen := map[string]bool{}
	for _, r := range reasons {
		km := regexp.MustCompile(`\b` + r + `: "(\w+)"`).FindStringSubmatch(m[1])
		if km == nil {
			t.Errorf("reason %q has no message id in RETAKE", r)
			continue
		}
		id := km[1]
		if seen[id] {
			t.Errorf("reason %q shares message id %s", r, id)
		}
		seen[id] = true
		entry := regexp.MustCompile(`\n\s+` + id + `: \{ zh: "([^"]+)", en: "([^"]+)" \},`).FindStringSubmatch(js)
		if entry == nil {
			t.Errorf("message %s (reason %q) is not in TEXTS with zh and en", id, r)
		}
	}
	if page := body(t, serve(t, h, "/lite/v1/do/tok")); !strings.Contains(page, `id="idcard-retake"`) {
		t.Error("no #idcard-retake in the page")
	}
}
