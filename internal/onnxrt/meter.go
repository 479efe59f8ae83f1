package onnxrt

import (
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The meter sums, per model, the CPU time of its inference runs: the model floor that the
// benchmarks (`faceverify bench verdicts`, BenchmarkVerdict) set against the CPU of the
// whole verdict. A run is timed on the calling OS thread (RUSAGE_THREAD around the cgo
// call, the goroutine locked to its thread), which is all of a session's work with one
// intra-op thread and independent of how loaded the machine is. With more intra-op
// threads the figure misses their share: sessions measured for the floor run with 1.

type counter struct {
	runs atomic.Int64
	cpu  atomic.Int64 // ns
}

var meters sync.Map // model name → *counter

// Run runs f (inference, unmetered) with denormal floats flushed to zero on its thread
// (denormalsOff): with one intra-op thread ONNX Runtime computes on the caller's thread,
// which its own session.set_denormal_as_zero never reaches (it sets its pool threads and,
// once, the thread that made the process' first session). Every inference goes through
// Run or Timed.
func Run(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer denormalsOff()()
	return f()
}

// Timed is Run that adds the CPU time of f (one inference of model) to the model's meter.
func Timed(model string, f func() error) error {
	return Meter(model, func() error { return Run(f) })
}

// Meter adds the CPU time of f to the model's meter without changing its float mode: for a
// step that is model work as a whole but mostly Go (the digit recogniser's features, run and
// decode), whose inference goes through Run inside.
func Meter(model string, f func() error) error {
	runtime.LockOSThread()
	t0 := threadCPU()
	err := f()
	d := threadCPU() - t0
	runtime.UnlockOSThread()
	c, ok := meters.Load(model)
	if !ok {
		c, _ = meters.LoadOrStore(model, &counter{})
	}
	c.(*counter).runs.Add(1)
	c.(*counter).cpu.Add(int64(d))
	return err
}

func threadCPU() time.Duration { return rusageCPU(syscall.RUSAGE_THREAD) }

// ProcessCPU is the CPU time (user + system, all threads) of this process so far: the
// whole that the meters' model floor is set against.
func ProcessCPU() time.Duration { return rusageCPU(syscall.RUSAGE_SELF) }

// rusageCPU is the user + system CPU time getrusage(2) reports for who (0 on error).
func rusageCPU(who int) time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ModelUse is the summed inference of one model since the process started.
type ModelUse struct {
	Model string        `json:"model"`
	Runs  int64         `json:"runs"`
	CPU   time.Duration `json:"cpu_ns"`
}

// Usage is a snapshot of every meter, sorted by model name.
type Usage []ModelUse

// Snapshot returns the meters now; Since subtracts an earlier snapshot.
func Snapshot() Usage {
	var u Usage
	meters.Range(func(k, v any) bool {
		c := v.(*counter)
		u = append(u, ModelUse{Model: k.(string), Runs: c.runs.Load(), CPU: time.Duration(c.cpu.Load())})
		return true
	})
	sort.Slice(u, func(i, j int) bool { return u[i].Model < u[j].Model })
	return u
}

// Since returns u minus an earlier snapshot before (models absent from before count whole).
func (u Usage) Since(before Usage) Usage {
	prev := map[string]ModelUse{}
	for _, m := range before {
		prev[m.Model] = m
	}
	var out Usage
	for _, m := range u {
		p := prev[m.Model]
		if d := (ModelUse{Model: m.Model, Runs: m.Runs - p.Runs, CPU: m.CPU - p.CPU}); d.Runs > 0 {
			out = append(out, d)
		}
	}
	return out
}

// Total is the summed CPU of all models in u.
func (u Usage) Total() time.Duration {
	var t time.Duration
	for _, m := range u {
		t += m.CPU
	}
	return t
}
