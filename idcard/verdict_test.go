package idcard

import (
	"testing"

	"github.com/faceverify/faceverify"
)

// The verdict tables, without models: each row is a measurement record and the result
// and rule it must produce.
func TestVerdictRules(t *testing.T) {
	good := SideMeasures{NameRead: true, NumberValid: true, PortraitFace: PortraitFace, IDPhoto: 0.9, Threshold: 0.8}
	with := func(f func(m *SideMeasures)) SideMeasures { m := good; f(&m); return m }
	front := []struct {
		name string
		m    SideMeasures
		want faceverify.Result
		rule string
	}{
		{"accepted", good, faceverify.Result{}, ""},
		{"no model: the portrait is not checked", with(func(m *SideMeasures) { m.PortraitFace = PortraitUnchecked }), faceverify.Result{}, ""},
		{"name missing", with(func(m *SideMeasures) { m.NameRead = false }), faceverify.ResultIDCardFrontside, "name and a valid number read"},
		{"number invalid", with(func(m *SideMeasures) { m.NumberValid = false }), faceverify.ResultIDCardFrontside, "name and a valid number read"},
		{"inconsistent back dates read with the front", with(func(m *SideMeasures) { m.Consistency = faceverify.ResultIDCardBacksideBlurred }),
			faceverify.ResultIDCardBacksideBlurred, "fields consistent"},
		{"no face on the portrait", with(func(m *SideMeasures) { m.PortraitFace = PortraitNoFace }), faceverify.ResultNoFaceFoundIDCard, "a face on the portrait"},
		{"a copy or a screen", with(func(m *SideMeasures) { m.IDPhoto = 0.5 }), faceverify.ResultFakeIDCard, "genuine card (ID_Photo ≥ threshold)"},
		{"exactly at the threshold passes", with(func(m *SideMeasures) { m.IDPhoto = 0.8 }), faceverify.Result{}, ""},
		{"order: an unreadable front is not called fake", with(func(m *SideMeasures) { m.NameRead, m.IDPhoto = false, 0.1 }),
			faceverify.ResultIDCardFrontside, "name and a valid number read"},
		{"order: no face before fake", with(func(m *SideMeasures) { m.PortraitFace, m.IDPhoto = PortraitNoFace, 0.1 }),
			faceverify.ResultNoFaceFoundIDCard, "a face on the portrait"},
		{"order: inconsistency before no face", with(func(m *SideMeasures) {
			m.Consistency, m.PortraitFace = faceverify.ResultIDCardFrontside, PortraitNoFace
		}), faceverify.ResultIDCardFrontside, "fields consistent"},
	}
	for _, c := range front {
		if got, rule := Decide(FrontRules, c.m); got != c.want || rule != c.rule {
			t.Errorf("front %s: %v by %q, want %v by %q", c.name, got, rule, c.want, c.rule)
		}
	}
	back := SideMeasures{BackComplete: true, IDPhoto: 0.9, Threshold: 0.8}
	backs := []struct {
		name string
		m    SideMeasures
		want faceverify.Result
	}{
		{"accepted", back, faceverify.Result{}},
		{"issuer or validity missing", SideMeasures{IDPhoto: 0.1, Threshold: 0.8}, faceverify.ResultIDCardBacksideBlurred},
		{"expired card", SideMeasures{BackComplete: true, Consistency: faceverify.ResultIDCardBacksideBlurred, IDPhoto: 0.9, Threshold: 0.8},
			faceverify.ResultIDCardBacksideBlurred},
		{"a copy", SideMeasures{BackComplete: true, IDPhoto: 0.2, Threshold: 0.8}, faceverify.ResultFakeIDCard},
		{"the front's face rule does not apply to the back", SideMeasures{BackComplete: true, PortraitFace: PortraitNoFace, IDPhoto: 0.9, Threshold: 0.8},
			faceverify.Result{}},
	}
	for _, c := range backs {
		if got, _ := Decide(BackRules, c.m); got != c.want {
			t.Errorf("back %s: %v, want %v", c.name, got, c.want)
		}
	}
}
