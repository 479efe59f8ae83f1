package vision

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// goJPEG is what Decode returned before libjpeg: image/jpeg and toRGBA.
func goJPEG(t testing.TB, data []byte) []byte {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return toRGBA(img).Pix
}

// TestDecodeJPEGLikeImageJPEG: libjpeg-turbo's pixels are image/jpeg's but for rounding, on
// every subsampling, progressive, restart-interval, RGB and grey file of Go's own test set and
// on dataset photos; CMYK and a cut file go to image/jpeg (the same outcome as before: CMYK
// decoded, the cut file refused); a swapped channel, a misplaced chroma sample or a row off by
// one fails.
func TestDecodeJPEGLikeImageJPEG(t *testing.T) {
	dir := filepath.Join(runtime.GOROOT(), "src", "image", "testdata")
	names, err := filepath.Glob(filepath.Join(dir, "video-00*.jpeg"))
	if err != nil || len(names) < 20 {
		t.Fatalf("Go's JPEG test files: %d, %v", len(names), err)
	}
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = b
	}
	for _, rel := range []string{lfwGul1, dfJolie, dfCouple, noFace} {
		files[rel] = readData(t, rel)
	}
	lfw := files[lfwGul1]
	if decodeJPEG(lfw[:len(lfw)/2], 250, 250) != nil {
		t.Error("a JPEG cut in half: libjpeg ok, want the image/jpeg fallback")
	}
	if _, err := Decode(lfw[:len(lfw)/2]); !errors.Is(err, ErrBadImage) {
		t.Errorf("a JPEG cut in half: %v, want ErrBadImage", err)
	}
	for name, data := range files {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := decodeJPEG(data, cfg.Width, cfg.Height)
		ok := got != nil
		wantFallback := strings.Contains(name, "cmyk")
		if ok == wantFallback {
			t.Errorf("%s: libjpeg ok = %v, want %v", name, ok, !wantFallback)
			continue
		}
		if !ok {
			if _, err := Decode(data); strings.Contains(name, "cmyk") && err != nil {
				t.Errorf("%s: CMYK not decoded by the fallback: %v", name, err)
			}
			continue
		}
		want := goJPEG(t, data)
		var sum, worst int
		for i := range want {
			d := int(got.Pix[i]) - int(want[i])
			if d < 0 {
				d = -d
			}
			sum += d
			worst = max(worst, d)
		}
		mean := float64(sum) / float64(len(want))
		t.Logf("%-45s %4dx%-4d mean |Δ| %.3f, max %d", name, cfg.Width, cfg.Height, mean, worst)
		if mean > 0.6 || worst > 24 {
			t.Errorf("%s: libjpeg differs from image/jpeg by mean %.3f, max %d levels", name, mean, worst)
		}
	}
}

// TestEncodeJPEG: libjpeg-turbo's file decodes to the image within JPEG's loss at quality 90
// (image/jpeg at the same quality, measured beside it), is about image/jpeg's size, and
// honours a sub-image's origin; a grey image goes to image/jpeg.
func TestEncodeJPEG(t *testing.T) {
	src := decodeData(t, dfJolie)
	meanDiff := func(a, b *image.RGBA) float64 {
		var sum int
		for y := 0; y < a.Rect.Dy(); y++ {
			for x := 0; x < a.Rect.Dx(); x++ {
				pa := a.RGBAAt(a.Rect.Min.X+x, a.Rect.Min.Y+y)
				pb := b.RGBAAt(b.Rect.Min.X+x, b.Rect.Min.Y+y)
				for _, d := range []int{int(pa.R) - int(pb.R), int(pa.G) - int(pb.G), int(pa.B) - int(pb.B)} {
					sum += max(d, -d)
				}
			}
		}
		return float64(sum) / float64(3*a.Rect.Dx()*a.Rect.Dy())
	}
	sub := src.SubImage(image.Rect(100, 300, 900, 800)).(*image.RGBA)
	for _, img := range []*image.RGBA{src, sub} {
		data := EncodeJPEG(img, 90)
		got, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rect.Dx() != img.Rect.Dx() || got.Rect.Dy() != img.Rect.Dy() {
			t.Fatalf("encoded %v, decoded %v", img.Rect, got.Rect)
		}
		var ref bytes.Buffer
		if err := jpeg.Encode(&ref, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		refImg, err := Decode(ref.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		d, dRef := meanDiff(got, img), meanDiff(refImg, img)
		ratio := float64(len(data)) / float64(ref.Len())
		t.Logf("%v: mean |Δ| %.2f (image/jpeg %.2f), %d bytes (image/jpeg %d)", img.Rect, d, dRef, len(data), ref.Len())
		if d > 1.25*dRef+0.1 || ratio < 0.6 || ratio > 1.5 {
			t.Errorf("%v: mean |Δ| %.2f against image/jpeg's %.2f, size ratio %.2f", img.Rect, d, dRef, ratio)
		}
	}
	gray := image.NewGray(image.Rect(0, 0, 64, 48))
	if g, err := Decode(EncodeJPEG(gray, 80)); err != nil || g.Rect.Dx() != 64 {
		t.Errorf("grey image: %v, %v", g, err)
	}
}
