// In-process decode (see libav.h). Each step mirrors what ffmpeg 5.1's command line did
// for `-threads 1 -filter_threads 1 -t LIMIT -i FILE -map 0:v:0 -vf VF -fps_mode
// passthrough -f rawvideo … -map 0:a:0? -ac 1 -ar RATE -f s16le …`, so that the frames and
// samples are the ones the checks were tuned on (media_test.go compares the two).
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>

#include "libav.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

// fv_init, once per process (the package's init, before any model or decoder runs):
// libav's log off (errors reach the caller as messages), and glibc's malloc held to two
// arenas: the decoders allocate on whichever OS thread Go runs them, and with glibc's
// default of 8 arenas a core each of those threads would keep an arena of its own.
void fv_init(void) {
	av_log_set_level(AV_LOG_QUIET);
#ifdef __GLIBC__
	mallopt(M_ARENA_MAX, 2);
#endif
}

typedef struct fv_stream {
	int index;                // in the container; -1: none
	AVStream *st;
	AVCodecContext *dec;
	AVFilterGraph *graph;     // configured from the first decoded frame, as the CLI does
	AVFilterContext *src, *sink;
	int dec_flushed, dec_eof; // NULL packet sent; decoder drained
	int src_closed, sink_eof;
	int64_t first_pts;        // of the first decoded frame, in the source's time base
	int64_t last_pts;         // of the last frame given to the source
	int64_t last_dur;
	int64_t rescale_last;     // audio: av_rescale_delta state (the CLI's filter_in_rescale_delta_last)
} fv_stream;

struct fv_dec {
	AVFormatContext *fmt;
	fv_stream v, a;
	AVPacket *pkt;
	AVFrame *frame, *out;
	int64_t ts_offset; // AV_TIME_BASE: −start_time, the CLI's default input offset
	double limit_s;
	int input_eof;
	int sample_rate;
	char vf[1024];
};

static void msg(char *err, int errlen, const char *what, int code) {
	char e[128];
	av_strerror(code, e, sizeof e);
	snprintf(err, errlen, "%s: %s", what, e);
}

static int open_decoder(fv_dec *d, fv_stream *s, char *err, int errlen) {
	const AVCodec *c = avcodec_find_decoder(s->st->codecpar->codec_id);
	if (!c) {
		snprintf(err, errlen, "no decoder for %s", avcodec_get_name(s->st->codecpar->codec_id));
		return AVERROR_DECODER_NOT_FOUND;
	}
	s->dec = avcodec_alloc_context3(c);
	if (!s->dec) return AVERROR(ENOMEM);
	int r = avcodec_parameters_to_context(s->dec, s->st->codecpar);
	if (r < 0) { msg(err, errlen, "decoder parameters", r); return r; }
	s->dec->pkt_timebase = s->st->time_base;
	s->dec->thread_count = 1; // the engine slots run one clip per core
	if (s->st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) s->dec->framerate = s->st->avg_frame_rate;
	if ((r = avcodec_open2(s->dec, c, NULL)) < 0) { msg(err, errlen, "open decoder", r); return r; }
	return 0;
}

