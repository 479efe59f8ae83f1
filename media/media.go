// Package media turns an uploaded liveness video into what the checks need: a few frames a
// second as RGBA images and the sound track as 16 kHz mono PCM, with their common timeline.
//
// It owns the decode — FFmpeg's libraries in this process (libav.c: the demuxer, decoders
// and filter graph the ffmpeg command line would run, without its process start and
// pipes) — and the upload limits (size, duration, audio present, audio/video offset),
// each reported as a typed error that the pipeline maps to a FaceID Lite result code. It
// knows nothing about faces or speech and must not decide liveness.
package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"strconv"
	"sync"
	"time"
)

// Typed errors of Extract. Each maps to one result code (see pipeline).
var (
	ErrDuration        = errors.New("media: video duration out of range")        // INVALID_VIDEO_DURATION
	ErrTooLarge        = errors.New("media: video too large")                    // VIDEO_TOO_LARGE
	ErrNoAudio         = errors.New("media: video has no audio track")           // NO_AUDIO
	ErrUnsupported     = errors.New("media: video format unsupported")           // VIDEO_FORMAT_UNSUPPORTED
	ErrNotSynchronized = errors.New("media: audio and video tracks out of step") // NOT_SYNCHRONIZED
)

// SampleRate is the rate of Clip.PCM.
const SampleRate = 16000

// Limits bound what Extract accepts and how densely it samples.
type Limits struct {
	MinDuration, MaxDuration time.Duration
	MaxBytes                 int64
	FPS                      float64 // frames a second handed to the checks
	MaxSide                  int     // frames are scaled down so that neither side exceeds this
	// MaxAVOffset is the largest accepted difference between the start of the audio and
	// the start of the video track (0 = 1 s).
	MaxAVOffset time.Duration
}

// DefaultLimits are the FaceID Lite limits: 2–20 s, 20 MiB, 8 fps, 640 px.
func DefaultLimits() Limits {
	return Limits{
		MinDuration: 2 * time.Second,
		MaxDuration: 20 * time.Second,
		MaxBytes:    20 << 20,
		FPS:         8,
		MaxSide:     640,
		MaxAVOffset: time.Second,
	}
}

// Frame is one sampled video frame; T is its time on the clip's timeline.
type Frame struct {
	T   time.Duration
	Img *image.RGBA
}

// Clip is a decoded upload. Times share one timeline whose zero is the start of the earliest
// track; AudioStart and VideoStart are the starts of each track on it.
type Clip struct {
	Duration               time.Duration
	Width, Height          int // of the frames (after scaling)
	Frames                 []Frame
	PCM                    []int16 // 16 kHz mono; PCM[0] is at AudioStart
	HasAudio               bool
	AudioStart, VideoStart time.Duration
	FPS                    float64 // sampling rate of Frames
	Container              string  // FFmpeg's demuxer name, e.g. "matroska,webm" or "mov,mp4,m4a,3gp,3g2,mj2"
	VideoCodec, AudioCodec string
}

// AudioAt returns the PCM sample index at clip time t (may be out of range).
func (c *Clip) AudioAt(t time.Duration) int {
	return int(math.Round((t - c.AudioStart).Seconds() * SampleRate))
}

// Extract decodes the clip at path (FFmpeg's libraries, in this process) and enforces lim. A user-caused
// problem is returned as (or wraps) one of the Err* values, possibly with a partially
// filled *Clip (for reporting); other errors are internal failures.
func Extract(ctx context.Context, path string, lim Limits) (*Clip, error) {
	return ExtractTo(ctx, path, lim, nil)
}

// FrameSink receives the frames of ExtractTo while the clip is still being decoded, so that work
// on the first frames overlaps the decode of the later ones.
type FrameSink interface {
	// Frame is called for frame i (0, 1, 2, … in order) as soon as its pixels have
	// been decoded, on the decoding goroutine: a Frame that blocks holds the decode back.
	// The frame's time is not known yet (the clip's timeline is fixed at the end: read it
	// from Clip.Frames[i].T). img stays valid until Wait has returned, and afterwards as
	// long as the returned clip's frames do — unless the sink releases it (ReleaseFrame).
	Frame(i int, img *image.RGBA)
	// Wait is called exactly once, after the last Frame and before ExtractTo returns
	// (also when it fails): it returns when the sink reads none of the images any more.
	Wait()
}

