//go:build !amd64

package onnxrt

// denormalsOff is a no-op off amd64: the denormal penalty measured (docs/perf.md) is the
// x86 one, and the session entry covers ONNX Runtime's own threads everywhere.
func denormalsOff() (restore func()) { return func() {} }
