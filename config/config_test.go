package config_test

import (
	"flag"
	"testing"

	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/pipeline"
)

// One limit reaches every door: the use cases, the video decoder and the liveness engine.
func TestOneVideoLimit(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg := config.Flags(fs, func(string) string { return "" })
	if err := fs.Parse([]string{"--data", t.TempDir(), "--max-video-mb", "30"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	const want = 30 << 20
	if cfg.Verify().MaxVideoBytes != want || cfg.Media().MaxBytes != want || cfg.Liveness.Limits.MaxBytes != want {
		t.Fatalf("use case %d, media %d, liveness %d; want %d everywhere",
			cfg.Verify().MaxVideoBytes, cfg.Media().MaxBytes, cfg.Liveness.Limits.MaxBytes, want)
	}
	if cfg.Liveness.MinSyncScore == 0 || cfg.Liveness.Limits.MaxDuration == 0 || cfg.Liveness.Limits.FPS != pipeline.SyncFPS {
		t.Fatalf("liveness thresholds lost their defaults: %+v", cfg.Liveness)
	}
}
