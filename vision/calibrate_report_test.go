package vision

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/internal/testenv"
)

// calibrate --report on a small real pairs set (the first 24 genuine and 24 impostor pairs
// of deepface's master.csv): the page, three decodable PNGs, FAR/TAR at every vendor point.
func TestCalibrateReport(t *testing.T) {
	ds := filepath.Join(testenv.Datasets(t, "faces/deepface"), "faces", "deepface")
	data, err := os.ReadFile(filepath.Join(ds, "master.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	keep := []string{strings.TrimSpace(lines[0])}
	same, diff := 0, 0
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasSuffix(l, ",Yes") && same < 24:
			same++
			keep = append(keep, l)
		case strings.HasSuffix(l, ",No") && diff < 24:
			diff++
			keep = append(keep, l)
		}
	}
	pairs := filepath.Join(t.TempDir(), "pairs.csv")
	os.WriteFile(pairs, []byte(strings.Join(keep, "\n")+"\n"), 0o644)
	dir := filepath.Join(t.TempDir(), "report")
	var out bytes.Buffer
	args := append(cliFlags(t), "--report", dir, "--pairs", pairs, "--root", ds)
	if err := RunCalibrate(args, &out); err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Genuine, Impostor int
		EER               float64
		Points            []struct {
			Vendor, FAR string
			TAR         float64
		}
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if sum.Genuine+sum.Impostor < 40 || sum.Genuine == 0 || sum.Impostor == 0 {
		t.Fatalf("scored %d genuine, %d impostor", sum.Genuine, sum.Impostor)
	}
	if want := len(LiteThresholds) + len(CloudauthThresholds); len(sum.Points) != want {
		t.Fatalf("%d operating points, want %d", len(sum.Points), want)
	}
	if sum.EER > 0.2 {
		t.Errorf("EER %.3f on easy deepface pairs: the matcher or the report is broken", sum.EER)
	}
	for _, f := range []string{"roc.png", "det.png", "hist.png"} {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil || img.Bounds().Dx() < 300 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	for _, want := range []string{"roc.png", "det.png", "hist.png", "FaceID Lite", "Cloudauth", "1e-4", "5e-5", "verifyScore"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}
