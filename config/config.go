// Package config is the one typed configuration of faceverify, read from flags with
// FACEVERIFY_* environment fallbacks and validated at start. Every limit has the vendor's
// default here; docs/config.md lists them. It is the single source of every limit: the
// use cases (Verify), the video decoder (Media) and the liveness thresholds (Liveness)
// all take theirs from it, so a limit cannot be raised at one door and not at the next.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faceverify/faceverify/dialect/cloudauth"
	"github.com/faceverify/faceverify/internal/clientip"
	"github.com/faceverify/faceverify/media"
	"github.com/faceverify/faceverify/pipeline"
	"github.com/faceverify/faceverify/verify"
)

// Config is everything a process needs.
type Config struct {
	Addr      string
	DataDir   string
	Database  string // sqlite:PATH | postgres://…
	Blob      string // file:DIR | s3://bucket?endpoint=…
	Workers   int    // in-process job workers (serve); 0 = API only
	PublicURL string // base URL the page links use (default http://Addr)
	Models    string
	ORTLib    string
	Threads   int
	Slots     int    // model work running at once (verdicts, ID cards, reference photos); 0 = one per core
	Keys      string // sealing key ring "id:base64,…" (default: DataDir/keys/master.key)
	LogFormat string // json | text
	LogLevel  string

	PageTTL          time.Duration
	CloudauthPageTTL time.Duration
	Retention        time.Duration
	MaxVideoBytes    int64
	MaxBodyBytes     int64
	Concurrency      int
	NotifyFor        time.Duration
	NotifyAllow      string // comma-separated hosts/CIDRs the callback guard lets through
	// CloudauthHTTPCallbackHosts are host names whose Cloudauth CallbackUrl may be plain http
	// (the document requires https; for local testing). Comma-separated on the command line.
	CloudauthHTTPCallbackHosts []string
	UploadRate                 float64       // uploads per second per client IP (burst 10)
	SweepEvery                 time.Duration // how often expiry + retention are enforced
	JobLease                   time.Duration // a job claimed by a worker that died runs again after this

	// Liveness are the liveness thresholds (calibrated defaults, docs/liveness.md); Validate
	// sets their media limits to Media(), so the engine refuses exactly what the door does.
	Liveness    pipeline.LivenessConfig
	MetricsAddr string // --metrics-addr: Prometheus /metrics on its own listener ("" = off)
	AdminAddr   string // --admin-addr: the review console on its own listener ("" = under /console/ on --addr)
	// TrustedProxies (--trusted-proxies) are the reverse proxies whose X-Forwarded-For
	// gives the client address of the console's sign-in limit (none by default: the peer).
	TrustedProxies clientip.Trusted
	RegistriesFile string      // --registries: the HTTP identity registries (registries.go)
	Registries     *Registries // loaded from RegistriesFile by Validate (nil = embedded only)

	finish         func()
	getenv         func(string) string
	trustedProxies string // the flag's text, parsed by Validate
}

// Parse is Flags, fs.Parse(args) and Validate: the configuration of args, with getenv's
// values where a flag is not given.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) (*Config, error) {
	c := Flags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Flags registers the flags on fs with env fallbacks; call Validate after fs.Parse.