// ReleaseFrame hands back the pixels of one frame a FrameSink was given before its clip is
// released, for a sink that knows nothing will read that frame again: the liveness track
// releases the frames it does not detect on once it has measured them, so a clip does not
// hold all its frames at once. The image keeps its Rect but has no pixels afterwards (Pix is
// nil); Clip.Release skips it. Releasing an image twice is harmless.
func ReleaseFrame(img *image.RGBA) { releaseFrame(img) }

// ExtractTo is Extract handing every decoded frame to sink as well (nil: none). The clip
// and its errors are Extract's; when it fails, what the sink computed must be dropped.
//
// With a sink, on Linux, the frames' pixels live outside the Go heap (frames_linux.go):
// the caller must call Clip.Release once it is done with them and keep the clip reachable
// until then. (A cleanup reclaims an unreleased clip's buffers when its images become
// unreachable, which is safe only when no pixel slice outlives its image.)
func ExtractTo(ctx context.Context, path string, lim Limits, sink FrameSink) (*Clip, error) {
	var once sync.Once
	wait := func() {
		if sink != nil {
			once.Do(sink.Wait)
		}
	}
	defer wait()
	return extract(ctx, path, lim, sink, wait)
}

func extract(ctx context.Context, path string, lim Limits, sink FrameSink, sinkWait func()) (*Clip, error) {
	def := DefaultLimits()
	if lim.FPS <= 0 {
		lim.FPS = def.FPS
	}
	if lim.MaxSide <= 0 {
		lim.MaxSide = def.MaxSide
	}
	if lim.MaxAVOffset <= 0 {
		lim.MaxAVOffset = def.MaxAVOffset
	}
	if lim.MaxDuration <= 0 {
		lim.MaxDuration = def.MaxDuration
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	if lim.MaxBytes > 0 && st.Size() > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, st.Size(), lim.MaxBytes)
	}
	if st.Size() == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrUnsupported)
	}
	p := decode(ctx, path, decodeLimit(lim), videoFilter(lim), sink)
	frames := p.frames
	// the sink has stopped reading the frames before any can go back to the pool
	sinkWait()
	if ctx.Err() != nil {
		for _, f := range frames {
			releaseFrame(f.Img)
		}
		return nil, ctx.Err()
	}
	clip := &Clip{FPS: lim.FPS, Container: p.container, VideoCodec: p.vcodec, AudioCodec: p.acodec}
	if p.err != nil || !p.hasVideo || len(frames) == 0 {
		for _, f := range frames {
			releaseFrame(f.Img)
		}
		frames = nil
	}
	if p.err != nil {
		if !p.hasVideo && p.inputOK {
			return clip, fmt.Errorf("%w: no video track", ErrUnsupported)
		}
		return clip, fmt.Errorf("%w: %v", ErrUnsupported, p.err)
	}
	if !p.hasVideo || len(frames) == 0 {
		return clip, fmt.Errorf("%w: no decodable video frames", ErrUnsupported)
	}
	clip.Frames = frames
	clip.Width, clip.Height = frames[0].Img.Rect.Dx(), frames[0].Img.Rect.Dy()
	clip.VideoStart = frames[0].T
	// Frame times are relative to the fps filter's grid; the grid starts at the first
	// video frame. Video track ends one frame interval after the last sample.
	vEnd := p.lastVideoT + time.Duration(float64(time.Second)/lim.FPS)
	clip.Duration = vEnd
	clip.HasAudio = p.hasAudio
	n := len(p.pcm)
	if p.hasAudio && n > 0 {
		clip.PCM = p.pcm
		clip.AudioStart = p.audioStart
		if aEnd := clip.AudioStart + time.Duration(n)*time.Second/SampleRate; aEnd > clip.Duration {
			clip.Duration = aEnd
		}
	}
	// Shift the timeline so the earliest track starts at zero.
	t0 := clip.VideoStart
	if clip.HasAudio && len(clip.PCM) > 0 && clip.AudioStart < t0 {
		t0 = clip.AudioStart
	}
	if t0 != 0 {
		for i := range clip.Frames {
			clip.Frames[i].T -= t0
		}
		clip.VideoStart -= t0
		clip.AudioStart -= t0
		clip.Duration -= t0
	}
	if p.headerDuration > clip.Duration {
		clip.Duration = p.headerDuration
	}
	if clip.Duration > lim.MaxDuration || clip.Duration < lim.MinDuration {
		return clip, fmt.Errorf("%w: %.2fs not in [%v, %v]", ErrDuration, clip.Duration.Seconds(), lim.MinDuration, lim.MaxDuration)
	}
	if !p.hasAudio || len(clip.PCM) == 0 {
		return clip, ErrNoAudio
	}
	off := clip.AudioStart - clip.VideoStart
	if off < 0 {
		off = -off
	}
	if off > lim.MaxAVOffset {
		return clip, fmt.Errorf("%w: audio/video start differ by %v", ErrNotSynchronized, off)
	}
	return clip, nil
}

