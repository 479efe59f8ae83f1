// JPEG decoding with libjpeg-turbo straight into an RGBA buffer (see libjpeg.go).
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include "libjpeg.h"

struct fv_jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
	int warned;
};

static void fv_jerror_exit(j_common_ptr c) { longjmp(((struct fv_jerr *)c->err)->jump, 1); }

static void fv_jemit(j_common_ptr c, int level) {
	if (level < 0) ((struct fv_jerr *)c->err)->warned = 1;
}

static void fv_joutput(j_common_ptr c) { (void)c; }

// fv_jerr_init: libjpeg's errors jump back (the caller's setjmp) instead of exiting the
// process, and its warnings are counted, not printed.
static struct jpeg_error_mgr *fv_jerr_init(struct fv_jerr *e) {
	struct jpeg_error_mgr *m = jpeg_std_error(&e->pub);
	m->error_exit = fv_jerror_exit;
	m->emit_message = fv_jemit;
	m->output_message = fv_joutput;
	e->warned = 0;
	return m;
}

int fv_jpeg_decode(const unsigned char *data, size_t n, unsigned char *pix, int stride, int w, int h) {
	struct jpeg_decompress_struct c;
	struct fv_jerr e;
	c.err = fv_jerr_init(&e);
	if (setjmp(e.jump)) {
		jpeg_destroy_decompress(&c);
		return FV_JPEG_ERROR;
	}
	jpeg_create_decompress(&c);
	jpeg_mem_src(&c, data, (unsigned long)n);
	jpeg_read_header(&c, TRUE);
	if (c.jpeg_color_space != JCS_YCbCr && c.jpeg_color_space != JCS_GRAYSCALE && c.jpeg_color_space != JCS_RGB) {
		jpeg_destroy_decompress(&c);
		return FV_JPEG_UNSUPPORTED;
	}
	c.out_color_space = JCS_EXT_RGBA;
	c.dct_method = JDCT_ISLOW;
	c.do_fancy_upsampling = FALSE;
	jpeg_start_decompress(&c);
	if ((int)c.output_width != w || (int)c.output_height != h || c.output_components != 4) {
		jpeg_destroy_decompress(&c);
		return FV_JPEG_UNSUPPORTED;
	}
	while (c.output_scanline < c.output_height) {
		JSAMPROW rows[8];
		int k = 0;
		for (; k < 8 && c.output_scanline + k < c.output_height; k++)
			rows[k] = pix + (size_t)(c.output_scanline + k) * (size_t)stride;
		if (jpeg_read_scanlines(&c, rows, (JDIMENSION)k) == 0) break;
	}
	int ok = c.output_scanline == c.output_height && !e.warned;
	if (ok) jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	return ok && !e.warned ? FV_JPEG_OK : FV_JPEG_UNSUPPORTED;
}

int fv_jpeg_encode(const unsigned char *pix, int stride, int w, int h, int quality, unsigned char **out, unsigned long *n) {
	struct jpeg_compress_struct c;
	struct fv_jerr e;
	*out = NULL;
	*n = 0;
	c.err = fv_jerr_init(&e);
	if (setjmp(e.jump)) {
		jpeg_destroy_compress(&c);
		free(*out);
		*out = NULL;
		return FV_JPEG_ERROR;
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, out, n);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = 4;
	c.in_color_space = JCS_EXT_RGBA;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	c.dct_method = JDCT_ISLOW;
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW rows[8];
		int k = 0;
		for (; k < 8 && c.next_scanline + k < c.image_height; k++)
			rows[k] = (JSAMPROW)(pix + (size_t)(c.next_scanline + k) * (size_t)stride);
		jpeg_write_scanlines(&c, rows, (JDIMENSION)k);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return FV_JPEG_OK;
}