func Flags(fs *flag.FlagSet, getenv func(string) string) *Config {
	c := &Config{Liveness: pipeline.DefaultLivenessConfig()}
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, envOr(getenv, name, def), usage+" (env "+envName(name)+")")
	}
	intv := func(p *int, name string, def int, usage string) {
		d := def
		if v := getenv(envName(name)); v != "" {
			fmt.Sscan(v, &d)
		}
		fs.IntVar(p, name, d, usage+" (env "+envName(name)+")")
	}
	dur := func(p *time.Duration, name string, def time.Duration, usage string) {
		d := def
		if v := getenv(envName(name)); v != "" {
			if x, err := time.ParseDuration(v); err == nil {
				d = x
			}
		}
		fs.DurationVar(p, name, d, usage+" (env "+envName(name)+")")
	}
	str(&c.Addr, "addr", "127.0.0.1:8080", "listen address")
	str(&c.DataDir, "data", "./data", "data directory (SQLite database, blobs, keys)")
	str(&c.Database, "database", "", "database: sqlite:PATH or postgres://… (default sqlite:DATA/faceverify.db)")
	str(&c.Blob, "blob", "", "blob store: file:DIR or s3://bucket?endpoint=… (default file:DATA/blobs)")
	intv(&c.Workers, "workers", 2, "in-process job workers (0 = API only)")
	str(&c.PublicURL, "public-url", "", "public base URL of this service (default http://ADDR)")
	str(&c.Models, "models", "", "face model directory (default $FACEVERIFY_DEPS/models or ./.deps/models)")
	str(&c.ORTLib, "ort-lib", "", "ONNX Runtime shared library (default $FACEVERIFY_DEPS/lib/libonnxruntime.so.1)")
	intv(&c.Threads, "threads", 1, "ONNX Runtime intra-op threads per session")
	intv(&c.Slots, "engine-slots", 0, "model work running at once: verdicts, ID card reads and reference photos together (0 = one per core)")
	str(&c.Keys, "keys", "", "sealing keys id:base64,… (first seals); default DATA/keys/master.key")
	str(&c.LogFormat, "log-format", "json", "log format: json or text")
	str(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	dur(&c.PageTTL, "page-ttl", time.Hour, "FaceID Lite biz_token page validity")
	dur(&c.CloudauthPageTTL, "cloudauth-page-ttl", 30*time.Minute, "Cloudauth CertifyUrl validity")
	dur(&c.Retention, "retention", 30*24*time.Hour, "how long results are kept")
	var maxVideoMB, maxBodyMB int
	intv(&maxVideoMB, "max-video-mb", 20, "video upload limit in MiB")
	intv(&maxBodyMB, "max-body-mb", 20, "API request body limit in MiB")
	intv(&c.Concurrency, "concurrency", 64, "default in-flight API requests per tenant")
	dur(&c.NotifyFor, "notify-for", 24*time.Hour, "how long callbacks are retried")
	str(&c.NotifyAllow, "notify-allow", "", "hosts/CIDRs callbacks may reach although private (e.g. 127.0.0.1/32,receiver.local)")
	fs.Float64Var(&c.UploadRate, "upload-rate", 2, "page uploads per second per client IP (burst 10; negative = off)")
	var httpCallbackHosts string
	str(&httpCallbackHosts, "cloudauth-http-callback-hosts", "", "host names whose Cloudauth CallbackUrl may be plain http (comma-separated; default none: https only)")
	dur(&c.SweepEvery, "sweep-every", time.Minute, "how often page expiry and result retention are enforced")
	dur(&c.JobLease, "job-lease", 2*time.Minute, "job lease: a job whose worker died runs again after this")
	str(&c.MetricsAddr, "metrics-addr", "", "serve Prometheus /metrics on this separate HOST:PORT (never on --addr; empty = off)")
	str(&c.AdminAddr, "admin-addr", "", "serve the review console (/console/) on this separate HOST:PORT instead of --addr")
	var trustedProxies string
	str(&trustedProxies, "trusted-proxies", "", "reverse proxies (CIDRs/addresses, comma-separated) whose X-Forwarded-For gives the client address of the console sign-in limit (default none: the TCP peer)")
	str(&c.RegistriesFile, "registries", "", "JSON file of HTTP identity registries and the tenants using them (docs/registry.md)")
	c.getenv = getenv
	c.finish = func() {
		c.trustedProxies = trustedProxies
		c.MaxVideoBytes = int64(maxVideoMB) << 20
		c.MaxBodyBytes = int64(maxBodyMB) << 20
		c.CloudauthHTTPCallbackHosts = nil
		for _, h := range strings.Split(httpCallbackHosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				c.CloudauthHTTPCallbackHosts = append(c.CloudauthHTTPCallbackHosts, h)
			}
		}
	}
	return c
}

