package app

// The identity registries of comparison_type=1: the embedded table and the HTTP
// registries of --registries, each behind its own SSRF guard (allowlist: its `allow`).

import (
	"context"
	"fmt"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/notify"
	"github.com/faceverify/faceverify/registry"
	"github.com/faceverify/faceverify/registry/httpreg"
)

func (a *App) buildRegistries(engine faceverify.Engine, clock faceverify.Clock) (*registry.Set, error) {
	named := map[string]registry.Registry{}
	var tenants map[string]string
	if rc := a.Config.Registries; rc != nil {
		tenants = rc.Tenants
		for name, r := range rc.Registries {
			g, err := notify.ParseAllow(r.Allow)
			if err != nil {
				return nil, fmt.Errorf("registry %s: allow: %w", name, err)
			}
			if g.TLS, err = httpreg.TLSConfig(r.CAFile, r.ClientCertFile, r.ClientKeyFile); err != nil {
				return nil, fmt.Errorf("registry %s: %w", name, err)
			}
			var tpl registry.Templater
			if engine != nil {
				tpl = engine.ReferenceFace
			}
			c, err := httpreg.New(httpreg.Config{
				Name: name, URL: r.URL, KeyID: r.KeyID, Secret: []byte(r.Secret),
				Timeout: time.Duration(r.Timeout), Retries: r.Retries, Backoff: time.Duration(r.Backoff),
				BreakAfter: r.BreakAfter, Cooldown: time.Duration(r.Cooldown),
				CacheTTL: time.Duration(r.CacheTTL), CacheMax: r.CacheMax, Box: a.Box,
				Guard: g, AllowHTTP: r.AllowHTTP, Templater: tpl, Clock: clock,
			})
			if err != nil {
				return nil, err
			}
			named[name] = c
		}
	}
	return registry.NewSet(registry.Embedded{Entries: a.Store}, named, tenants)
}

// registryStatus is the registries part of /readyz: name → "ok" | "unreachable". A
// registry that cannot be reached is reported (and logged with the cause) without making
// the service unready: tenants that do not use it are unaffected.
func (a *App) registryStatus(ctx context.Context) map[string]string {
	st := a.Registries.Check(ctx, time.Now())
	if len(st) == 0 {
		return nil
	}
	out := map[string]string{}
	for name, s := range st {
		if s.Reachable {
			out[name] = "ok"
			continue
		}
		out[name] = "unreachable"
		a.Log.Warn("registry unreachable", "registry", name, "err", s.Error)
	}
	return out
}
