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
	Edited       float64           // legality: the layout cue (value lines out of place), one factor of IDPhoto
	Threshold    float64           // idcard_threshold applied to IDPhoto
	Photo        PhotoMeasures     // where and how the card lies in the photo (retake rules)
}

// PhotoMeasures describe how a card lies in the photo it was read from (photo.go
// measurePhoto); the retake rules below decide from them. Known is false when nothing was
// measured (the tesseract fallback): the retake rules then never apply.
type PhotoMeasures struct {
	Known             bool
	Completeness      int     // 0 card inside, 1 a corner outside, 2 content outside (completenessOf)
	CompletenessKnown bool    // the corners were known well enough to grade
	CardWidth         float64 // px: the card's width in the photo
	Sharpness         float64 // mean |Laplacian| over the text zone of the normalised card
	Glare             float64 // share of saturated pixels over the number (front) / validity (back)
}

// Photo limits of the retake rules, measured on the generated photos (idcardeval -photo) and
// documented in docs/idcard.md.
const (
	minCardWidth = 360  // px: the card's width in the photo below which the photo is retaken
	minSharpness = 2.0  // mean |Laplacian| over the text zone of the normalised card
	maxGlare     = 0.25 // share of saturated pixels (≥ 250) in the number / validity zone
	// Edited from which the layout cue counts against the card (the centre of its logistic,
	// legality.go): under glare such a card is asked for again (ruleGlareLayout).
	minEditedUnderGlare = 0.5
)

// Rule is one row of a verdict table: when When holds, the side fails with Result (or,
// when Result is zero, with the measured consistency result). Retake, when set, names the
// photo problem (Retake* in photo.go) the page shows its documented retake text for.
type Rule struct {
	Name   string
	When   func(m SideMeasures) bool
	Result faceverify.Result
	Retake string
}

// Photo rules, shared by both sides: a card cut off or too small explains any failure and is
// refused even when it reads (the fields of a card partly out of the frame cannot be
// trusted); blur and glare are reasons only when the side could not be read — a card read
// and validated through them is accepted (the checksum, the dates and the cross-field checks
// are stronger evidence than a sharpness figure).
var (
	ruleCut = func(m SideMeasures) bool {
		return m.Photo.Known && m.Photo.CompletenessKnown && m.Photo.Completeness == 2
	}
	ruleSmall = func(m SideMeasures) bool {
		return m.Photo.Known && m.Photo.CardWidth > 0 && m.Photo.CardWidth < minCardWidth
	}
	ruleBlur = func(unread func(SideMeasures) bool) func(SideMeasures) bool {
		return func(m SideMeasures) bool { return m.Photo.Known && unread(m) && m.Photo.Sharpness < minSharpness }
	}
	ruleGlare = func(unread func(SideMeasures) bool) func(SideMeasures) bool {
		return func(m SideMeasures) bool { return m.Photo.Known && unread(m) && m.Photo.Glare > maxGlare }
	}
	// The layout cue (Edited: value lines out of their printed place) is measured on the
	// detected text lines; glare over them breaks lines apart or hides them, so a card
	// failed under glare while that cue is against it is asked for again, not called fake
	// (refused either way: a retake costs one of the side's retries). With Edited below
	// minEditedUnderGlare a failed card is fake, glare or not.
	ruleGlareLayout = func(m SideMeasures) bool {
		return m.Photo.Known && m.Photo.Glare > maxGlare && m.IDPhoto < m.Threshold && m.Edited >= minEditedUnderGlare
	}
	frontUnread = func(m SideMeasures) bool { return !m.NameRead || !m.NumberValid }
	backUnread  = func(m SideMeasures) bool { return !m.BackComplete }
)

// FrontRules decide the portrait side, in order.
var FrontRules = []Rule{
	{"card inside the photo", ruleCut, faceverify.ResultIDCardFrontside, RetakeCut},
	{"card large enough in the photo", ruleSmall, faceverify.ResultIDCardFrontside, RetakeSmall},
	{"unread: too blurred", ruleBlur(frontUnread), faceverify.ResultIDCardFrontside, RetakeBlur},
	{"unread: glare over the number", ruleGlare(frontUnread), faceverify.ResultIDCardFrontside, RetakeGlare},
	{"name and a valid number read", frontUnread, faceverify.ResultIDCardFrontside, ""},
	{"fields consistent", func(m SideMeasures) bool { return !m.Consistency.IsZero() }, faceverify.Result{}, ""},
	{"a face on the portrait", func(m SideMeasures) bool { return m.PortraitFace == PortraitNoFace }, faceverify.ResultNoFaceFoundIDCard, ""},
	{"layout not judged through glare", ruleGlareLayout, faceverify.ResultIDCardFrontside, RetakeGlare},
	{"genuine card (ID_Photo ≥ threshold)", func(m SideMeasures) bool { return m.IDPhoto < m.Threshold }, faceverify.ResultFakeIDCard, ""},
}

// BackRules decide the emblem side, in order.
var BackRules = []Rule{
	{"card inside the photo", ruleCut, faceverify.ResultIDCardBacksideBlurred, RetakeCut},
	{"card large enough in the photo", ruleSmall, faceverify.ResultIDCardBacksideBlurred, RetakeSmall},
	{"unread: too blurred", ruleBlur(backUnread), faceverify.ResultIDCardBacksideBlurred, RetakeBlur},
	{"unread: glare over the validity", ruleGlare(backUnread), faceverify.ResultIDCardBacksideBlurred, RetakeGlare},
	{"issuer and validity read", backUnread, faceverify.ResultIDCardBacksideBlurred, ""},
	{"fields consistent", func(m SideMeasures) bool { return !m.Consistency.IsZero() }, faceverify.Result{}, ""},
	{"layout not judged through glare", ruleGlareLayout, faceverify.ResultIDCardBacksideBlurred, RetakeGlare},
	{"genuine card (ID_Photo ≥ threshold)", func(m SideMeasures) bool { return m.IDPhoto < m.Threshold }, faceverify.ResultFakeIDCard, ""},
}

// Decide applies rules in order to m: the result of the first rule that holds and the rule,
// or the zero Result and the zero Rule when the side is accepted.
func Decide(rules []Rule, m SideMeasures) (faceverify.Result, Rule) {
	for _, r := range rules {
		if r.When(m) {
			if r.Result.IsZero() {
				return m.Consistency, r
			}
			return r.Result, r
		}
	}
	return faceverify.Result{}, Rule{}
}
