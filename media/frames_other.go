//go:build !linux

package media

import "image"

// newFrame: frame buffers come from the Go heap pool here (off is for Linux).
func newFrame(w, h int, off bool) *image.RGBA { return heapFrame(w, h) }

func releaseFrame(img *image.RGBA) { releaseHeapFrame(img) }
