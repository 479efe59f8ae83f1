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
		if got, rule := Decide(FrontRules, c.m); got != c.want || rule.Name != c.rule {
			t.Errorf("front %s: %v by %q, want %v by %q", c.name, got, rule.Name, c.want, c.rule)
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

// TestRetakeRules: the photo rows of the tables (cut off, too small, too blurred, glare over
// the number / validity), without models: each measurement record, the result and the
// retake reason the page shows its documented text for.
func TestRetakeRules(t *testing.T) {
	photo := PhotoMeasures{Known: true, CompletenessKnown: true, CardWidth: 900, Sharpness: 10, Glare: 0.01}
	good := SideMeasures{NameRead: true, NumberValid: true, PortraitFace: PortraitFace, IDPhoto: 0.9, Threshold: 0.8, Photo: photo}
	with := func(f func(m *SideMeasures)) SideMeasures { m := good; f(&m); return m }
	cases := []struct {
		name   string
		m      SideMeasures
		want   faceverify.Result
		retake string
	}{
		{"good photo", good, faceverify.Result{}, ""},
		{"a corner outside, content inside: accepted", with(func(m *SideMeasures) { m.Photo.Completeness = 1 }), faceverify.Result{}, ""},
		{"content cut off, even when read", with(func(m *SideMeasures) { m.Photo.Completeness = 2 }), faceverify.ResultIDCardFrontside, RetakeCut},
		{"cut off before fake", with(func(m *SideMeasures) { m.Photo.Completeness, m.IDPhoto = 2, 0.1 }), faceverify.ResultIDCardFrontside, RetakeCut},
		{"grade unknown: not called cut", with(func(m *SideMeasures) { m.Photo.Completeness, m.Photo.CompletenessKnown = 2, false }), faceverify.Result{}, ""},
		{"too small", with(func(m *SideMeasures) { m.Photo.CardWidth = 300 }), faceverify.ResultIDCardFrontside, RetakeSmall},
		{"too small explains a missing face", with(func(m *SideMeasures) { m.Photo.CardWidth, m.PortraitFace = 300, PortraitNoFace }), faceverify.ResultIDCardFrontside, RetakeSmall},
		{"just large enough", with(func(m *SideMeasures) { m.Photo.CardWidth = minCardWidth }), faceverify.Result{}, ""},
		{"blurred but read and valid: accepted", with(func(m *SideMeasures) { m.Photo.Sharpness = 1 }), faceverify.Result{}, ""},
		{"blurred and unread", with(func(m *SideMeasures) { m.Photo.Sharpness, m.NumberValid = 1, false }), faceverify.ResultIDCardFrontside, RetakeBlur},
		{"glare over the number, read and valid: accepted", with(func(m *SideMeasures) { m.Photo.Glare = 0.6 }), faceverify.Result{}, ""},
		{"glare over the number, unread", with(func(m *SideMeasures) { m.Photo.Glare, m.NumberValid = 0.6, false }), faceverify.ResultIDCardFrontside, RetakeGlare},
		{"sharp, no glare, unread: no photo reason", with(func(m *SideMeasures) { m.NameRead = false }), faceverify.ResultIDCardFrontside, ""},
		{"bad check digit on a good photo: no retake reason", with(func(m *SideMeasures) { m.NumberValid = false }), faceverify.ResultIDCardFrontside, ""},
		{"nothing measured (tesseract): photo rows off", with(func(m *SideMeasures) {
			m.Photo = PhotoMeasures{CardWidth: 10, Completeness: 2, CompletenessKnown: true}
		}), faceverify.Result{}, ""},
	}
	for _, c := range cases {
		if got, rule := Decide(FrontRules, c.m); got != c.want || rule.Retake != c.retake {
			t.Errorf("front %s: %v retake %q (rule %q), want %v retake %q", c.name, got, rule.Retake, rule.Name, c.want, c.retake)
		}
	}
	back := SideMeasures{BackComplete: true, IDPhoto: 0.9, Threshold: 0.8, Photo: photo}
	bwith := func(f func(m *SideMeasures)) SideMeasures { m := back; f(&m); return m }
	backs := []struct {
		name   string
		m      SideMeasures
		want   faceverify.Result
		retake string
	}{
		{"good photo", back, faceverify.Result{}, ""},
		{"cut off", bwith(func(m *SideMeasures) { m.Photo.Completeness = 2 }), faceverify.ResultIDCardBacksideBlurred, RetakeCut},
		{"too small", bwith(func(m *SideMeasures) { m.Photo.CardWidth = 200 }), faceverify.ResultIDCardBacksideBlurred, RetakeSmall},
		{"glare over the validity, unread", bwith(func(m *SideMeasures) { m.Photo.Glare, m.BackComplete = 0.5, false }), faceverify.ResultIDCardBacksideBlurred, RetakeGlare},
		{"blurred, unread", bwith(func(m *SideMeasures) { m.Photo.Sharpness, m.BackComplete = 0.5, false }), faceverify.ResultIDCardBacksideBlurred, RetakeBlur},
		{"expired on a blurred photo: expiry, not a retake", bwith(func(m *SideMeasures) {
			m.Photo.Sharpness, m.Consistency = 0.5, faceverify.ResultIDCardBacksideBlurred
		}), faceverify.ResultIDCardBacksideBlurred, ""},
	}
	for _, c := range backs {
		if got, rule := Decide(BackRules, c.m); got != c.want || rule.Retake != c.retake {
			t.Errorf("back %s: %v retake %q (rule %q), want %v retake %q", c.name, got, rule.Retake, rule.Name, c.want, c.retake)
		}
	}
}
