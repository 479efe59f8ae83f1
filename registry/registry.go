// Package registry is the authoritative identity source of comparison_type=1: given the
// claimed name and ID number it answers match (with the authoritative photo or its face
// template), no such number, name mismatch, or no usable photo. One interface, two
// adapters: Embedded (the table `faceverify admin registry add|import` fills, in the
// service's own store) and registry/httpreg (a business's own source behind the JSON
// contract of docs/registry.md). A Set chooses the adapter per tenant.
//
// It owns the lookup outcome and the per-tenant choice; it does not compare faces, decide
// verdicts or map outcomes to wire codes (verify and the dialects do), and it never logs
// names, numbers or photos.
package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/faceverify/faceverify"
)

// Outcome is the answer of a registry about one claimed identity.
type Outcome string

// Outcomes. Every adapter answers exactly one of them (or an error: see ErrUnavailable).
const (
	Match         Outcome = "match"          // the number exists and the name matches: Photo or Template is set
	NoSuchNumber  Outcome = "no_such_number" // Lite 3000 NO_ID_CARD_NUMBER, Cloudauth SubCode 202
	NameMismatch  Outcome = "name_mismatch"  // Lite 3000 ID_NUMBER_NAME_NOT_MATCH, Cloudauth 201
	NoUsablePhoto Outcome = "no_photo"       // no photo, or not exactly one usable face: Cloudauth 203
)

// Valid reports whether o is one of the outcomes above.
func (o Outcome) Valid() bool {
	switch o {
	case Match, NoSuchNumber, NameMismatch, NoUsablePhoto:
		return true
	}
	return false
}

// Query is the claimed identity.
type Query struct {
	Name   string
	Number string
}

// Answer is what a registry knows about a Query. For Match exactly one of Photo and
// Template is usually set: the embedded table keeps templates, an HTTP source sends a
// photo (its adapter turns it into a template when given a Templater).
type Answer struct {
	Outcome  Outcome
	Photo    []byte    // authoritative photo (JPEG/PNG/WebP), if the source sent one
	Template []float32 // face template of the authoritative photo, if known
}

// ErrUnavailable wraps every failure to get an answer (unreachable, timeout, bad reply,
// bad signature, circuit open). It is never an outcome: the verdict job retries later.
var ErrUnavailable = errors.New("registry unavailable")

// Registry looks up claimed identities.
type Registry interface {
	Lookup(ctx context.Context, q Query) (*Answer, error)
}

// Checker is implemented by registries that can be unreachable (readiness).
type Checker interface {
	Check(ctx context.Context) error
}

// Templater turns an authoritative photo into a face template; an EINVALID
// *faceverify.Error means the photo has no usable face (NoUsablePhoto).
type Templater func(ctx context.Context, photo []byte) ([]float32, error)

// EntryReader is the part of the store the embedded table reads.
type EntryReader interface {
	RegistryEntry(ctx context.Context, number string) (*faceverify.RegistryEntry, error)
}

// Embedded is the table in the service's own store (today's behaviour): unknown number →
// NoSuchNumber, stored name differs → NameMismatch, else Match with the stored template.
type Embedded struct{ Entries EntryReader }

// Lookup implements Registry.
func (e Embedded) Lookup(ctx context.Context, q Query) (*Answer, error) {
	ent, err := e.Entries.RegistryEntry(ctx, q.Number)
	switch {
	case faceverify.ErrorCode(err) == faceverify.ENOTFOUND:
		return &Answer{Outcome: NoSuchNumber}, nil
	case err != nil:
		return nil, err // the store's own error: not a registry outage
	case ent.Name != q.Name:
		return &Answer{Outcome: NameMismatch}, nil
	case len(ent.Embedding) == 0:
		return &Answer{Outcome: NoUsablePhoto}, nil
	}
	return &Answer{Outcome: Match, Template: ent.Embedding}, nil
}

// EmbeddedName is the name of the embedded table in tenant settings and config.
const EmbeddedName = "embedded"

// Set holds the configured registries and chooses one per tenant: the tenant's own
// setting (`admin app update --registry NAME`), else the config's tenant map, else the
// embedded table.
type Set struct {
	Embedded Registry
	named    map[string]Registry
	tenants  map[string]string // tenant id → registry name, from config
}

// Status is the last readiness probe of one registry.
type Status struct {
	Reachable bool      `json:"reachable"`
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"checked_at"`
}

// NewSet returns a Set with the embedded table and the named registries; tenants maps
// tenant ids to registry names (config). Unknown names in tenants are an error.
func NewSet(embedded Registry, named map[string]Registry, tenants map[string]string) (*Set, error) {
	s := &Set{Embedded: embedded, named: map[string]Registry{}, tenants: map[string]string{}}
	for n, r := range named {
		if n == EmbeddedName || n == "" {
			return nil, fmt.Errorf("registry: %q is a reserved name", n)
		}
		s.named[n] = r
	}
	for t, n := range tenants {
		if !s.Known(n) {
			return nil, fmt.Errorf("registry: tenant %s uses unknown registry %q", t, n)
		}
		s.tenants[t] = n
	}
	return s, nil
}

// Known reports whether name is a registry of this set ("" and "embedded" always are).
func (s *Set) Known(name string) bool {
	if name == "" || name == EmbeddedName {
		return true
	}
	_, ok := s.named[name]
	return ok
}

// Names lists the configured registries, "embedded" first.
func (s *Set) Names() []string {
	out := []string{}
	for n := range s.named {
		out = append(out, n)
	}
	sort.Strings(out)
	return append([]string{EmbeddedName}, out...)
}

// NameFor is the registry name tenant t uses.
func (s *Set) NameFor(t *faceverify.Tenant) string {
	if t != nil && t.Registry != "" {
		return t.Registry
	}
	if t != nil {
		if n := s.tenants[t.ID]; n != "" {
			return n
		}
	}
	return EmbeddedName
}

// For returns tenant t's registry. A tenant naming a registry that is no longer
// configured gets an error (wrapping ErrUnavailable), never silently the embedded table.
func (s *Set) For(t *faceverify.Tenant) (Registry, error) {
	n := s.NameFor(t)
	if n == EmbeddedName {
		return s.Embedded, nil
	}
	r, ok := s.named[n]
	if !ok {
		return nil, fmt.Errorf("%w: registry %q is not configured", ErrUnavailable, n)
	}
	return r, nil
}

// Check probes every named registry that can be unreachable and returns each one's
// status; it never fails as a whole (a registry down affects only its tenants).
func (s *Set) Check(ctx context.Context, now time.Time) map[string]Status {
	type res struct {
		name string
		err  error
	}
	ch := make(chan res, len(s.named))
	n := 0
	for name, r := range s.named {
		c, ok := r.(Checker)
		if !ok {
			continue
		}
		n++
		go func() { ch <- res{name, c.Check(ctx)} }()
	}
	out := map[string]Status{}
	for ; n > 0; n-- {
		r := <-ch
		st := Status{Reachable: r.err == nil, At: now}
		if r.err != nil {
			st.Error = r.err.Error()
		}
		out[r.name] = st
	}
	return out
}

// Forgetter is implemented by registries that may keep answers (a configured cache).
type Forgetter interface{ Forget(number string) }

// Forget drops cached answers about number from every registry that keeps any.
func (s *Set) Forget(number string) {
	for _, r := range s.named {
		if f, ok := r.(Forgetter); ok {
			f.Forget(number)
		}
	}
}
