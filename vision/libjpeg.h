#include <stddef.h>

enum { FV_JPEG_OK = 0, FV_JPEG_UNSUPPORTED = 1, FV_JPEG_ERROR = 2 };

// fv_jpeg_decode decodes a baseline or progressive YCbCr / grey / RGB JPEG of w×h pixels
// into pix (RGBA, stride bytes a row). FV_JPEG_UNSUPPORTED: another colour space, a size that
// differs from w×h, or any warning on the way (a cut or damaged stream) — the caller then
// decodes with Go's image/jpeg, so such files keep their old outcome. FV_JPEG_ERROR: libjpeg
// refused the data.
int fv_jpeg_decode(const unsigned char *data, size_t n, unsigned char *pix, int stride, int w, int h);

// fv_jpeg_encode encodes w×h RGBA pixels (stride bytes a row) as a baseline 4:2:0 JFIF JPEG
// at the IJG quality (1–100) into *out (malloc'd; the caller frees it), *n bytes long.
int fv_jpeg_encode(const unsigned char *pix, int stride, int w, int h, int quality, unsigned char **out, unsigned long *n);
