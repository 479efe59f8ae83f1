package onnxrt

import (
	"runtime"
	"testing"
)

//go:noinline
func mul(a, b float32) float32 { return a * b }

// Inside Run a product that would be a denormal float is flushed to zero on the calling
// thread (as the inference kernels' are), and the thread's own mode is back afterwards.
func TestRunFlushesDenormals(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const tiny, small = 1e-30, 1e-10 // product 1e-40: below float32's smallest normal 1.2e-38
	if mul(tiny, small) == 0 {
		t.Fatal("the test thread already flushes denormals: nothing to measure")
	}
	var inside float32
	_ = Run(func() error { inside = mul(tiny, small); return nil })
	if inside != 0 {
		t.Errorf("inside Run: %g, want 0 (denormals flushed)", inside)
	}
	var timed float32
	_ = Timed("test", func() error { timed = mul(tiny, small); return nil })
	if timed != 0 {
		t.Errorf("inside Timed: %g, want 0", timed)
	}
	if got := mul(tiny, small); got == 0 {
		t.Error("after Run the thread still flushes denormals: its mode was not restored")
	}
	var metered float32
	_ = Meter("test", func() error { metered = mul(tiny, small); return nil })
	if metered == 0 {
		t.Error("Meter changed the float mode")
	}
}
