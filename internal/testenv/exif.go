package testenv

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// Orientation6JPEG is the JPEG a camera held turned writes for img: the pixels stored
// turned 90° counter-clockwise (JPEG quality q) behind an APP1 Exif segment whose
// orientation 6 ("turn clockwise") shows img upright again.
func Orientation6JPEG(t testing.TB, img *image.RGBA, q int) []byte {
	t.Helper()
	w, h := img.Rect.Dx(), img.Rect.Dy()
	// stored image S such that turning S 90° clockwise gives img: S(x,y) = img(w-1-y, x)
	s := image.NewRGBA(image.Rect(0, 0, h, w))
	for y := 0; y < w; y++ {
		for x := 0; x < h; x++ {
			copy(s.Pix[y*s.Stride+4*x:][:4], img.Pix[x*img.Stride+4*(w-1-y):][:4])
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, s, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	// APP1 Exif, big-endian TIFF, one IFD entry: Orientation (0x0112) SHORT = 6
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	payload := append([]byte("Exif\x00\x00"), tiff...)
	n := len(payload) + 2
	seg := append([]byte{0xFF, 0xE1, byte(n >> 8), byte(n)}, payload...)
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), seg...), b[2:]...)
}
