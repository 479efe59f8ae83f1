// Package vision owns everything that looks at pixels of faces: image decoding (JPEG, PNG,
// WebP, EXIF orientation), face detection, 68-point landmarks, 5-point similarity alignment
// to the ArcFace 112×112 template, 512-d embeddings, passive anti-spoofing, quality measures
// and the calibration that turns a cosine similarity into the vendors' 0–100 scores.
//
// It runs the faceplugin ONNX models (fr_*.onnx) on ONNX Runtime through cgo
// (github.com/yalue/onnxruntime_go). One ORT environment exists per process; an Engine
// holds one session per model and is safe for concurrent use.
//
// It must not decide verdicts (the pipeline composes them), must not log or keep images or
// embeddings, and must not know about sessions, tenants or either vendor's wire format.
package vision
