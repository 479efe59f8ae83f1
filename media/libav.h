// In-process decoding with FFmpeg's libraries (libavformat, libavcodec, libavfilter): the
// same demuxer, decoders and filter graph as the ffmpeg command line this package ran
// before, without a process start (≈ 0.1 CPU-s and 0.1 s wall a clip: the ffmpeg binary
// links ~200 shared libraries) and without a pipe carrying every RGBA frame twice through
// the kernel. See media.go for what the Go side makes of it.
#ifndef FV_LIBAV_H
#define FV_LIBAV_H
#include <stdint.h>

typedef struct fv_dec fv_dec;

typedef struct fv_info {
	int has_video, has_audio;
	char container[64], vcodec[32], acodec[32];
	int64_t duration_us; // the header's duration as ffmpeg prints it (to 1/100 s); -1: none
} fv_info;

typedef struct fv_out {
	int w, h, linesize;       // video frame (kind 1): RGBA rows
	const uint8_t *data;
	double t;                 // time of the frame / of the chunk's first sample
	const int16_t *pcm;       // audio chunk (kind 2): 16-bit mono samples
	int nsamples;
} fv_out;

void fv_init(void);
// fv_open opens path and its first video and first audio stream; limit_s bounds how much
// of each stream is decoded (the command line's input -t). Returns 0 or a negative AVERROR
// with a message in err; info is filled as far as the file could be read, *out is set
// even on error (fv_close it).
int fv_open(const char *path, double limit_s, const char *vf, int sample_rate, fv_dec **out, fv_info *info, char *err, int errlen);
// fv_next returns 1 with a video frame or 2 with an audio chunk in *o (valid until the
// next call), 0 at the end, or a negative AVERROR with a message in err.
int fv_next(fv_dec *d, fv_out *o, char *err, int errlen);
void fv_close(fv_dec *d);
#endif
