package media

/*
#cgo pkg-config: libavformat libavcodec libavfilter libavutil
#cgo LDFLAGS: -lm
#include <stdlib.h>
#include "libav.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// The decoder's process-wide settings (libav.c fv_init): before any model or decode runs,
// so that the malloc arena limit covers every thread.
func init() { C.fv_init() }

// decoded is what one in-process decode of a clip found (libav.c), before the limits.
type decoded struct {
	inputOK            bool // the container was read
	hasVideo, hasAudio bool
	container          string
	vcodec, acodec     string
	headerDuration     time.Duration
	frames             []Frame
	lastVideoT         time.Duration
	pcm                []int16
	audioStart         time.Duration
	err                error // the decode failed (message of the failing step)
}

// decode runs the clip at path through FFmpeg's libraries: frames filtered by vf (RGBA),
// sound resampled to SampleRate mono, each stream cut limit after its first frame. Frames
// go to newFrame buffers (and to sink) as they come out of the filters.
func decode(ctx context.Context, path string, limit time.Duration, vf string, sink FrameSink) *decoded {
	cpath, cvf := C.CString(path), C.CString(vf)
	defer C.free(unsafe.Pointer(cpath))
	defer C.free(unsafe.Pointer(cvf))
	var errbuf [256]C.char
	var info C.fv_info
	var d *C.fv_dec
	res := &decoded{}
	r := C.fv_open(cpath, C.double(limit.Seconds()), cvf, C.int(SampleRate), &d, &info, &errbuf[0], C.int(len(errbuf)))
	defer C.fv_close(d)
	res.container = C.GoString(&info.container[0])
	res.inputOK = res.container != ""
	res.hasVideo, res.hasAudio = info.has_video != 0, info.has_audio != 0
	res.vcodec, res.acodec = C.GoString(&info.vcodec[0]), C.GoString(&info.acodec[0])
	if info.duration_us >= 0 {
		res.headerDuration = time.Duration(info.duration_us) * time.Microsecond
	}
	if r < 0 {
		res.err = errors.New(C.GoString(&errbuf[0]))
		return res
	}
	var o C.fv_out
	for ctx.Err() == nil {
		k := C.fv_next(d, &o, &errbuf[0], C.int(len(errbuf)))
		switch {
		case k < 0:
			res.err = errors.New(C.GoString(&errbuf[0]))
			return res
		case k == 0:
			return res
		case k == 1:
			w, h, ls := int(o.w), int(o.h), int(o.linesize)
			if w <= 0 || h <= 0 || w > 8192 || h > 8192 || ls < 4*w {
				res.err = fmt.Errorf("frame of %dx%d", w, h)
				return res
			}
			img := newFrame(w, h, sink != nil)
			src := unsafe.Slice((*byte)(unsafe.Pointer(o.data)), ls*(h-1)+4*w)
			for y := 0; y < h; y++ {
				copy(img.Pix[y*img.Stride:y*img.Stride+4*w], src[y*ls:])
			}
			t := time.Duration(float64(o.t) * float64(time.Second))
			res.lastVideoT = t
			res.frames = append(res.frames, Frame{T: t, Img: img})
			if sink != nil {
				sink.Frame(len(res.frames)-1, img)
			}
		case k == 2:
			if res.pcm == nil {
				res.audioStart = time.Duration(float64(o.t) * float64(time.Second))
			}
			res.pcm = append(res.pcm, unsafe.Slice((*int16)(unsafe.Pointer(o.pcm)), int(o.nsamples))...)
		}
	}
	return res
}
