// Package model embeds the project's own spoken-digit recogniser (English and Mandarin digits,
// CTC over 22 classes) trained by speech/train (`make train-speech`, docs/speech.md).
//
// The ONNX graph contains its own front end: input `audio` float32 [1, N] mono 16 kHz samples
// in [-1, 1]; output `logprobs` float32 [1, T, 22] (log-softmax per frame, one frame every
// Metadata.FrameShiftMs, frame t centred at t*FrameShiftMs + FrameOffsetMs).
package model

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// SHA256 pins the embedded digits.onnx (hex). model_test.go checks it.
const SHA256 = "b19176a7dcdc40d2f1abb1e5fe6feae379db7248729a059e05eafa4df6709ae0"

//go:embed digits.onnx
var onnxBytes []byte

//go:embed digits.json
var metaBytes []byte

// Metadata is digits.json: how to feed the model and read its output.
type Metadata struct {
	SampleRate    int      `json:"sample_rate"`
	FrameShiftMs  float64  `json:"frame_shift_ms"`
	FrameOffsetMs float64  `json:"frame_offset_ms"`
	Labels        []string `json:"labels"`
	Version       string   `json:"version"`
	Trained       string   `json:"trained"`
	SHA256        string   `json:"sha256"`
	// Normalises is true when the graph normalises level/features per utterance itself.
	Normalises bool   `json:"normalises"`
	Input      string `json:"input"`
	Output     string `json:"output"`
}

// ONNX returns the embedded model bytes (do not modify them).
func ONNX() []byte { return onnxBytes }

// Meta parses the embedded digits.json.
func Meta() (Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(metaBytes, &m); err != nil {
		return Metadata{}, fmt.Errorf("speech/model: digits.json: %w", err)
	}
	if len(m.Labels) != 22 || m.SampleRate != 16000 || m.FrameShiftMs <= 0 {
		return Metadata{}, fmt.Errorf("speech/model: digits.json: unexpected labels/sample_rate/frame_shift_ms")
	}
	return m, nil
}
