package admin_test

// `faceverify admin registry import|delete` end to end: the real command, the real face
// engine, the SQLite store and the file blob store, on 1,000 rows made of LFW photos (read
// in place through one symlink), generated images without a face, group photos, invalid
// numbers and missing files.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/idcard"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/app"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/registry"
)

// number returns a valid resident ID number (GB 11643-1999) for i.
func number(i int) string {
	n := fmt.Sprintf("110105%04d%02d%02d%03d", 1950+i%50, 1+i%12, 1+i%28, i%1000)
	return n + string(idcard.CheckChar(n))
}

// badNumber has the wrong check character.
func badNumber(i int) string {
	n := number(i)
	c := byte('0')
	if n[17] == '0' {
		c = '1'
	}
	return n[:17] + string(c)
}

// noFace writes a generated image with no face: gradients, stripes and noise.
func noFace(t *testing.T, path string, seed int) {
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	img := image.NewRGBA(image.Rect(0, 0, 240+seed%5*40, 240))
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			var c color.RGBA
			switch seed % 3 {
			case 0:
				c = color.RGBA{uint8(x), uint8(y), uint8(seed * 9), 255}
			case 1:
				v := uint8(((x / (4 + seed%7)) % 2) * 200)
				c = color.RGBA{v, v / 2, 255 - v, 255}
			default:
				v := uint8(r.IntN(256))
				c = color.RGBA{v, v, v, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

type expect struct {
	line   int
	reason string // "" = must be imported (or, for LFW rows, may be refused as a photo problem)
	strict bool
}

func lfwImages(t testing.TB, root string, n int) []string {
	var firsts, rest []string
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(root, d.Name(), "*.jpg"))
		sort.Strings(files)
		for i, f := range files {
			rel, _ := filepath.Rel(root, f)
			if i == 0 {
				firsts = append(firsts, rel)
			} else {
				rest = append(rest, rel)
			}
		}
	}
	all := append(firsts, rest...)
	if len(all) < n {
		t.Fatalf("only %d LFW images", len(all))
	}
	return all[:n]
}

type row struct {
	line int
	num  string
}

type importFixture struct {
	data, csv, photos string
	expects           map[int]expect // by file line
	imported          []row          // rows expected to import (LFW photo, valid number)
}

func buildImport(t *testing.T) *importFixture {
	testenv.ModelDir(t)
	testenv.ORTLib(t)
	ds := testenv.Datasets(t, "faces", "lfw-dev")
	dir := t.TempDir()
	photos := filepath.Join(dir, "photos")
	os.MkdirAll(filepath.Join(photos, "gen"), 0o700)
	if err := os.Symlink(filepath.Join(ds, "faces"), filepath.Join(photos, "faces")); err != nil {
		t.Fatal(err)
	}
	lfw := lfwImages(t, filepath.Join(ds, "faces", "lfw-dev"), 950)
	f := &importFixture{data: filepath.Join(dir, "data"), csv: filepath.Join(dir, "people.csv"), photos: photos, expects: map[int]expect{}}
	var b strings.Builder
	b.WriteString("name,idcard_number,photo\n")
	line, li := 1, 0
	add := func(name, num, photo string, e expect) {
		line++
		fmt.Fprintf(&b, "%s,%s,%s\n", name, num, photo)
		e.line = line
		f.expects[line] = e
	}
	for i := 0; i < 1000; i++ {
		name := fmt.Sprintf("测试用户%d", i)
		switch {
		case i%100 == 3 || i%100 == 53 || i%100 == 77: // 30 generated photos without a face
			p := fmt.Sprintf("gen/noface_%d.png", i)
			noFace(t, filepath.Join(photos, p), i)
			add(name, number(i), p, expect{reason: "no face", strict: true})
		case i%100 == 11: // 10 group photos
			p := "faces/deepface/couple.jpg"
			if i%200 == 11 {
				p = "faces/deepface/selfie-many-people.jpg"
			}
			add(name, number(i), p, expect{reason: "more than one face", strict: true})
		case i%50 == 29: // 20 invalid numbers, with a good photo
			add(name, badNumber(i), "faces/lfw-dev/"+lfw[li], expect{reason: "invalid number: check character does not match (GB 11643-1999)", strict: true})
			li++
		case i%100 == 97: // 10 missing photos
			add(name, number(i), fmt.Sprintf("gen/missing_%d.jpg", i), expect{reason: "photo not found", strict: true})
		default:
			add(name, number(i), "faces/lfw-dev/"+lfw[li], expect{})
			f.imported = append(f.imported, row{line, number(i)})
			li++
		}
	}
	if err := os.WriteFile(f.csv, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRegistryImport(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 1,000 photos")
	}
	f := buildImport(t)
	stdout, stderr, err := run(t, "registry", "import", "--csv", f.csv, "--photos", f.photos, "--data", f.data)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var sum registry.Summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("last stdout line is not the summary: %q", lines[len(lines)-1])
	}
	t.Logf("summary: %s", lines[len(lines)-1])
	if !strings.Contains(stderr, "registry import: line") {
		t.Fatalf("no progress on stderr: %q", stderr)
	}
	if sum.Rows != 1000 || sum.Imported+sum.Refused != 1000 || !sum.Complete {
		t.Fatalf("summary %+v", sum)
	}
	refused := map[int]registry.Refusal{}
	for _, l := range lines[:len(lines)-1] {
		var r registry.Refusal
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Line == 0 || r.Reason == "" {
			t.Fatalf("bad refusal line %q", l)
		}
		refused[r.Line] = r
	}
	if len(refused) != sum.Refused {
		t.Fatalf("%d refusal lines, summary says %d", len(refused), sum.Refused)
	}
	lfwRefused := 0
	for line, e := range f.expects {
		r, ok := refused[line]
		switch {
		case e.strict && (!ok || r.Reason != e.reason):
			t.Errorf("line %d: refused=%v %q, want refused %q", line, ok, r.Reason, e.reason)
		case !e.strict && ok:
			lfwRefused++
			if r.Reason != "more than one face" && !strings.HasPrefix(r.Reason, "no face") {
				t.Errorf("line %d (LFW photo %s): refused for %q", line, r.Photo, r.Reason)
			}
		}
	}
	t.Logf("LFW photos refused as unusable: %d of %d (background faces, tiny faces)", lfwRefused, len(f.imported))
	if lfwRefused > len(f.imported)*15/100 { // LFW crops often hold a second, background face
		t.Fatalf("%d of %d LFW face photos refused", lfwRefused, len(f.imported))
	}
	for _, l := range lines {
		for _, r := range f.imported[:20] {
			if strings.Contains(l, r.num) {
				t.Fatal("an ID number was printed")
			}
		}
	}

	// a second run resumes after the last row: nothing left to do
	stdout2, _, err := run(t, "registry", "import", "--csv", f.csv, "--photos", f.photos, "--data", f.data)
	if err != nil {
		t.Fatal(err)
	}
	var sum2 registry.Summary
	json.Unmarshal([]byte(strings.TrimSpace(stdout2)), &sum2)
	if sum2.Rows != 1000 || sum2.Imported != sum.Imported || sum2.ResumedAt == 0 || !sum2.Complete {
		t.Fatalf("second run: %q", stdout2)
	}

	// the table answers for an imported row; erasure removes photo, template and row
	num := ""
	for _, r := range f.imported {
		if _, ok := refused[r.line]; !ok {
			num = r.num
			break
		}
	}
	a := openApp(t, f.data)
	ent, err := a.Store.RegistryEntry(context.Background(), num)
	if err != nil || len(ent.Embedding) != 512 {
		t.Fatalf("entry: %+v %v", ent, err)
	}
	if _, err := a.Blobs.Get(context.Background(), ent.PhotoKey); err != nil {
		t.Fatalf("photo: %v", err)
	}
	ans, err := a.Registries.Embedded.Lookup(context.Background(), registry.Query{Name: ent.Name, Number: num})
	if err != nil || ans.Outcome != registry.Match {
		t.Fatalf("lookup: %+v %v", ans, err)
	}
	a.Close()
	if out, _, err := run(t, "registry", "delete", "--number", num, "--data", f.data); err != nil || !strings.Contains(out, `"deleted":true`) {
		t.Fatalf("delete: %q %v", out, err)
	}
	if _, _, err := run(t, "registry", "delete", "--number", num, "--data", f.data); faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	a = openApp(t, f.data)
	defer a.Close()
	if _, err := a.Store.RegistryEntry(context.Background(), num); faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		t.Fatalf("entry after delete: %v", err)
	}
	if _, err := a.Blobs.Get(context.Background(), ent.PhotoKey); faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		t.Fatalf("photo after delete: %v", err)
	}
	if ans, _ := a.Registries.Embedded.Lookup(context.Background(), registry.Query{Name: ent.Name, Number: num}); ans.Outcome != registry.NoSuchNumber {
		t.Fatalf("lookup after delete: %+v", ans)
	}
}

func runBench(csvPath, photos, data string, out io.Writer) error {
	return admin.Run(context.Background(), []string{"registry", "import", "--csv", csvPath, "--photos", photos, "--data", data, "--restart"},
		func(string) string { return "" }, out, io.Discard)
}

func openApp(t *testing.T, data string) *app.App {
	t.Helper()
	cfg, err := config.Parse(flagSet(), []string{"--data", data}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(context.Background(), cfg, app.Logger(cfg, os.Stderr), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func flagSet() *flag.FlagSet { return flag.NewFlagSet("test", flag.ContinueOnError) }
