package verify

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/registry"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlite"
)

// refEngine is a fake Engine for the use case: a photo "noface" has no usable face.
type refEngine struct{ faceverify.Engine }

func (refEngine) ReferenceFace(ctx context.Context, img []byte) ([]float32, error) {
	if string(img) == "noface" {
		return nil, &faceverify.Error{Code: faceverify.EINVALID, Message: "no face"}
	}
	return []float32{1, 0}, nil
}

// source answers by number, like an HTTP registry sending photos.
type source map[string]*registry.Answer

func (s source) Lookup(ctx context.Context, q registry.Query) (*registry.Answer, error) {
	if a, ok := s[q.Number]; ok {
		return a, nil
	}
	return nil, registry.ErrUnavailable
}

func TestRegistryVerdicts(t *testing.T) {
	ctx := context.Background()
	box, _ := seal.New(seal.NewKey(1))
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "fv.db"), box, faceverify.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.CreateTenant(ctx, &faceverify.Tenant{ID: "emb", AppCode: "a1", AccessKeyID: "k1"})
	st.CreateTenant(ctx, &faceverify.Tenant{ID: "crm", AppCode: "a2", AccessKeyID: "k2", Registry: "crm"})
	st.PutRegistryEntry(ctx, &faceverify.RegistryEntry{Number: "E1", Name: "张三", Embedding: []float32{0, 1}})
	src := source{
		"H1": {Outcome: registry.Match, Photo: []byte("face")},
		"H2": {Outcome: registry.Match, Photo: []byte("noface")},
		"H3": {Outcome: registry.NameMismatch},
		"H4": {Outcome: registry.NoSuchNumber},
		"H5": {Outcome: registry.NoUsablePhoto},
		"H6": {Outcome: registry.Match, Template: []float32{3, 4}},
	}
	set, err := registry.NewSet(registry.Embedded{Entries: st}, map[string]registry.Registry{"crm": src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, nil, refEngine{}, nil, nil, Config{})
	s.Registries = set
	for _, c := range []struct {
		tenant, name, number string
		want                 faceverify.Result // zero = a template
		tpl                  float32
	}{
		{"emb", "张三", "E1", faceverify.Result{}, 0},
		{"emb", "李四", "E1", faceverify.ResultIDNumberNameNotMatch, 0},
		{"emb", "张三", "E9", faceverify.ResultNoIDCardNumber, 0},
		{"crm", "张三", "H1", faceverify.Result{}, 1},
		{"crm", "张三", "H2", faceverify.ResultNoFaceFoundIDCard, 0},
		{"crm", "张三", "H3", faceverify.ResultIDNumberNameNotMatch, 0},
		{"crm", "张三", "H4", faceverify.ResultNoIDCardNumber, 0},
		{"crm", "张三", "H5", faceverify.ResultNoFaceFoundIDCard, 0},
		{"crm", "张三", "H6", faceverify.Result{}, 3},
	} {
		ss := &faceverify.Session{TenantID: c.tenant}
		tpl, v, err := s.registryTemplate(ctx, ss, c.name, c.number)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if c.want == (faceverify.Result{}) {
			if v != nil || len(tpl) != 2 || (c.tpl != 0 && tpl[0] != c.tpl) {
				t.Errorf("%+v: verdict %+v template %v", c, v, tpl)
			}
			continue
		}
		if v == nil || v.Result != c.want {
			t.Errorf("%+v: verdict %+v", c, v)
		}
	}
	// the tenant's registry down: an error (the verdict job retries), not a verdict
	if _, v, err := s.registryTemplate(ctx, &faceverify.Session{TenantID: "crm"}, "张三", "H9"); !errors.Is(err, registry.ErrUnavailable) || v != nil {
		t.Fatalf("outage: %v %v", v, err)
	}
}
