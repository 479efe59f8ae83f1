package pipeline

import (
	"context"
	"image"
	"sync"

	"github.com/faceverify/faceverify/media"
)

// streamTrack is the face track run while ffmpeg decodes (a media.FrameSink): two workers
// detect each frame the track detects (detectedFrames) as soon as it arrives, so one
// verdict keeps both cores busy during the decode. The frames it cannot know to be
// detected before the decode ends (the last one) are left to finishTrack, and so is
// everything that needs the whole clip. Its results are the same per frame as track's:
// the same models on the same pixels.
//
// It also hands back the frames the track skips (every other one at 15 fps, two of three
// at 25) as soon as the detected frames around them are done: such a frame is read only
// for its interpolated face's motion against its neighbours and its mouth crop, both
// measured here with the same code finishTrack and mouthCrops use, then released
// (media.ReleaseFrame). A clip then holds about the frames it detects at its peak instead
// of all of them: at 15 fps a 7 s 640×480 clip is 105 frames of 1.2 MB (docs/perf.md).
type streamTrack struct {
	l      *Liveness
	ctx    context.Context
	stride int // every how many frames the track detects (detectStride)
	half   int // mouth corner averaging, frames each side (cornerHalf)
	jobs   chan streamJob
	wg     sync.WaitGroup

	mu   sync.Mutex
	err  error
	fr   []streamFrame // every frame seen, by index
	next int           // the frames below next need nothing more from the stream
}

// streamFrame is what the stream knows of one frame.
type streamFrame struct {
	img      *image.RGBA // nil once released
	ff       frameFace   // the track's entry once known
	queued   bool        // detected (sent to the workers)
	known    bool        // ff is final: detected, or between two detected neighbours
	measured bool        // ff.faceMv and ff.mouthMv are final
	released bool        // skipped, measured, cropped (ff.crop) and handed back
}

// streamQueue is how many detected frames may wait for the workers. The decode (in this
// process) is faster than the detection: a full queue holds it back, so that a clip holds
// about streamQueue×stride frames at once instead of all of them (a 5 s clip at 25 fps is
// 128 frames of 1.2 MB; docs/perf.md "Session 15").
const streamQueue = 4

type streamJob struct {
	i   int
	img *image.RGBA
}

func (l *Liveness) newStreamTrack(ctx context.Context, fps float64) *streamTrack {
	st := &streamTrack{l: l, ctx: ctx, stride: detectStride(fps), half: cornerHalf(fps), jobs: make(chan streamJob, streamQueue)}
	const workers = 2
	for w := 0; w < workers; w++ {
		st.wg.Add(1)
		go st.work()
	}
	return st
}

func (st *streamTrack) work() {
	defer st.wg.Done()
	for j := range st.jobs {
		if st.ctx.Err() != nil {
			continue // drain
		}
		st.mu.Lock()
		failed := st.err != nil
		st.mu.Unlock()
		if failed {
			continue
		}
		ff, err := st.l.detectFrame(j.img)
		st.mu.Lock()
		if err != nil {
			if st.err == nil {
				st.err = err
			}
		} else {
			st.fr[j.i].ff, st.fr[j.i].known = ff, true
			st.release()
		}
		st.mu.Unlock()
	}
}

// Frame queues frame i when the track detects it whatever the clip's length: every
// detectStride-th frame (detectedFrames adds only the last frame, unknown until the end).
func (st *streamTrack) Frame(i int, img *image.RGBA) {
	queued := i%st.stride == 0
	st.mu.Lock()
	st.fr = append(st.fr, streamFrame{img: img, queued: queued})
	st.release()
	st.mu.Unlock()
	if queued {
		st.jobs <- streamJob{i, img}
	}
}

// Wait ends the workers once the queue is done.
func (st *streamTrack) Wait() {
	close(st.jobs)
	st.wg.Wait()
}

// release measures and hands back every skipped frame that can be (st.mu held). A frame
// is skipped when a later frame has been queued and it has not: it lies between the
// detected frames before and after it. It can be released once the entries its measures
// read are known — the detected frames around it, and the frames within half of it
// (mouthCorners) and next to it (frameMotion) — while its neighbours' pixels are still
// there: each pair of neighbouring frames is measured once, by the first of the two to go.
func (st *streamTrack) release() {
	n := len(st.fr)
	if st.next >= n {
		return
	}
	// the entries of the skipped frames between two detected ones
	start := st.next // from the queued frame before the first frame still to do
	for start > 0 && !st.fr[start].queued {
		start--
	}
	last := -1 // the last queued frame so far
	for i := start; i < n; i++ {
		if st.fr[i].queued {
			if last >= 0 {
				st.between(last, i)
			}
			last = i
		}
	}
	reach := max(1, st.half)
	for i := st.next; i+reach < n; i++ {
		f := &st.fr[i]
		if f.queued || f.released || !f.known || !st.knownAround(i, reach) {
			continue
		}
		prev, next := &st.fr[i-1], &st.fr[i+1]
		if !f.measured { // prev still has its pixels: it would have measured this pair
			f.ff.faceMv, f.ff.mouthMv = frameMotion(&prev.ff, &f.ff, prev.img, f.img)
			f.measured = true
		}
		if !next.measured {
			next.ff.faceMv, next.ff.mouthMv = frameMotion(&f.ff, &next.ff, f.img, next.img)
			next.measured = true
		}
		if f.ff.ok {
			xl, yl, xr, yr := mouthCorners(n, func(j int) *frameFace { return &st.fr[j].ff }, i, st.half)
			f.ff.crop = mouthCrop(f.img, xl, yl, xr, yr)
		}
		media.ReleaseFrame(f.img)
		f.img, f.released = nil, true
	}
	for st.next < n && (st.fr[st.next].queued || st.fr[st.next].released) {
		st.next++
	}
}

// between makes the entries of the frames between the queued frames a and b once both are
// detected (interpolateTrack's, frame for frame).
func (st *streamTrack) between(a, b int) {
	fa, fb := &st.fr[a], &st.fr[b]
	if !fa.known || !fb.known {
		return
	}
	for i := a + 1; i < b; i++ {
		if f := &st.fr[i]; !f.known {
			f.ff, f.known = between(&fa.ff, &fb.ff, i-a, b-a), true
		}
	}
}

// knownAround: every entry within reach frames of i is known.
func (st *streamTrack) knownAround(i, reach int) bool {
	for j := max(0, i-reach); j <= i+reach; j++ {
		if !st.fr[j].known {
			return false
		}
	}
	return true
}