// decodeLimit is how much of each stream is decoded: a little beyond the maximum, so that
// "too long" is seen without decoding an arbitrarily long upload.
func decodeLimit(lim Limits) time.Duration { return lim.MaxDuration + time.Second }

// videoFilter is the filter graph of the frames (lim's defaults applied): lim.FPS frames a
// second, the longer side at most lim.MaxSide, rgba straight from the filters (swscale's SIMD
// converter; byte-identical to rgb24 plus opaque alpha), copied into the frame's own pixels:
// no conversion pass in Go.
func videoFilter(lim Limits) string {
	side := strconv.Itoa(lim.MaxSide)
	scale := "scale=w='if(gte(iw,ih),min(" + side + ",iw),-2)':h='if(gte(iw,ih),-2,min(" + side + ",ih))'"
	return fmt.Sprintf("fps=%s,%s,format=rgba", strconv.FormatFloat(lim.FPS, 'f', -1, 64), scale)
}

// Release hands the frames' pixel buffers back for the next clip's decode; the clip's
// frames must not be used afterwards. Optional (an unreleased clip's buffers are returned
// when its frames are collected), but a server decoding clip after clip then reuses the
// same buffers at once instead of waiting for the garbage collector.
func (c *Clip) Release() {
	if c == nil {
		return
	}
	for i := range c.Frames {
		releaseFrame(c.Frames[i].Img)
		c.Frames[i].Img = nil
	}
	c.Frames = nil
}

// heapPools holds released Go-heap frame buffers by byte size (one pool per frame size).
var heapPools sync.Map // int → *sync.Pool of *[]byte

func heapFrame(w, h int) *image.RGBA {
	n := 4 * w * h
	if p, ok := heapPools.Load(n); ok {
		if b, ok := p.(*sync.Pool).Get().(*[]byte); ok && len(*b) == n {
			return &image.RGBA{Pix: *b, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
		}
	}
	return &image.RGBA{Pix: make([]byte, n), Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}

func releaseHeapFrame(img *image.RGBA) {
	if img == nil || len(img.Pix) == 0 {
		return
	}
	n := len(img.Pix)
	p, _ := heapPools.LoadOrStore(n, &sync.Pool{})
	b := img.Pix
	p.(*sync.Pool).Put(&b)
	img.Pix = nil
}

// RMS returns the root-mean-square level of pcm in dBFS (-inf for digital silence → -120).
func RMS(pcm []int16) float64 {
	if len(pcm) == 0 {
		return -120
	}
	var s float64
	for _, v := range pcm {
		f := float64(v)
		s += f * f
	}
	r := math.Sqrt(s / float64(len(pcm)))
	if r < 1e-6 {
		return -120
	}
	return 20 * math.Log10(r/32768)
}
