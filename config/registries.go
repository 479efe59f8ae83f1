package config

// The identity registries of comparison_type=1 (docs/registry.md): a JSON file named by
// --registries lists the HTTP registries by name and which tenants use them; a tenant's
// own setting (`admin app update --registry NAME`) overrides the file; without either a
// tenant uses the embedded table.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"time"
)

// Registry is one HTTP registry of the --registries file.
type Registry struct {
	URL        string   `json:"url"`
	KeyID      string   `json:"key_id"`
	Secret     string   `json:"secret,omitempty"`      // the shared HMAC secret, or:
	SecretEnv  string   `json:"secret_env,omitempty"`  // the environment variable holding it
	Timeout    Duration `json:"timeout,omitempty"`     // per attempt (2s)
	Retries    int      `json:"retries,omitempty"`     // extra attempts on 5xx/timeouts (2; -1 = none)
	Backoff    Duration `json:"backoff,omitempty"`     // first retry delay (100ms)
	BreakAfter int      `json:"break_after,omitempty"` // consecutive failures opening the circuit (5)
	Cooldown   Duration `json:"cooldown,omitempty"`    // circuit open for (30s)
	CacheTTL   Duration `json:"cache_ttl,omitempty"`   // 0 = never cache answers (default)
	CacheMax   int      `json:"cache_max,omitempty"`   // cached answers kept at most (10000)
	Allow      string   `json:"allow,omitempty"`       // CIDRs/hosts the SSRF guard lets through for this registry
	AllowHTTP  bool     `json:"allow_http,omitempty"`  // permit a plain http:// URL
	// TLS: the source's private CA, and a client certificate for mutual TLS (PEM files)
	CAFile         string `json:"ca_file,omitempty"`
	ClientCertFile string `json:"client_cert_file,omitempty"`
	ClientKeyFile  string `json:"client_key_file,omitempty"`
}

// Registries is the --registries file.
type Registries struct {
	Registries map[string]Registry `json:"registries"`
	Tenants    map[string]string   `json:"tenants,omitempty"` // tenant id → registry name
}

// Duration is a time.Duration written as a Go duration string ("2s", "150ms").
type Duration time.Duration

// UnmarshalJSON reads "2s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"2s\"")
	}
	x, err := time.ParseDuration(s)
	if err != nil || x < 0 {
		return fmt.Errorf("bad duration %q", s)
	}
	*d = Duration(x)
	return nil
}

var registryName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// LoadRegistries reads and checks a --registries file; getenv resolves secret_env.
func LoadRegistries(path string, getenv func(string) string) (*Registries, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: --registries: %w", err)
	}
	var r Registries
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("config: --registries %s: %w", path, err)
	}
	for name, reg := range r.Registries {
		switch {
		case !registryName.MatchString(name) || name == "embedded":
			return nil, fmt.Errorf("config: registry name %q: lower-case letters, digits, - and _, not \"embedded\"", name)
		case reg.URL == "":
			return nil, fmt.Errorf("config: registry %s: url is required", name)
		case reg.Secret != "" && reg.SecretEnv != "":
			return nil, fmt.Errorf("config: registry %s: give secret or secret_env, not both", name)
		}
		if reg.SecretEnv != "" {
			reg.Secret = getenv(reg.SecretEnv)
			if reg.Secret == "" {
				return nil, fmt.Errorf("config: registry %s: environment variable %s is empty", name, reg.SecretEnv)
			}
		}
		if len(reg.Secret) < 16 {
			return nil, fmt.Errorf("config: registry %s: the secret must be at least 16 bytes", name)
		}
		r.Registries[name] = reg
	}
	for t, name := range r.Tenants {
		if _, ok := r.Registries[name]; !ok && name != "embedded" {
			return nil, fmt.Errorf("config: tenant %s uses unknown registry %q", t, name)
		}
	}
	return &r, nil
}
