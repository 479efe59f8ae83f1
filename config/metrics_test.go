package config_test

import (
	"flag"
	"testing"

	"github.com/faceverify/faceverify/config"
)

// The metrics never share the public listener.
func TestMetricsAddrNotPublic(t *testing.T) {
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--metrics-addr", "127.0.0.1:9090"}, true},
		{[]string{"--addr", "127.0.0.1:9090", "--metrics-addr", "127.0.0.1:9090"}, false},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		cfg := config.Flags(fs, func(string) string { return "" })
		if err := fs.Parse(append([]string{"--data", t.TempDir()}, c.args...)); err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%v: err = %v", c.args, err)
		}
	}
}
