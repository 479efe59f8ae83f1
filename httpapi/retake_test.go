package httpapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/faceverify/faceverify/docs/openapi"
	"github.com/faceverify/faceverify/idcard/gen"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestIDCardRetakeReason: photographed fronts with a photo problem (real OCR engine, seeded
// photo generator) are refused with the side's retake result, and the page API names the
// reason (retake, docs/h5.md) in the documented schema; a photo with no card names none.
func TestIDCardRetakeReason(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Engine: true, Flags: []string{"--upload-rate", "-1"}})
	g, err := gen.New(gen.Options{Seed: 16})
	if err != nil {
		t.Fatalf("gen.New: %v", err)
	}
	data, err := openapi.FS.ReadFile("h5.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err == nil {
		err = doc.Validate(context.Background())
	}
	if err != nil {
		t.Fatal(err)
	}
	small, _ := g.Shoot(g.Card().Front, gen.ShotOptions{LongSide: 1280, MinFill: 0.22, MaxFill: 0.27, NoEffects: true})
	cut, _ := g.Shoot(g.Card().Front, gen.ShotOptions{Cut: true, NoEffects: true})
	for _, c := range []struct {
		name, retake string
		photo        []byte
	}{
		{"too small", "small", small},
		{"cut off", "cut", cut},
		{"not a card", "", jpegOf(t, 320, 200)},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, _ := liteCreate(t, s, nil, "group", "1", "idcard_side", "1", "idcard_name", "", "idcard_number", "")
			st, out, _ := upload(t, s, tok, "idcard", c.photo)
			body, _ := json.Marshal(out)
			validate(t, doc, "/h5/v1/sessions/{token}/idcard", "POST", st, body)
			res, _ := out["result"].(map[string]any)
			got, _ := out["retake"].(string)
			if st != 200 || out["accepted"] != false || got != c.retake {
				t.Fatalf("%d retake %q, want %q: %s", st, got, c.retake, body)
			}
			if c.retake != "" && res["message"] != "IDCARD_PHOTO_FRONTSIDE" {
				t.Errorf("result %v, want the front's retake result", res)
			}
		})
	}
}
