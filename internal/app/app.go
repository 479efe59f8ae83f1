// Package app wires faceverify together from a config: store, blob store, engine, use
// cases, job runner, notifier and HTTP server. cmd/faceverify and the end-to-end test
// harness both build the service through it, so tests run exactly what production runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/httpapi"
	"github.com/faceverify/faceverify/jobs"
	"github.com/faceverify/faceverify/metrics"
	"github.com/faceverify/faceverify/notify"
	"github.com/faceverify/faceverify/pipeline"
	"github.com/faceverify/faceverify/registry"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/verify"
	"github.com/faceverify/faceverify/vision"
)

// Options choose what to build.
type Options struct {
	Engine bool             // load the models (serve, worker, registry enrolment)
	Clock  faceverify.Clock // nil = system clock
	// HTTPClient is the outbound client for callbacks (tests inject a loopback-only one);
	// nil = the guarded default.
	HTTPClient *http.Client
}

// App is a wired service.
type App struct {
	Config  *config.Config
	Log     *slog.Logger
	Box     *seal.Box
	Store   faceverify.Store
	Blobs   faceverify.BlobStore
	Engine  *pipeline.Engine
	Service *verify.Service
	Runner  *jobs.Runner
	Notify  *notify.Sender
	Server  *httpapi.Server
	// Registries are the identity sources of comparison_type=1 (registries.go).
	Registries *registry.Set
	// Metrics are the Prometheus collectors (metrics.go); served on --metrics-addr only.
	Metrics     *metrics.Metrics
	metricsAddr atomic.Pointer[string] // bound --metrics-addr (metrics.go)
	// Console holds the review console's use cases (console.go); nil when the store
	// keeps no console data.
	Console        *verify.Console
	consoleHandler http.Handler
	consoleAddr    atomic.Pointer[string] // bound --admin-addr
	closers        []func() error
}

// Logger returns the process logger for cfg.
func Logger(cfg *config.Config, w *os.File) *slog.Logger {
	lvl := slog.LevelInfo
	lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Build wires the service.
func Build(ctx context.Context, cfg *config.Config, log *slog.Logger, opt Options) (*App, error) {
	a := &App{Config: cfg, Log: log}
	clock := opt.Clock
	if clock == nil {
		clock = faceverify.SystemClock{}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	box, err := seal.LoadOrCreate(cfg.Keys, filepath.Join(cfg.DataDir, "keys", "master.key"))
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	a.Box = box
	if a.Store, err = OpenStore(cfg.Database, box, clock, log); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Store.Close)
	raw := a.Store
	a.Store = a.instrumentStore(clock) // metrics.go
	if a.Blobs, err = OpenBlobs(cfg.Blob, box); err != nil {
		a.Close()
		return nil, err
	}
	var engine faceverify.Engine
	if opt.Engine {
		e, err := pipeline.OpenEngine(pipeline.EngineConfig{
			Vision:   vision.Config{ModelDir: cfg.Models, LibPath: cfg.ORTLib, Threads: cfg.Threads},
			Liveness: cfg.Liveness, // its media limits are the use case's (config.Media)
			Slots:    cfg.Slots,
		})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("engine: %w", err)
		}
		a.Engine, engine = e, a.Metrics.Engine(e) // stage timings (metrics.go)
		a.Metrics.Pool("engine", func() (int, int) { return e.Slots.Busy(), e.Slots.Cap() })
		a.closers = append(a.closers, e.Close)
	}
	a.Service = verify.New(a.Store, a.Blobs, engine, clock, log, cfg.Verify())
	if a.Registries, err = a.buildRegistries(engine, clock); err != nil {
		a.Close()
		return nil, err
	}
	a.Service.Registries = a.Registries
	a.buildConsole(raw) // console.go
	client := opt.HTTPClient
	if client == nil {
		client = a.outboundClient()
	}
	a.Notify = notify.New(client, clock)
	for d, r := range a.notifyRenderers() {
		a.Notify.Renderers[d] = r
	}
	a.Runner = jobs.New(a.Store, clock, log, cfg.Workers)
	if cfg.JobLease > 0 {
		a.Runner.Lease = cfg.JobLease
	}
	a.Service.Wake = a.Runner.Wake
	svc := a.Service
	a.Runner.Handle(faceverify.JobDecide, jobs.Policy{Base: 2 * time.Second, Max: time.Minute, Timeout: time.Minute,
		OnGiveUp: func(ctx context.Context, j faceverify.Job, err error) {
			if gerr := svc.GiveUp(ctx, j.Token, j.Key, err); gerr != nil {
				log.Error("the session of a verdict job given up not ended", "job", j.ID, "err", gerr)
			}
		},
	}, func(ctx context.Context, j faceverify.Job) (string, error) {
		err := svc.Decide(ctx, j.Token, j.Key)
		a.Metrics.JobRun(j.Kind, err)
		return "", err
	})
	a.Runner.Handle(faceverify.JobNotify, jobs.Policy{Base: 5 * time.Second, Max: time.Hour, GiveUp: cfg.NotifyFor, Timeout: 15 * time.Second},
		func(ctx context.Context, j faceverify.Job) (string, error) {
			t, ss, err := svc.Notice(ctx, j.Token)
			if faceverify.ErrorCode(err) == faceverify.ENOTFOUND {
				return "session erased", nil
			}
			if err != nil {
				return "", err
			}
			detail, err := a.Notify.Notify(ctx, t, ss)
			a.Metrics.Delivery(detail, err)
			a.Metrics.JobRun(j.Kind, err)
			return detail, err
		})
	a.Server = httpapi.NewServer(httpapi.Deps{
		Service: a.Service, Log: log, MaxBody: cfg.MaxBodyBytes, Concurrency: cfg.Concurrency, UploadRate: cfg.UploadRate, TrustedProxies: cfg.TrustedProxies,
		Page: a.pageHandler(), Cloudauth: a.cloudauthOptions(), ReturnURL: a.returnURL,
		Ready: func(ctx context.Context) error {
			_, err := a.Store.Tenants(ctx)
			return err
		},
		Registries: a.registryStatus,
		Console:    a.publicConsole(),
	})
	return a, nil
}

