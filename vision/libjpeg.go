package vision

// #cgo pkg-config: libjpeg
// #include <stdlib.h>
// #include "libjpeg.h"
import "C"

import (
	"bytes"
	"image"
	"image/jpeg"
	"unsafe"
)

// decodeJPEG decodes w×h JPEG data with libjpeg-turbo (SIMD: a fifth of image/jpeg's time on
// a 1600×1200 photo) straight into RGBA. nil leaves the file to image/jpeg: CMYK / YCCK, and
// any stream libjpeg warns about or refuses (a cut or damaged file), so those keep the outcome
// they always had. Colour: ISLOW IDCT and no "fancy" chroma upsampling (each chroma sample
// covers its pixels, as image/jpeg's YCbCr does); pixels differ from image/jpeg's by rounding
// (mean 0.2, at most 4 levels: TestDecodeJPEGLikeImageJPEG), docs/perf.md "Session 16".
func decodeJPEG(data []byte, w, h int) *image.RGBA {
	if len(data) == 0 || w <= 0 || h <= 0 {
		return nil
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	if C.fv_jpeg_decode((*C.uchar)(unsafe.Pointer(&data[0])), C.size_t(len(data)),
		(*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(img.Stride), C.int(w), C.int(h)) != C.FV_JPEG_OK {
		return nil
	}
	return img
}

// EncodeJPEG encodes img at the IJG quality q (1–100) with libjpeg-turbo (4:2:0, as
// image/jpeg does; about a fifth of its time); images other than *image.RGBA, and any failure,
// go to image/jpeg.
func EncodeJPEG(img image.Image, q int) []byte {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Dx() > 0 && m.Rect.Dy() > 0 {
		var out *C.uchar
		var n C.ulong
		pix := m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):]
		if C.fv_jpeg_encode((*C.uchar)(unsafe.Pointer(&pix[0])), C.int(m.Stride), C.int(m.Rect.Dx()), C.int(m.Rect.Dy()),
			C.int(q), &out, &n) == C.FV_JPEG_OK {
			defer C.free(unsafe.Pointer(out))
			return C.GoBytes(unsafe.Pointer(out), C.int(n))
		}
		C.free(unsafe.Pointer(out))
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: q})
	return b.Bytes()
}
