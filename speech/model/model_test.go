package model

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestEmbeddedModelPinned(t *testing.T) {
	sum := sha256.Sum256(ONNX())
	if got := hex.EncodeToString(sum[:]); got != SHA256 {
		t.Fatalf("digits.onnx sha256 %s, pinned %s", got, SHA256)
	}
	if n := len(ONNX()); n == 0 || n > 10<<20 {
		t.Fatalf("digits.onnx is %d bytes, want 1..10 MiB", n)
	}
}

func TestMetaParses(t *testing.T) {
	m, err := Meta()
	if err != nil {
		t.Fatal(err)
	}
	if m.SHA256 != SHA256 {
		t.Fatalf("digits.json sha256 %s, pinned %s", m.SHA256, SHA256)
	}
	if m.Labels[0] != "<blank>" || m.Labels[1] != "en0" || m.Labels[11] != "zh0" || m.Labels[21] != "<filler>" {
		t.Fatalf("labels out of contract order: %v", m.Labels)
	}
	if m.Input != "audio" || m.Output != "logprobs" {
		t.Fatalf("io names %q %q", m.Input, m.Output)
	}
}
