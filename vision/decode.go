package vision

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"
)

// ErrBadImage reports data that is not a decodable JPEG, PNG or WebP image.
var ErrBadImage = errors.New("vision: not a decodable image (JPEG, PNG or WebP)")

// MaxPixels bounds the decoded size (width×height) to keep memory in check.
const MaxPixels = 50_000_000

// Decode decodes JPEG, PNG or WebP data into RGBA, applying the EXIF orientation of JPEGs.
// Errors wrap ErrBadImage.
func Decode(data []byte) (*image.RGBA, error) {
	var (
		cfg    image.Config
		err    error
		decode func([]byte) (image.Image, error)
	)
	switch {
	case len(data) > 3 && data[0] == 0xFF && data[1] == 0xD8:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	case len(data) > 8 && bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case len(data) > 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		cfg, err = webp.DecodeConfig(bytes.NewReader(data))
		decode = func(b []byte) (image.Image, error) { return webp.Decode(bytes.NewReader(b)) }
	default:
		return nil, ErrBadImage
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels {
		return nil, fmt.Errorf("%w: size %dx%d out of range", ErrBadImage, cfg.Width, cfg.Height)
	}
	isJPEG := data[0] == 0xFF
	var rgba *image.RGBA
	if isJPEG {
		rgba = decodeJPEG(data, cfg.Width, cfg.Height)
	}
	if rgba == nil { // not a JPEG, or one libjpeg leaves to image/jpeg
		img, err := decode(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
		}
		rgba = toRGBA(img)
	}
	if isJPEG {
		if o := exifOrientation(data); o > 1 && o <= 8 {
			rgba = orient(rgba, o)
		}
	}
	return rgba, nil
}

// toRGBA converts with fast paths for the decoders' usual outputs.
func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch s := img.(type) {
	case *image.RGBA:
		if b.Min == (image.Point{}) {
			return s
		}
	case *image.YCbCr:
		ycbcrToRGBA(s, dst)
		return dst
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+b.Dx()]
			o := dst.Pix[y*dst.Stride:]
			for x, v := range row {
				o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = v, v, v, 255
			}
		}
		return dst
	}
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ycbcrToRGBA is the JFIF conversion (same as image/color.YCbCrToRGB) without per-pixel
// interface calls.
func ycbcrToRGBA(s *image.YCbCr, dst *image.RGBA) {
	b := s.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		o := dst.Pix[(y-b.Min.Y)*dst.Stride:]
		yi := s.YOffset(b.Min.X, y)
		for x := b.Min.X; x < b.Max.X; x++ {
			ci := s.COffset(x, y)
			yy := int32(s.Y[yi]) * 0x10101
			cb := int32(s.Cb[ci]) - 128
			cr := int32(s.Cr[ci]) - 128
			r := (yy + 91881*cr) >> 16
			g := (yy - 22554*cb - 46802*cr) >> 16
			bb := (yy + 116130*cb) >> 16
			i := 4 * (x - b.Min.X)
			o[i], o[i+1], o[i+2], o[i+3] = clamp8(r), clamp8(g), clamp8(bb), 255
			yi++
		}
	}
}

// exifOrientation returns the EXIF Orientation tag (1–8) of a JPEG, 0 if absent.
func exifOrientation(data []byte) int {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return 0
		}
		marker := data[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			i += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 {
			return 0
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 0
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 0
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			return int(bo.Uint16(t[e+8:]))
		}
	}
	return 0
}

// orient applies EXIF orientation o (2–8) so that the result displays upright.
func orient(src *image.RGBA, o int) *image.RGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			si := y*src.Stride + 4*x
			di := dy*dst.Stride + 4*dx
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}
