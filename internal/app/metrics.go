package app

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/metrics"
)

// instrumentStore creates the collectors, registers the job queue figures (when the store
// can count its jobs) and returns the store with verdicts counted.
func (a *App) instrumentStore(clock faceverify.Clock) faceverify.Store {
	if a.Metrics == nil {
		a.Metrics = metrics.New()
	}
	if jc, ok := a.Store.(faceverify.JobCounter); ok {
		a.Metrics.Queue(jc, clock.Now)
	}
	return a.Metrics.Store(a.Store)
}

// serveMetrics serves /metrics on --metrics-addr (its own listener, never the public one);
// nil when it is not configured. A failing metrics listener reports on errc.
func (a *App) serveMetrics(errc chan<- error) (*http.Server, error) {
	if a.Config.MetricsAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", a.Config.MetricsAddr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.Log.Info("metrics", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	addr := ln.Addr().String()
	a.metricsAddr.Store(&addr)
	return srv, nil
}

// MetricsAddr is the bound address of the metrics listener ("" when off); set once Serve
// has started it.
func (a *App) MetricsAddr() string {
	if p := a.metricsAddr.Load(); p != nil {
		return *p
	}
	return ""
}
