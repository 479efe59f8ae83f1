package app

// The review console (issue 17): its use cases over the store's console data, its handler
// under /console/ on the public listener, or on --admin-addr alone.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/console"
	"github.com/faceverify/faceverify/verify"
)

// buildConsole wires the console use cases when the store keeps console data (both SQL
// stores do); ops is the store before instrumentation.
func (a *App) buildConsole(ops faceverify.Store) {
	os, ok := ops.(faceverify.OperatorStore)
	if !ok {
		return
	}
	a.Console = verify.NewConsole(a.Service, os)
	a.consoleHandler = console.New(a.Console, console.Options{Log: a.Log,
		Secure: strings.HasPrefix(a.Config.PublicURL, "https://"), TrustedProxies: a.Config.TrustedProxies})
	if bf, ok := ops.(backfiller); ok {
		a.backfill(bf)
	}
}

// backfiller fills the list columns of sessions written before migration 0002.
type backfiller interface {
	BackfillListColumns(ctx context.Context, batch int) (int, error)
}

// backfill runs the backfill in the background (stopped and waited for by Close); after
// the first run it is one indexed look-up that finds nothing.
func (a *App) backfill(bf backfiller) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, err := bf.BackfillListColumns(ctx, 500)
		switch {
		case err != nil && ctx.Err() == nil:
			a.Log.Error("console: list columns of older sessions not filled", "err", err)
		case n > 0:
			a.Log.Info("console: list columns of older sessions filled", "sessions", n)
		}
	}()
	// closers run last to first: this one runs before the store's own
	a.closers = append(a.closers, func() error { cancel(); <-done; return nil })
}

// publicConsole is the console handler of the public listener: nil when there is none or
// it has its own (--admin-addr).
func (a *App) publicConsole() http.Handler {
	if a.consoleHandler == nil || a.Config.AdminAddr != "" {
		return nil
	}
	return a.consoleHandler
}

// serveConsole serves the console on --admin-addr; nil when it is not configured.
func (a *App) serveConsole(errc chan<- error) (*http.Server, error) {
	if a.Config.AdminAddr == "" || a.consoleHandler == nil {
		return nil, nil
	}
	ln, err := net.Listen("tcp", a.Config.AdminAddr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/console/", a.consoleHandler)
	mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusSeeOther))
	srv := &http.Server{Handler: a.Metrics.HTTP(mux), ReadHeaderTimeout: 10 * time.Second}
	addr := ln.Addr().String()
	a.consoleAddr.Store(&addr)
	a.Log.Info("console", "addr", addr)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	return srv, nil
}

// ConsoleAddr is the bound --admin-addr ("" when the console is on the public listener).
func (a *App) ConsoleAddr() string {
	if p := a.consoleAddr.Load(); p != nil {
		return *p
	}
	return ""
}
