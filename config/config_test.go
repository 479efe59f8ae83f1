package config_test

import (
	"flag"
	"testing"

	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/pipeline"
)

// One limit reaches every door: the use cases, the video decoder and the liveness engine.
func TestOneVideoLimit(t *testing.T) {
	cfg, err := config.Parse(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--data", t.TempDir(), "--max-video-mb", "30"}, func(string) string { return "" })
	if err != nil {
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

// --trusted-proxies (or FACEVERIFY_TRUSTED_PROXIES) is parsed at start; a bad entry
// refuses to start rather than trusting nobody or everybody.
func TestTrustedProxies(t *testing.T) {
	parse := func(env string, args ...string) (*config.Config, error) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		cfg := config.Flags(fs, func(k string) string {
			if k == "FACEVERIFY_TRUSTED_PROXIES" {
				return env
			}
			return ""
		})
		if err := fs.Parse(append([]string{"--data", t.TempDir()}, args...)); err != nil {
			return nil, err
		}
		return cfg, cfg.Validate()
	}
	cfg, err := parse("", "--trusted-proxies", "10.0.0.0/8, 192.0.2.7")
	if err != nil || len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1].String() != "192.0.2.7/32" {
		t.Fatalf("%v %v", cfg, err)
	}
	if cfg, err := parse("fd00::/8"); err != nil || len(cfg.TrustedProxies) != 1 {
		t.Fatalf("from the environment: %v", err)
	}
	if cfg, err := parse(""); err != nil || len(cfg.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v", cfg.TrustedProxies, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "*"} {
		if _, err := parse("", "--trusted-proxies", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