int fv_open(const char *path, double limit_s, const char *vf, int sample_rate, fv_dec **out, fv_info *info, char *err, int errlen) {
	memset(info, 0, sizeof *info);
	info->duration_us = -1;
	fv_dec *d = av_mallocz(sizeof *d);
	*out = d;
	if (!d) return AVERROR(ENOMEM);
	d->v.index = d->a.index = -1;
	d->v.first_pts = d->a.first_pts = AV_NOPTS_VALUE;
	d->v.last_pts = d->a.last_pts = AV_NOPTS_VALUE;
	d->a.rescale_last = AV_NOPTS_VALUE;
	d->limit_s = limit_s;
	d->sample_rate = sample_rate;
	snprintf(d->vf, sizeof d->vf, "%s", vf);
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	d->out = av_frame_alloc();
	if (!d->pkt || !d->frame || !d->out) return AVERROR(ENOMEM);
	int r = avformat_open_input(&d->fmt, path, NULL, NULL);
	if (r < 0) { msg(err, errlen, "open input", r); return r; }
	if ((r = avformat_find_stream_info(d->fmt, NULL)) < 0) { msg(err, errlen, "read stream info", r); return r; }
	snprintf(info->container, sizeof info->container, "%s", d->fmt->iformat->name);
	if (d->fmt->duration != AV_NOPTS_VALUE) {
		// av_dump_format's "Duration: HH:MM:SS.ss" (rounded to 1/100 s) is what the limits were measured on
		int64_t du = d->fmt->duration + (d->fmt->duration <= INT64_MAX - 5000 ? 5000 : 0);
		info->duration_us = du / 10000 * 10000;
	}
	if (d->fmt->start_time != AV_NOPTS_VALUE) d->ts_offset = -d->fmt->start_time;
	for (unsigned i = 0; i < d->fmt->nb_streams; i++) {
		AVStream *st = d->fmt->streams[i];
		enum AVMediaType t = st->codecpar->codec_type;
		if (t == AVMEDIA_TYPE_VIDEO && d->v.index < 0) {
			d->v.index = i;
			d->v.st = st;
			snprintf(info->vcodec, sizeof info->vcodec, "%s", avcodec_get_name(st->codecpar->codec_id));
		} else if (t == AVMEDIA_TYPE_AUDIO && d->a.index < 0) {
			d->a.index = i;
			d->a.st = st;
			snprintf(info->acodec, sizeof info->acodec, "%s", avcodec_get_name(st->codecpar->codec_id));
		} else {
			st->discard = AVDISCARD_ALL;
		}
	}
	info->has_video = d->v.index >= 0;
	info->has_audio = d->a.index >= 0;
	if (!info->has_video) { snprintf(err, errlen, "no video track"); return AVERROR_STREAM_NOT_FOUND; }
	if ((r = open_decoder(d, &d->v, err, errlen)) < 0) return r;
	if (info->has_audio && (r = open_decoder(d, &d->a, err, errlen)) < 0) return r;
	return 0;
}

// The CLI's autorotation (ffmpeg_filter.c, configure_input_video_filter): phone videos
// carry their orientation as a display matrix.
static void rotation(const int32_t *m, char *buf, size_t n) {
	buf[0] = 0;
	double theta = 0;
	if (m) theta = -round(av_display_rotation_get(m));
	theta -= 360 * floor(theta / 360 + 0.9 / 360);
	if (!m) return;
	if (fabs(theta - 90) < 1.0) {
		snprintf(buf, n, "transpose=%s,", m[3] > 0 ? "cclock_flip" : "clock");
	} else if (fabs(theta - 180) < 1.0) {
		snprintf(buf, n, "%s%s", m[0] < 0 ? "hflip," : "", m[4] < 0 ? "vflip," : "");
	} else if (fabs(theta - 270) < 1.0) {
		snprintf(buf, n, "transpose=%s,", m[3] < 0 ? "clock_flip" : "cclock");
	} else if (fabs(theta) > 1.0) {
		snprintf(buf, n, "rotate=%f*PI/180,", theta);
	} else if (m[4] < 0) {
		snprintf(buf, n, "vflip,");
	}
}

