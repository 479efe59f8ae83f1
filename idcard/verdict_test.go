package idcard

import (
	"testing"

	"github.com/faceverify/faceverify"
)

// ruleRow is a row of a verdict table test: a measurement record, the result it must
// produce and what must have decided it (the rule's name or its retake reason, per test).
type ruleRow struct {
	name string
	m    SideMeasures
	want faceverify.Result
	by   string
}

// with returns base changed by f.
func with(base SideMeasures, f func(m *SideMeasures)) SideMeasures { f(&base); return base }

// checkRules decides every row with rules: the result must be the row's and, unless by is
// nil, by of the deciding rule the row's by.
func checkRules(t *testing.T, side string, rules []Rule, rows []ruleRow, by func(Rule) string) {
	t.Helper()
	for _, c := range rows {
		got, rule := Decide(rules, c.m)
		if got != c.want || (by != nil && by(rule) != c.by) {
			t.Errorf("%s %s: %v by rule %q (retake %q), want %v by %q", side, c.name, got, rule.Name, rule.Retake, c.want, c.by)
		}
	}
}

func ruleName(r Rule) string   { return r.Name }
func ruleRetake(r Rule) string { return r.Retake }

// The verdict tables, without models: each row is a measurement record and the result
// and rule it must produce.
func TestVerdictRules(t *testing.T) {
	good := SideMeasures{NameRead: true, NumberValid: true, PortraitFace: PortraitFace, IDPhoto: 0.9, Threshold: 0.8}
	front := []ruleRow{
		{"accepted", good, faceverify.Result{}, ""},
		{"no model: the portrait is not checked", with(good, func(m *SideMeasures) { m.PortraitFace = PortraitUnchecked }), faceverify.Result{}, ""},
		{"name missing", with(good, func(m *SideMeasures) { m.NameRead = false }), faceverify.ResultIDCardFrontside, "name and a valid number read"},
		{"number invalid", with(good, func(m *SideMeasures) { m.NumberValid = false }), faceverify.ResultIDCardFrontside, "name and a valid number read"},
		{"inconsistent back dates read with the front", with(good, func(m *SideMeasures) { m.Consistency = faceverify.ResultIDCardBacksideBlurred }),
			faceverify.ResultIDCardBacksideBlurred, "fields consistent"},
		{"no face on the portrait", with(good, func(m *SideMeasures) { m.PortraitFace = PortraitNoFace }), faceverify.ResultNoFaceFoundIDCard, "a face on the portrait"},
		{"a copy or a screen", with(good, func(m *SideMeasures) { m.IDPhoto = 0.5 }), faceverify.ResultFakeIDCard, "genuine card (ID_Photo ≥ threshold)"},
		{"exactly at the threshold passes", with(good, func(m *SideMeasures) { m.IDPhoto = 0.8 }), faceverify.Result{}, ""},
		{"order: an unreadable front is not called fake", with(good, func(m *SideMeasures) { m.NameRead, m.IDPhoto = false, 0.1 }),
			faceverify.ResultIDCardFrontside, "name and a valid number read"},
		{"order: no face before fake", with(good, func(m *SideMeasures) { m.PortraitFace, m.IDPhoto = PortraitNoFace, 0.1 }),
			faceverify.ResultNoFaceFoundIDCard, "a face on the portrait"},
		{"order: inconsistency before no face", with(good, func(m *SideMeasures) {
			m.Consistency, m.PortraitFace = faceverify.ResultIDCardFrontside, PortraitNoFace
		}), faceverify.ResultIDCardFrontside, "fields consistent"},
	}
	checkRules(t, "front", FrontRules, front, ruleName)
	back := SideMeasures{BackComplete: true, IDPhoto: 0.9, Threshold: 0.8}
	backs := []ruleRow{
		{"accepted", back, faceverify.Result{}, ""},
		{"issuer or validity missing", SideMeasures{IDPhoto: 0.1, Threshold: 0.8}, faceverify.ResultIDCardBacksideBlurred, ""},
		{"expired card", SideMeasures{BackComplete: true, Consistency: faceverify.ResultIDCardBacksideBlurred, IDPhoto: 0.9, Threshold: 0.8},
			faceverify.ResultIDCardBacksideBlurred, ""},
		{"a copy", SideMeasures{BackComplete: true, IDPhoto: 0.2, Threshold: 0.8}, faceverify.ResultFakeIDCard, ""},
		{"the front's face rule does not apply to the back", SideMeasures{BackComplete: true, PortraitFace: PortraitNoFace, IDPhoto: 0.9, Threshold: 0.8},
			faceverify.Result{}, ""},
	}
	checkRules(t, "back", BackRules, backs, nil)
}

