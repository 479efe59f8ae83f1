// Package model is a placeholder until the trained model is copied in (speech/train).
package model

// SHA256 of digits.onnx.
const SHA256 = ""

// Metadata is digits.json.
type Metadata struct {
	SampleRate    int      `json:"sample_rate"`
	FrameShiftMs  float64  `json:"frame_shift_ms"`
	FrameOffsetMs float64  `json:"frame_offset_ms"`
	Labels        []string `json:"labels"`
	Version       string   `json:"version"`
	Input         string   `json:"input"`
	Output        string   `json:"output"`
}

// ONNX returns the model bytes.
func ONNX() []byte { return nil }

// Meta returns digits.json.
func Meta() (Metadata, error) { return Metadata{}, nil }
