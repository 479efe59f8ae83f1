// Package onnxrt is the one place that decides how every ONNX Runtime session of the
// service is configured (vision, OCR, speech): thread counts, spinning and the float
// handling measured on this project's machines (docs/perf.md, ../shared/STACK.md).
package onnxrt

import (
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// Entries are the session config entries set on every session. Each was measured:
//   - session.set_denormal_as_zero: the face embedding meets denormal intermediates and
//     AVX-512/AMX Xeons pay ~11× for them (BenchmarkAlignEmbed 137.6 → 12.3 ms/op). ONNX
//     Runtime applies it to its pool threads and, once per process, to the thread that made
//     the first session; with one intra-op thread a run computes on the caller's thread, so
//     Run and Timed (meter.go) set the same mode there around every inference — without
//     that the entry alone left 86–148 ms/op (session 12, docs/perf.md);
//   - spinning off: with 2 cores shared by several sessions, spinning threads steal the
//     core another inference needs.
var Entries = map[string]string{
	"session.set_denormal_as_zero":    "1",
	"session.intra_op.allow_spinning": "0",
	"session.inter_op.allow_spinning": "0",
}

// SessionOptions returns options for one session with intra-op threads (< 1 = 1) and one
// inter-op thread. The caller destroys them after creating its session.
func SessionOptions(threads int) (*ort.SessionOptions, error) {
	if threads < 1 {
		threads = 1
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnxrt: session options: %w", err)
	}
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		opts.Destroy()
		return nil, fmt.Errorf("onnxrt: intra-op threads: %w", err)
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		opts.Destroy()
		return nil, fmt.Errorf("onnxrt: inter-op threads: %w", err)
	}
	for k, v := range Entries {
		if err := opts.AddSessionConfigEntry(k, v); err != nil {
			opts.Destroy()
			return nil, fmt.Errorf("onnxrt: %s=%s: %w", k, v, err)
		}
	}
	return opts, nil
}