// TestRetakeRules: the photo rows of the tables (cut off, too small, too blurred, glare over
// the number / validity), without models: each measurement record, the result and the
// retake reason the page shows its documented text for.
func TestRetakeRules(t *testing.T) {
	photo := PhotoMeasures{Known: true, CompletenessKnown: true, CardWidth: 900, Sharpness: 10, Glare: 0.01}
	good := SideMeasures{NameRead: true, NumberValid: true, PortraitFace: PortraitFace, IDPhoto: 0.9, Threshold: 0.8, Photo: photo}
	cases := []ruleRow{
		{"good photo", good, faceverify.Result{}, ""},
		{"a corner outside, content inside: accepted", with(good, func(m *SideMeasures) { m.Photo.Completeness = 1 }), faceverify.Result{}, ""},
		{"content cut off, even when read", with(good, func(m *SideMeasures) { m.Photo.Completeness = 2 }), faceverify.ResultIDCardFrontside, RetakeCut},
		{"cut off before fake", with(good, func(m *SideMeasures) { m.Photo.Completeness, m.IDPhoto = 2, 0.1 }), faceverify.ResultIDCardFrontside, RetakeCut},
		{"grade unknown: not called cut", with(good, func(m *SideMeasures) { m.Photo.Completeness, m.Photo.CompletenessKnown = 2, false }), faceverify.Result{}, ""},
		{"too small", with(good, func(m *SideMeasures) { m.Photo.CardWidth = 300 }), faceverify.ResultIDCardFrontside, RetakeSmall},
		{"too small explains a missing face", with(good, func(m *SideMeasures) { m.Photo.CardWidth, m.PortraitFace = 300, PortraitNoFace }), faceverify.ResultIDCardFrontside, RetakeSmall},
		{"just large enough", with(good, func(m *SideMeasures) { m.Photo.CardWidth = minCardWidth }), faceverify.Result{}, ""},
		{"blurred but read and valid: accepted", with(good, func(m *SideMeasures) { m.Photo.Sharpness = 1 }), faceverify.Result{}, ""},
		{"blurred and unread", with(good, func(m *SideMeasures) { m.Photo.Sharpness, m.NumberValid = 1, false }), faceverify.ResultIDCardFrontside, RetakeBlur},
		{"glare over the number, read and valid: accepted", with(good, func(m *SideMeasures) { m.Photo.Glare = 0.6 }), faceverify.Result{}, ""},
		{"glare over the number, unread", with(good, func(m *SideMeasures) { m.Photo.Glare, m.NumberValid = 0.6, false }), faceverify.ResultIDCardFrontside, RetakeGlare},
		{"glare over the number, fails by the layout cue alone: retake", with(good, func(m *SideMeasures) { m.Photo.Glare, m.IDPhoto, m.Edited = 0.3, 0, 1 }),
			faceverify.ResultIDCardFrontside, RetakeGlare},
		{"glare, failed by another cue (a screen): fake", with(good, func(m *SideMeasures) { m.Photo.Glare, m.IDPhoto, m.Edited = 0.3, 0.05, 0.01 }),
			faceverify.ResultFakeIDCard, ""},
		{"layout cue without glare: fake", with(good, func(m *SideMeasures) { m.IDPhoto, m.Edited = 0, 1 }), faceverify.ResultFakeIDCard, ""},
		{"glare and the layout cue, no face: no face first", with(good, func(m *SideMeasures) {
			m.Photo.Glare, m.IDPhoto, m.Edited, m.PortraitFace = 0.3, 0, 1, PortraitNoFace
		}), faceverify.ResultNoFaceFoundIDCard, ""},
		{"sharp, no glare, unread: no photo reason", with(good, func(m *SideMeasures) { m.NameRead = false }), faceverify.ResultIDCardFrontside, ""},
		{"bad check digit on a good photo: no retake reason", with(good, func(m *SideMeasures) { m.NumberValid = false }), faceverify.ResultIDCardFrontside, ""},
		{"nothing measured (tesseract): photo rows off", with(good, func(m *SideMeasures) {
			m.Photo = PhotoMeasures{CardWidth: 10, Completeness: 2, CompletenessKnown: true}
		}), faceverify.Result{}, ""},
	}
	checkRules(t, "front", FrontRules, cases, ruleRetake)
	back := SideMeasures{BackComplete: true, IDPhoto: 0.9, Threshold: 0.8, Photo: photo}
	backs := []ruleRow{
		{"good photo", back, faceverify.Result{}, ""},
		{"cut off", with(back, func(m *SideMeasures) { m.Photo.Completeness = 2 }), faceverify.ResultIDCardBacksideBlurred, RetakeCut},
		{"too small", with(back, func(m *SideMeasures) { m.Photo.CardWidth = 200 }), faceverify.ResultIDCardBacksideBlurred, RetakeSmall},
		{"glare over the validity, unread", with(back, func(m *SideMeasures) { m.Photo.Glare, m.BackComplete = 0.5, false }), faceverify.ResultIDCardBacksideBlurred, RetakeGlare},
		{"glare, fails by the layout cue alone: retake", with(back, func(m *SideMeasures) { m.Photo.Glare, m.IDPhoto, m.Edited = 0.4, 0.1, 0.9 }),
			faceverify.ResultIDCardBacksideBlurred, RetakeGlare},
		{"blurred, unread", with(back, func(m *SideMeasures) { m.Photo.Sharpness, m.BackComplete = 0.5, false }), faceverify.ResultIDCardBacksideBlurred, RetakeBlur},
		{"expired on a blurred photo: expiry, not a retake", with(back, func(m *SideMeasures) {
			m.Photo.Sharpness, m.Consistency = 0.5, faceverify.ResultIDCardBacksideBlurred
		}), faceverify.ResultIDCardBacksideBlurred, ""},
	}
	checkRules(t, "back", BackRules, backs, ruleRetake)
}
