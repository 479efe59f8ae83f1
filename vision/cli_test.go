package vision

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/internal/testenv"
)

func cliFlags(t *testing.T) []string {
	return []string{"--models", testenv.ModelDir(t), "--ort-lib", testenv.ORTLib(t)}
}

func TestRunCompareTwoImages(t *testing.T) {
	ds := testenv.Datasets(t, "faces/deepface")
	var out bytes.Buffer
	args := append(cliFlags(t), filepath.Join(ds, dfCouple), filepath.Join(ds, dfJolie))
	if err := RunCompare(args, &out); err != nil {
		t.Fatal(err)
	}
	var r struct {
		FacesA      int `json:"faces_a"`
		FacesB      int `json:"faces_b"`
		Similarity  *float64
		Confidence  *float64
		VerifyScore *float64 `json:"verify_score"`
		Thresholds  map[string]float64
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	var raw map[string]any
	json.Unmarshal(out.Bytes(), &raw)
	if raw["faces_a"] != 2.0 || raw["faces_b"] != 1.0 || r.Similarity == nil || r.Confidence == nil || r.VerifyScore == nil || len(r.Thresholds) != 4 {
		t.Fatalf("unexpected output %s", out.String())
	}
	// not an image: a clear error, no panic
	out.Reset()
	err := RunCompare(append(cliFlags(t), filepath.Join(ds, "faces/deepface/master.csv"), filepath.Join(ds, dfJolie)), &out)
	if err == nil || !strings.Contains(err.Error(), "not an image") {
		t.Fatalf("want not-an-image error, got %v", err)
	}
}

func TestRunComparePairs(t *testing.T) {
	ds := testenv.Datasets(t, "faces/lfw-dev")
	dir := t.TempDir()
	pairs := filepath.Join(dir, "pairs.txt")
	// two folds of 2 same + 2 different pairs; one image does not exist
	body := "2\t2\n" +
		"Abdullah_Gul\t1\t14\nAbdullah_Gul\t6\t7\nAbdullah_Gul\t1\tAbel_Pacheco\t1\nAbdullah_Gul\t8\tAkhmed_Zakayev\t1\n" +
		"Abdullah_Gul\t9\t12\nAbdullah_Gul\t1\t99\nAbdullah_Gul\t15\tAbel_Pacheco\t4\nAbdullah_Gul\t6\tAkhmed_Zakayev\t3\n"
	if err := os.WriteFile(pairs, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	args := append(cliFlags(t), "--pairs", pairs, "--root", filepath.Join(ds, "faces/lfw-dev"))
	if err := RunCompare(args, &out); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		lines = append(lines, m)
	}
	if len(lines) != 9 {
		t.Fatalf("%d lines, want 8 pairs + summary", len(lines))
	}
	if _, ok := lines[5]["error"]; !ok {
		t.Errorf("missing image should give an error line: %v", lines[5])
	}
	for i, l := range lines[:8] {
		if i == 5 {
			continue
		}
		same := l["same"].(bool)
		conf := l["confidence"].(float64)
		if same != (conf >= ConfidenceThreshold("1e-3")) {
			t.Errorf("pair %d: same=%v confidence %.1f", i, same, conf)
		}
	}
	s := lines[8]
	if s["summary"] != true || s["errors"] != 1.0 || s["folds"] != 2.0 {
		t.Errorf("summary %v", s)
	}
}

func TestRunAntispoof(t *testing.T) {
	ds := testenv.Datasets(t, "antispoof/silent-face-sample")
	var out bytes.Buffer
	args := append(cliFlags(t), "--eval", filepath.Join(ds, "antispoof/silent-face-sample"))
	if err := RunAntispoof(args, &out); err != nil {
		t.Fatal(err)
	}
	var r SpoofResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Live != 1 || r.Spoof != 2 || r.APCER != 0 || r.BPCER != 0 {
		t.Fatalf("silent-face samples: %+v", r)
	}
	out.Reset()
	if err := RunAntispoof(append(cliFlags(t), filepath.Join(ds, "antispoof/silent-face-sample/image_F1.jpg")), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"verdict":"spoof"`) {
		t.Fatalf("F1: %s", out.String())
	}
}
