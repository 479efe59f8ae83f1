package pipeline

import (
	"context"
	"image"
	"sync"
	"time"

	"github.com/faceverify/faceverify/media"
)

// streamTrack is the face track run while ffmpeg decodes (a media.FrameSink): two workers
// detect each frame the track detects (detectedFrames) as soon as it arrives, so one
// verdict keeps both cores busy during the decode. The frames it cannot know to be
// detected before the decode ends (the last one) are left to finishTrack, and so is
// everything that needs the whole clip. Its results are the same per frame as track's:
// the same models on the same pixels.
//
// It also hands back the frames the track skips (every other one at 15 fps) as soon as
// both neighbours are detected: such a frame is read only for its interpolated face's
// motion against its neighbours and its mouth crop, both measured here with the same code
// finishTrack and mouthCrops use, then released (media.ReleaseFrame). A clip then holds
// about half its frames at its peak instead of all of them: at 15 fps a 7 s 640×480 clip
// is 105 frames of 1.2 MB (docs/perf.md).
type streamTrack struct {
	l    *Liveness
	ctx  context.Context
	fps  float64
	half int // mouth corner averaging, frames each side (cornerHalf)
	jobs chan streamJob
	wg   sync.WaitGroup

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

type streamJob struct {
	i   int
	img *image.RGBA
}

func (l *Liveness) newStreamTrack(ctx context.Context, fps float64) *streamTrack {
	// the queue holds every frame of the longest accepted clip: the decode never waits
	maxFrames := int((l.cfg.Limits.MaxDuration+2*time.Second).Seconds()*fps) + 1
	st := &streamTrack{l: l, ctx: ctx, fps: fps, half: cornerHalf(fps), jobs: make(chan streamJob, maxFrames)}
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

// Frame queues frame i when the track detects it whatever the clip's length: i is in
// detectedFrames of a clip in which it is not the last frame.
func (st *streamTrack) Frame(i int, img *image.RGBA) {
	d := detectedFrames(i+2, st.fps)
	queued := len(d) >= 2 && d[len(d)-2] == i
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
// is skipped once its successor has arrived without it being queued; it can be released
// once the entries its measures read are known: both neighbours (detected), and the
// frames within half of it (mouthCorners).
func (st *streamTrack) release() {
	n := len(st.fr)
	skipped := func(i int) bool {
		f := &st.fr[i]
		return i > 0 && i+1 < n && !f.queued && st.fr[i-1].queued && st.fr[i-1].known && st.fr[i+1].queued && st.fr[i+1].known
	}
	for i := st.next; i < n; i++ {
		if f := &st.fr[i]; !f.known && skipped(i) {
			f.ff, f.known = between(&st.fr[i-1].ff, &st.fr[i+1].ff), true
		}
	}
	for i := st.next; i < n; i++ {
		f := &st.fr[i]
		if f.released || !skipped(i) || i+st.half >= n || !st.knownAround(i) {
			continue
		}
		prev, next := &st.fr[i-1], &st.fr[i+1]
		f.ff.faceMv, f.ff.mouthMv = frameMotion(&prev.ff, &f.ff, prev.img, f.img)
		next.ff.faceMv, next.ff.mouthMv = frameMotion(&f.ff, &next.ff, f.img, next.img)
		f.measured, next.measured = true, true
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

// knownAround: every entry within half frames of i is known.
func (st *streamTrack) knownAround(i int) bool {
	for j := max(0, i-st.half); j <= i+st.half; j++ {
		if !st.fr[j].known {
			return false
		}
	}
	return true
}
