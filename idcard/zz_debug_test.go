package idcard

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faceverify/faceverify/vision"
)

func savePNG(g *gray, path string) {
	img := image.NewGray(image.Rect(0, 0, g.W, g.H))
	copy(img.Pix, g.Pix)
	f, _ := os.Create(path)
	png.Encode(f, img)
	f.Close()
}

func TestZZDebug(t *testing.T) {
	files := os.Getenv("IDDEBUG")
	if files == "" {
		t.Skip()
	}
	p, err := openPPOCR("/work/main/.deps/models/ocr", "/work/main/.deps/lib/libonnxruntime.so.1", 2)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := filepath.Glob(files)
	for _, fn := range ms {
		data, _ := os.ReadFile(fn)
		img, _ := vision.Decode(data)
		cs := locate(img)
		fmt.Println(filepath.Base(fn), "cands", len(cs))
		c := cs[0]
		card := warp(img, c.Quad, CardW, CardH)
		g := grayOf(card).normalize()
		savePNG(g, "/tmp/idv/card.png")
		t0 := time.Now()
		bs, _, _, _, err := p.detect(g, 960)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("det", time.Since(t0), len(bs))
		t0 = time.Now()
		for _, b := range bs {
			sg := g.sub(b)
			r, err := p.recognize(sg, nil)
			if err != nil {
				t.Fatal(err)
			}
			ud, _ := p.upsideDown(sg)
			fmt.Printf("  %v %.2f ud=%.2f %q %.3f\n", b, b.Score, ud, r.Text, r.Conf)
		}
		fmt.Println("rec", time.Since(t0))
	}
}

func TestZZNum(t *testing.T) {
	files := os.Getenv("IDNUM")
	if files == "" {
		t.Skip()
	}
	r, err := Open(Config{OCRModelDir: "/work/main/.deps/models/ocr", ORTLib: "/work/main/.deps/lib/libonnxruntime.so.1"})
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := filepath.Glob(files)
	for _, fn := range ms {
		data, _ := os.ReadFile(fn)
		img, _ := vision.Decode(data)
		for _, c := range locate(img) {
			p, err := r.readPage(c, viewSource{img: img})
			if err != nil {
				t.Fatal(err)
			}
			savePNG(p.g, fmt.Sprintf("/tmp/idv/page%v.png", c.Area))
			n, nl, err := r.pageNumber(p)
			fmt.Println(filepath.Base(fn), c.Whole, n, nl, err)
			for _, l := range p.lines {
				fmt.Printf("   %v %q\n", l.box, l.Text)
			}
		}
	}
}

func TestZZDet(t *testing.T) {
	fn := os.Getenv("IDDET")
	if fn == "" {
		t.Skip()
	}
	p, err := openPPOCR("/work/main/.deps/models/ocr", "/work/main/.deps/lib/libonnxruntime.so.1", 2)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(fn)
	im, _ := png.Decode(f)
	g := grayOf(toRGBA(im))
	gs := map[string]*gray{"norm": g, "sharp": g.unsharp(2, 1.0), "sharp2": g.unsharp(3, 1.5)}
	for _, side := range []string{"norm", "sharp", "sharp2"} {
		g := gs[side]
		bs, _, _, _, _ := p.detect(g, 736)
		fmt.Println("side", side)
		for _, b := range bs {
			r, _ := p.recognize(g.sub(b), nil)
			fmt.Printf("   %v %q\n", b, r.Text)
		}
	}
}