static int make_graph(fv_stream *s, const char *srcname, const char *args, const char *desc, char *err, int errlen) {
	s->graph = avfilter_graph_alloc();
	if (!s->graph) return AVERROR(ENOMEM);
	s->graph->nb_threads = 1;
	s->graph->scale_sws_opts = av_strdup("flags=bicubic"); // the CLI's default sws_flags
	int r = avfilter_graph_create_filter(&s->src, avfilter_get_by_name(srcname), "in", args, NULL, s->graph);
	if (r < 0) { msg(err, errlen, "filter source", r); return r; }
	const char *sinkname = strcmp(srcname, "buffer") == 0 ? "buffersink" : "abuffersink";
	if ((r = avfilter_graph_create_filter(&s->sink, avfilter_get_by_name(sinkname), "out", NULL, NULL, s->graph)) < 0) {
		msg(err, errlen, "filter sink", r);
		return r;
	}
	AVFilterInOut *outs = avfilter_inout_alloc(), *ins = avfilter_inout_alloc();
	if (!outs || !ins) {
		avfilter_inout_free(&outs);
		avfilter_inout_free(&ins);
		return AVERROR(ENOMEM);
	}
	outs->name = av_strdup("in");
	outs->filter_ctx = s->src;
	ins->name = av_strdup("out");
	ins->filter_ctx = s->sink;
	r = avfilter_graph_parse_ptr(s->graph, desc, &ins, &outs, NULL);
	avfilter_inout_free(&outs);
	avfilter_inout_free(&ins);
	if (r < 0) { msg(err, errlen, "filter graph", r); return r; }
	if ((r = avfilter_graph_config(s->graph, NULL)) < 0) { msg(err, errlen, "configure filters", r); return r; }
	return 0;
}

