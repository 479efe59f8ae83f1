package media

import (
	"image"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// The frames of ExtractTo with a sink (the liveness check's) live outside the Go heap
// (anonymous mmap): a 5 s clip at 15 fps is 77 frames of 1.2 MB, and on the Go heap the
// collector's headroom (GOGC=100: the heap grows to twice what is live before a
// collection) doubled them in the process' RSS — 2 clips in the engine slots were ~190 MB
// live and ~380 MB of heap (docs/perf.md). Released buffers are kept for the next clip up
// to maxFreeBytes, the rest go back to the kernel. A frame whose clip is never released is
// returned by a cleanup once its image is unreachable; one released is returned at once
// (and must not be used afterwards: its Pix is nil).

const maxFreeBytes = 128 << 20

var frames struct {
	mu        sync.Mutex
	free      map[int][][]byte // by length
	freeBytes int
	cleanups  map[uintptr]runtime.Cleanup // by &pix[0], for frames handed out
}

// newFrame returns a w×h frame: off the Go heap when off (ExtractTo with a sink, whose
// caller releases the clip), else from the Go heap pool.
func newFrame(w, h int, off bool) *image.RGBA {
	if !off {
		return heapFrame(w, h)
	}
	n := 4 * w * h
	var b []byte
	frames.mu.Lock()
	if l := frames.free[n]; len(l) > 0 {
		b = l[len(l)-1]
		frames.free[n] = l[:len(l)-1]
		frames.freeBytes -= n
	}
	frames.mu.Unlock()
	if b == nil {
		var err error
		b, err = syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil { // out of address space or mappings: the Go heap then
			return heapFrame(w, h)
		}
	}
	img := &image.RGBA{Pix: b, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	key := uintptr(unsafe.Pointer(&b[0]))
	c := runtime.AddCleanup(img, func(b []byte) { putFrame(b, false) }, b)
	frames.mu.Lock()
	if frames.cleanups == nil {
		frames.cleanups = map[uintptr]runtime.Cleanup{}
	}
	frames.cleanups[key] = c
	frames.mu.Unlock()
	return img
}

// releaseFrame returns img's buffer now (img must not be used afterwards).
func releaseFrame(img *image.RGBA) {
	if img == nil || len(img.Pix) == 0 {
		return
	}
	if !putFrame(img.Pix, true) {
		releaseHeapFrame(img)
	}
	img.Pix = nil
}

// putFrame takes back a mapped buffer of newFrame: onto the free list, or unmapped when the
// list is full. stop: called by Release (the image's cleanup is cancelled), else by the
// cleanup. False when b is not a mapped frame (a Go-heap one).
func putFrame(b []byte, stop bool) bool {
	key := uintptr(unsafe.Pointer(&b[0]))
	frames.mu.Lock()
	c, ours := frames.cleanups[key]
	if !ours {
		frames.mu.Unlock()
		return false
	}
	delete(frames.cleanups, key)
	if stop {
		c.Stop()
	}
	n := len(b)
	if frames.freeBytes+n <= maxFreeBytes {
		if frames.free == nil {
			frames.free = map[int][][]byte{}
		}
		frames.free[n] = append(frames.free[n], b)
		frames.freeBytes += n
		frames.mu.Unlock()
		return true
	}
	frames.mu.Unlock()
	syscall.Munmap(b)
	return true
}
