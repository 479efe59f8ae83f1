package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/registry"
)

type entries map[string]*faceverify.RegistryEntry

func (e entries) RegistryEntry(ctx context.Context, number string) (*faceverify.RegistryEntry, error) {
	if x, ok := e[number]; ok {
		return x, nil
	}
	return nil, faceverify.Errorf(faceverify.ENOTFOUND, "registry entry not found")
}

type down struct{}

func (down) Lookup(ctx context.Context, q registry.Query) (*registry.Answer, error) {
	return nil, registry.ErrUnavailable
}
func (down) Check(ctx context.Context) error { return errors.New("connection refused") }

func TestEmbedded(t *testing.T) {
	e := registry.Embedded{Entries: entries{"N1": {Number: "N1", Name: "张三", Embedding: []float32{1, 0}}, "N2": {Number: "N2", Name: "李四"}}}
	for _, c := range []struct {
		q    registry.Query
		want registry.Outcome
	}{
		{registry.Query{Name: "张三", Number: "N1"}, registry.Match},
		{registry.Query{Name: "张四", Number: "N1"}, registry.NameMismatch},
		{registry.Query{Name: "张三", Number: "N9"}, registry.NoSuchNumber},
		{registry.Query{Name: "李四", Number: "N2"}, registry.NoUsablePhoto},
	} {
		a, err := e.Lookup(context.Background(), c.q)
		if err != nil || a.Outcome != c.want {
			t.Errorf("%+v: %+v %v, want %s", c.q, a, err, c.want)
		}
	}
}

func TestSetPerTenant(t *testing.T) {
	emb := registry.Embedded{Entries: entries{}}
	if _, err := registry.NewSet(emb, nil, map[string]string{"t1": "crm"}); err == nil {
		t.Fatal("a tenant mapped to an unknown registry was accepted")
	}
	s, err := registry.NewSet(emb, map[string]registry.Registry{"crm": down{}}, map[string]string{"t1": "crm"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		t    faceverify.Tenant
		want string
	}{
		{faceverify.Tenant{ID: "t0"}, "embedded"},
		{faceverify.Tenant{ID: "t1"}, "crm"},                            // config
		{faceverify.Tenant{ID: "t1", Registry: "embedded"}, "embedded"}, // tenant setting wins
		{faceverify.Tenant{ID: "t2", Registry: "crm"}, "crm"},
	} {
		if got := s.NameFor(&c.t); got != c.want {
			t.Errorf("%+v: %s, want %s", c.t, got, c.want)
		}
	}
	if _, err := s.For(&faceverify.Tenant{ID: "t3", Registry: "gone"}); !errors.Is(err, registry.ErrUnavailable) {
		t.Fatalf("unconfigured registry: %v", err)
	}
	st := s.Check(context.Background(), time.Now())
	if len(st) != 1 || st["crm"].Reachable {
		t.Fatalf("status %+v", st)
	}
	if !s.Known("crm") || !s.Known("embedded") || !s.Known("") || s.Known("gone") {
		t.Fatal("Known")
	}
}