static int video_graph(fv_dec *d, AVFrame *f, char *err, int errlen) {
	fv_stream *s = &d->v;
	AVRational tb = s->st->time_base, sar = f->sample_aspect_ratio;
	if (!sar.den) sar = (AVRational){0, 1};
	char args[256];
	int n = snprintf(args, sizeof args, "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
	                 f->width, f->height, f->format, tb.num, tb.den, sar.num, sar.den);
	AVRational fr = av_guess_frame_rate(d->fmt, s->st, NULL);
	if (fr.num && fr.den) snprintf(args + n, sizeof args - n, ":frame_rate=%d/%d", fr.num, fr.den);
	const int32_t *m = NULL;
	AVFrameSideData *sd = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
	if (sd) m = (const int32_t *)sd->data;
	else m = (const int32_t *)av_stream_get_side_data(s->st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
	char desc[1200];
	rotation(m, desc, 64);
	snprintf(desc + strlen(desc), sizeof desc - strlen(desc), "%s", d->vf);
	return make_graph(s, "buffer", args, desc, err, errlen);
}

static int audio_graph(fv_dec *d, AVFrame *f, char *err, int errlen) {
	char args[256], layout[96];
	int n = snprintf(args, sizeof args, "time_base=1/%d:sample_rate=%d:sample_fmt=%s", f->sample_rate, f->sample_rate,
	                 av_get_sample_fmt_name(f->format));
	if (av_channel_layout_check(&f->ch_layout) && f->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC) {
		av_channel_layout_describe(&f->ch_layout, layout, sizeof layout);
		snprintf(args + n, sizeof args - n, ":channel_layout=%s", layout);
	} else {
		snprintf(args + n, sizeof args - n, ":channels=%d", f->ch_layout.nb_channels);
	}
	char desc[128];
	snprintf(desc, sizeof desc, "aformat=sample_fmts=s16:sample_rates=%d:channel_layouts=mono", d->sample_rate);
	return make_graph(&d->a, "abuffer", args, desc, err, errlen);
}

// close_src ends a stream's filter input (EOF at the end of its last frame).
static int close_src(fv_stream *s) {
	if (s->src_closed) return 0;
	s->src_closed = 1;
	if (!s->src) { s->sink_eof = 1; return 0; }
	int64_t pts = s->last_pts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : s->last_pts + s->last_dur;
	return av_buffersrc_close(s->src, pts, AV_BUFFERSRC_FLAG_PUSH);
}

// feed hands one decoded frame (d->frame) to its stream's filter graph. Returns <0 on error.
static int feed(fv_dec *d, fv_stream *s, char *err, int errlen) {
	AVFrame *f = d->frame;
	int video = s == &d->v;
	if (video) {
		f->pts = f->best_effort_timestamp;
	} else if (f->pts != AV_NOPTS_VALUE) {
		AVRational in = s->st->time_base, fs = (AVRational){1, f->sample_rate};
		f->pts = av_rescale_delta(in, f->pts, fs, f->nb_samples, &s->rescale_last, fs);
	}
	AVRational tb = video ? s->st->time_base : (AVRational){1, f->sample_rate};
	if (f->pts != AV_NOPTS_VALUE) {
		if (s->first_pts == AV_NOPTS_VALUE) s->first_pts = f->pts;
		if (d->limit_s > 0 && (f->pts - s->first_pts) * av_q2d(tb) >= d->limit_s) { // the CLI's input -t (a trim filter)
			av_frame_unref(f);
			return close_src(s);
		}
	}
	if (!s->graph) {
		int r = video ? video_graph(d, f, err, errlen) : audio_graph(d, f, err, errlen);
		if (r < 0) { av_frame_unref(f); return r; }
	}
	if (f->pts != AV_NOPTS_VALUE) {
		s->last_pts = f->pts;
		s->last_dur = video ? f->pkt_duration : f->nb_samples;
	}
	int r = av_buffersrc_add_frame_flags(s->src, f, AV_BUFFERSRC_FLAG_PUSH);
	av_frame_unref(f);
	if (r < 0) msg(err, errlen, "filter input", r);
	return r;
}

// drain takes what the stream's decoder has ready into its filters: 1 when it gave a frame.
static int drain(fv_dec *d, fv_stream *s, char *err, int errlen) {
	if (!s->dec || s->dec_eof) return 0;
	for (int tries = 0; tries < 64; tries++) {
		int r = avcodec_receive_frame(s->dec, d->frame);
		if (r == AVERROR(EAGAIN)) return 0;
		if (r == AVERROR_EOF) {
			s->dec_eof = 1;
			int c = close_src(s);
			return c < 0 ? c : 0;
		}
		if (r < 0) continue; // a broken frame: the CLI logs it and goes on
		if (s->src_closed) { av_frame_unref(d->frame); continue; }
		if ((r = feed(d, s, err, errlen)) < 0) return r;
		return 1;
	}
	return 0;
}

static int sink_frame(fv_stream *s, AVFrame *out) {
	if (!s->sink || s->sink_eof) return 0;
	int r = av_buffersink_get_frame_flags(s->sink, out, AV_BUFFERSINK_FLAG_NO_REQUEST);
	if (r >= 0) return 1;
	if (r == AVERROR_EOF) s->sink_eof = 1;
	else if (r != AVERROR(EAGAIN)) return r;
	return 0;
}

static int put_video(fv_dec *d, fv_out *o) {
	AVRational tb = av_buffersink_get_time_base(d->v.sink);
	o->w = d->out->width;
	o->h = d->out->height;
	o->linesize = d->out->linesize[0];
	o->data = d->out->data[0];
	o->t = d->out->pts == AV_NOPTS_VALUE ? 0 : d->out->pts * av_q2d(tb);
	return 1;
}

static int put_audio(fv_dec *d, fv_out *o) {
	AVRational tb = av_buffersink_get_time_base(d->a.sink);
	o->pcm = (const int16_t *)d->out->data[0];
	o->nsamples = d->out->nb_samples;
	o->t = d->out->pts == AV_NOPTS_VALUE ? 0 : d->out->pts * av_q2d(tb);
	return 2;
}

// last_frame asks a sink whose source is closed for what its filters still hold.
static int last_frame(fv_stream *s, AVFrame *out) {
	if (!s->sink || s->sink_eof) { s->sink_eof = 1; return 0; }
	int r = av_buffersink_get_frame(s->sink, out);
	if (r >= 0) return 1;
	if (r == AVERROR_EOF || r == AVERROR(EAGAIN)) { s->sink_eof = 1; return 0; }
	return r;
}

int fv_next(fv_dec *d, fv_out *o, char *err, int errlen) {
	av_frame_unref(d->out);
	for (;;) {
		int r = sink_frame(&d->v, d->out);
		if (r < 0) { msg(err, errlen, "video filters", r); return r; }
		if (r) return put_video(d, o);
		if ((r = sink_frame(&d->a, d->out)) < 0) { msg(err, errlen, "audio filters", r); return r; }
		if (r) return put_audio(d, o);
		int vdone = d->v.src_closed && (!d->v.sink || d->v.sink_eof);
		int adone = d->a.index < 0 || (d->a.src_closed && (!d->a.sink || d->a.sink_eof));
		if (vdone && adone) return 0;
		if ((r = drain(d, &d->v, err, errlen)) < 0) return r;
		if (r) continue;
		if ((r = drain(d, &d->a, err, errlen)) < 0) return r;
		if (r) continue;
		if (d->v.src_closed && (d->a.index < 0 || d->a.src_closed)) {
			// every source closed: the sinks give their last frames, then EOF
			if ((r = last_frame(&d->v, d->out)) < 0) { msg(err, errlen, "video filters", r); return r; }
			if (r) return put_video(d, o);
			if ((r = last_frame(&d->a, d->out)) < 0) { msg(err, errlen, "audio filters", r); return r; }
			if (r) return put_audio(d, o);
			continue;
		}
		if (d->input_eof) {
			// flush the decoders once; a decoder that cannot be flushed ends its stream
			fv_stream *ss[2] = {&d->v, &d->a};
			for (int i = 0; i < 2; i++) {
				fv_stream *s = ss[i];
				if (s->index < 0 || s->dec_eof) continue;
				if (!s->dec_flushed) {
					s->dec_flushed = 1;
					if (avcodec_send_packet(s->dec, NULL) < 0) { s->dec_eof = 1; close_src(s); }
				} else {
					s->dec_eof = 1; // drained without EOF: nothing more to come
					close_src(s);
				}
			}
			continue;
		}
		r = av_read_frame(d->fmt, d->pkt);
		if (r == AVERROR(EAGAIN)) continue;
		if (r < 0) { d->input_eof = 1; continue; }
		fv_stream *s = d->pkt->stream_index == d->v.index ? &d->v : d->pkt->stream_index == d->a.index ? &d->a : NULL;
		if (!s || s->src_closed) { av_packet_unref(d->pkt); continue; }
		int64_t off = av_rescale_q(d->ts_offset, AV_TIME_BASE_Q, s->st->time_base);
		if (d->pkt->pts != AV_NOPTS_VALUE) d->pkt->pts += off;
		if (d->pkt->dts != AV_NOPTS_VALUE) d->pkt->dts += off;
		r = avcodec_send_packet(s->dec, d->pkt); // a corrupt packet: the CLI logs it and goes on
		av_packet_unref(d->pkt);
		(void)r;
	}
}

void fv_close(fv_dec *d) {
	if (!d) return;
	fv_stream *ss[2] = {&d->v, &d->a};
	for (int i = 0; i < 2; i++) {
		avfilter_graph_free(&ss[i]->graph);
		avcodec_free_context(&ss[i]->dec);
	}
	avformat_close_input(&d->fmt);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	av_frame_free(&d->out);
	av_free(d);
#ifdef __GLIBC__
	// hand what the decode freed back to the kernel: glibc keeps freed memory in its arenas,
	// and the next clips' decodes and models peak on top of it. `bench verdicts --c 4` peak
	// RSS 437–455 → 407–414 MiB, `BenchmarkVerdict4` 418–423 → 381 MiB, for ≈ 0.03 CPU-s a
	// verdict (the next decode faults its buffers in again; docs/perf.md "Session 15").
	malloc_trim(0);
#endif
}