// Validate applies derived defaults and checks the configuration.
func (c *Config) Validate() error {
	if c.finish != nil {
		c.finish()
	}
	if c.DataDir == "" {
		return errors.New("config: --data is required")
	}
	if c.Database == "" {
		c.Database = "sqlite:" + filepath.Join(c.DataDir, "faceverify.db")
	}
	if c.Blob == "" {
		c.Blob = "file:" + filepath.Join(c.DataDir, "blobs")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Models == "" {
		c.Models = filepath.Join(DepsDir(), "models")
	}
	if c.ORTLib == "" {
		c.ORTLib = filepath.Join(DepsDir(), "lib", "libonnxruntime.so.1")
	}
	switch {
	case c.Workers < 0:
		return errors.New("config: --workers must be >= 0")
	case c.Threads < 1:
		return errors.New("config: --threads must be >= 1")
	case c.PageTTL <= 0 || c.CloudauthPageTTL <= 0 || c.Retention <= 0:
		return errors.New("config: TTLs must be positive")
	case c.MaxVideoBytes <= 0 || c.MaxBodyBytes <= 0:
		return errors.New("config: size limits must be positive")
	case c.SweepEvery <= 0 || c.JobLease < 10*time.Second:
		return errors.New("config: --sweep-every must be positive and --job-lease at least 10s")
	case c.Retention < c.PageTTL:
		return errors.New("config: --retention must be at least --page-ttl")
	case c.AdminAddr != "" && (c.AdminAddr == c.Addr || c.AdminAddr == c.MetricsAddr):
		return errors.New("config: --admin-addr must differ from --addr and --metrics-addr")
	case c.MetricsAddr != "" && c.MetricsAddr == c.Addr:
		return errors.New("config: --metrics-addr must differ from --addr (metrics are never public)")
	}
	if c.trustedProxies != "" {
		tp, err := clientip.Parse(c.trustedProxies)
		if err != nil {
			return fmt.Errorf("config: --trusted-proxies: %w", err)
		}
		c.TrustedProxies = tp
	}
	// The liveness check samples at its own frame rate (pipeline.SyncFPS for lip sync).
	lim := c.Media()
	if c.Liveness.Limits.FPS > 0 {
		lim.FPS = c.Liveness.Limits.FPS
	}
	c.Liveness.Limits = lim
	if c.RegistriesFile != "" && c.Registries == nil {
		getenv := c.getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		r, err := LoadRegistries(c.RegistriesFile, getenv)
		if err != nil {
			return err
		}
		c.Registries = r
	}
	return nil
}

// Media returns the limits of an uploaded video: the vendor's duration and sampling
// defaults with the size limit of --max-video-mb.
func (c *Config) Media() media.Limits {
	l := media.DefaultLimits()
	l.MaxBytes = c.MaxVideoBytes
	return l
}

// Verify returns the configuration of the use cases.
func (c *Config) Verify() verify.Config {
	return verify.Config{
		PageTTL: c.PageTTL, CloudauthPageTTL: c.CloudauthPageTTL, Retention: c.Retention,
		MaxVideoBytes: c.MaxVideoBytes, NotifyFor: c.NotifyFor, SignatureWindow: cloudauth.MaxSkew,
	}
}

// DepsDir is $FACEVERIFY_DEPS, else ./.deps, else .deps beside the executable's directory
// (bin/faceverify → .deps): what scripts/setup.sh fills.
func DepsDir() string {
	if d := os.Getenv("FACEVERIFY_DEPS"); d != "" {
		return d
	}
	if _, err := os.Stat(".deps"); err == nil {
		return ".deps"
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Join(filepath.Dir(exe), "..", ".deps")
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	return ".deps"
}

func envName(flagName string) string {
	return "FACEVERIFY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(envName(name)); v != "" {
		return v
	}
	return def
}