// Close releases everything.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// Serve runs the HTTP server, the job workers and the sweeper until ctx is done, then shuts
// down gracefully. ready, if non-nil, receives the bound address.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: a.Metrics.HTTP(a.Server), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	var wg sync.WaitGroup
	wctx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	wg.Add(2)
	go func() { defer wg.Done(); a.Runner.Run(wctx) }()
	go func() { defer wg.Done(); a.sweep(wctx) }()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	msrv, err := a.serveMetrics(errc) // metrics.go: --metrics-addr
	var csrv *http.Server
	if err == nil {
		csrv, err = a.serveConsole(errc) // console.go: --admin-addr
	}
	if err != nil {
		stopWorkers()
		wg.Wait()
		srv.Close()
		if msrv != nil {
			msrv.Close()
		}
		return err
	}
	a.Log.Info("serving", "addr", ln.Addr().String(), "workers", a.Config.Workers)
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, s := range []*http.Server{srv, msrv, csrv} { // API, metrics, console listeners
		if s == nil {
			continue
		}
		if serr := s.Shutdown(sctx); serr != nil {
			a.Log.Error("listener not shut down cleanly", "addr", s.Addr, "err", serr)
		}
	}
	stopWorkers()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	a.Log.Info("stopped")
	return err
}

// RunWorkers runs only the job workers and the sweeper (the `worker` command).
func (a *App) RunWorkers(ctx context.Context) {
	errc := make(chan error, 1)
	if msrv, err := a.serveMetrics(errc); err != nil {
		a.Log.Error("metrics", "err", err)
	} else if msrv != nil {
		defer msrv.Close()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.sweep(ctx) }()
	a.Runner.Run(ctx)
	wg.Wait()
}

func (a *App) sweep(ctx context.Context) {
	every := a.Config.SweepEvery
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if exp, er, err := a.Service.Sweep(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("sweep", "err", err)
		} else if exp+er > 0 {
			a.Log.Info("sweep", "expired", exp, "erased", er)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
