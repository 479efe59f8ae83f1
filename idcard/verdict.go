package idcard

import "github.com/faceverify/faceverify"

// The ID card verdict as data: a read measures one side (SideMeasures: what was read and
// scored, no decision), and an ordered, pure rule table turns the measures into the side's
// result. The first rule that applies decides; none applying means the side is accepted.
// The tables are tested without models (verdict_test.go).

// Portrait face states of SideMeasures.PortraitFace.
const (
	PortraitUnchecked = iota // no face model configured: the portrait is not checked
	PortraitFace             // a face was found on the portrait
	PortraitNoFace           // no face on the portrait
)

// SideMeasures are the measurements of one side a verdict is decided from.
type SideMeasures struct {
	NameRead     bool              // front: the name was read
	NumberValid  bool              // front: the number passed residentid.Strict
	BackComplete bool              // back: issuer and both validity dates were read
	Consistency  faceverify.Result // CheckConsistency of the fields (zero = consistent)
	PortraitFace int               // front: PortraitUnchecked | PortraitFace | PortraitNoFace
	IDPhoto      float64           // legality: probability the photo shows a genuine card
	Threshold    float64           // idcard_threshold applied to IDPhoto
}

// Rule is one row of a verdict table: when When holds, the side fails with Result (or,
// when Result is zero, with the measured consistency result).
type Rule struct {
	Name   string
	When   func(m SideMeasures) bool
	Result faceverify.Result
}

// FrontRules decide the portrait side, in order.
var FrontRules = []Rule{
	{"name and a valid number read", func(m SideMeasures) bool { return !m.NameRead || !m.NumberValid }, faceverify.ResultIDCardFrontside},
	{"fields consistent", func(m SideMeasures) bool { return !m.Consistency.IsZero() }, faceverify.Result{}},
	{"a face on the portrait", func(m SideMeasures) bool { return m.PortraitFace == PortraitNoFace }, faceverify.ResultNoFaceFoundIDCard},
	{"genuine card (ID_Photo ≥ threshold)", func(m SideMeasures) bool { return m.IDPhoto < m.Threshold }, faceverify.ResultFakeIDCard},
}

// BackRules decide the emblem side, in order.
var BackRules = []Rule{
	{"issuer and validity read", func(m SideMeasures) bool { return !m.BackComplete }, faceverify.ResultIDCardBacksideBlurred},
	{"fields consistent", func(m SideMeasures) bool { return !m.Consistency.IsZero() }, faceverify.Result{}},
	{"genuine card (ID_Photo ≥ threshold)", func(m SideMeasures) bool { return m.IDPhoto < m.Threshold }, faceverify.ResultFakeIDCard},
}

// Decide applies rules in order to m: the result of the first rule that holds and its
// name, or the zero Result and "" when the side is accepted.
func Decide(rules []Rule, m SideMeasures) (faceverify.Result, string) {
	for _, r := range rules {
		if r.When(m) {
			if r.Result.IsZero() {
				return m.Consistency, r.Name
			}
			return r.Result, r.Name
		}
	}
	return faceverify.Result{}, ""
}
