package verify

// The identity source of comparison_type=1 (package registry): which registry a tenant
// uses, what its answer means for the verdict, and erasure of the embedded table.

import (
	"context"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/registry"
)

// registryTemplate looks the claimed identity up in the session tenant's registry and
// returns the authoritative face template, or the verdict that ends the verification
// (unknown number, name mismatch, no usable photo). An error (registry unavailable) leaves
// the verdict job to be retried.
func (s *Service) registryTemplate(ctx context.Context, ss *faceverify.Session, name, number string) ([]float32, *faceverify.Verdict, error) {
	var reg registry.Registry = registry.Embedded{Entries: s.store}
	if s.Registries != nil {
		t, err := s.store.Tenant(ctx, ss.TenantID)
		if err != nil {
			return nil, nil, err
		}
		if reg, err = s.Registries.For(t); err != nil {
			return nil, nil, err
		}
	}
	a, err := reg.Lookup(ctx, registry.Query{Name: name, Number: number})
	if err != nil {
		return nil, nil, err
	}
	noPhoto := &faceverify.Verdict{Result: faceverify.ResultNoFaceFoundIDCard}
	switch a.Outcome {
	case registry.NoSuchNumber:
		return nil, &faceverify.Verdict{Result: faceverify.ResultNoIDCardNumber}, nil
	case registry.NameMismatch:
		return nil, &faceverify.Verdict{Result: faceverify.ResultIDNumberNameNotMatch}, nil
	case registry.NoUsablePhoto:
		return nil, noPhoto, nil
	}
	tpl := a.Template
	if len(tpl) == 0 && len(a.Photo) > 0 && s.Engine != nil {
		tpl, err = s.Engine.ReferenceFace(ctx, a.Photo)
		if faceverify.ErrorCode(err) == faceverify.EINVALID {
			return nil, noPhoto, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if len(tpl) == 0 {
		return nil, noPhoto, nil
	}
	return tpl, nil, nil
}

// DeleteRegistryEntry erases the embedded registry entry of number: its photo, its face
// template and the row; cached copies of HTTP registries' answers for number are dropped
// too. ENOTFOUND when the embedded table has no such number.
func (s *Service) DeleteRegistryEntry(ctx context.Context, number string) error {
	if number == "" {
		return faceverify.Missing("idcard_number")
	}
	if s.Registries != nil {
		s.Registries.Forget(number)
	}
	e, err := s.store.RegistryEntry(ctx, number)
	if err != nil {
		return err
	}
	if e.PhotoKey != "" {
		if err := s.blobs.Delete(ctx, e.PhotoKey); err != nil {
			return err
		}
	}
	if err := s.store.DeleteRegistryEntry(ctx, number); err != nil {
		return err
	}
	s.Log.Info("registry entry erased")
	return nil
}
