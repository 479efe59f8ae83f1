package faceverify

import "time"

// Result is one outcome of a verification: a numeric family and a message. The set is the
// FaceID Lite result table; Cloudauth SubCodes are derived from it (dialect/cloudauth).
// It carries no wire names: each dialect renders it in its own fields.
type Result struct {
	Code    int
	Message string
}

// The result vocabulary (faceid-lite-h5.txt, 结果码说明).
var (
	ResultSuccess                = Result{1000, "SUCCESS"}
	ResultNotTheSame             = Result{2000, "PASS_LIVING_NOT_THE_SAME"}
	ResultNoIDCardNumber         = Result{3000, "NO_ID_CARD_NUMBER"}
	ResultIDNumberNameNotMatch   = Result{3000, "ID_NUMBER_NAME_NOT_MATCH"}
	ResultIDCardFrontside        = Result{3100, "IDCARD_PHOTO_FRONTSIDE"}
	ResultIDCardBacksideBlurred  = Result{3100, "IDCARD_BACKSIDE_BLURRED"}
	ResultNoFaceFoundIDCard      = Result{3100, "NO_FACE_FOUND_IDCARD"}
	ResultIDCardNotFrontside     = Result{3100, "IDCARD_PHOTO_NOTFRONTSIDE"}
	ResultIDCardNotBackside      = Result{3100, "IDCARD_PHOTO_NOTBACKSIDE"}
	ResultFakeIDCard             = Result{3200, "FAIL_OCR_FAKE_IDCARD"}
	ResultFaceAttack             = Result{4100, "FAIL_LIVING_FACE_ATTACK"}
	ResultChangeFaceAttack       = Result{4100, "CHANGE_FACE_ATTACK"}
	ResultNoFaceFound            = Result{4200, "NO_FACE_FOUND"}
	ResultFaceQualityTooLow      = Result{4200, "FACE_QUALITY_TOO_LOW"}
	ResultInvalidVideoDuration   = Result{4200, "INVALID_VIDEO_DURATION"}
	ResultVideoTooLarge          = Result{4200, "VIDEO_TOO_LARGE"}
	ResultSRError                = Result{4200, "SR_ERROR"}
	ResultNotSynchronized        = Result{4200, "NOT_SYNCHRONIZED"}
	ResultNoAudio                = Result{4200, "NO_AUDIO"}
	ResultVideoFormatUnsupported = Result{4200, "VIDEO_FORMAT_UNSUPPORTED"}
	ResultLipVoiceNotSync        = Result{4200, "LIP_VOICE_NOT_SYNC"}
	ResultVideoOK                = Result{4200, "VIDEO_OK"}
	ResultVideoManyTimes         = Result{4200, "VIDEO_MANY_TIMES"}
	ResultVideoInternalError     = Result{4200, "VIDEO_INTERNAL_ERROR"}
	ResultNonEnterprise          = Result{5000, "NON_ENTERPRISE_CERTIFICATION"}
	ResultBalanceNotEnough       = Result{5000, "BALANCE_NOT_ENOUGH"}
	ResultAccountDisabled        = Result{5000, "ACCOUNT_DISABLED"}
	ResultUserCancel             = Result{6000, "USER_CANCEL"}
	ResultLivingNotStart         = Result{9000, "LIVING_NOT_START"}
)

// Results lists every result, for validation and documentation.
var Results = []Result{
	ResultSuccess, ResultNotTheSame, ResultNoIDCardNumber, ResultIDNumberNameNotMatch,
	ResultIDCardFrontside, ResultIDCardBacksideBlurred, ResultNoFaceFoundIDCard,
	ResultIDCardNotFrontside, ResultIDCardNotBackside, ResultFakeIDCard, ResultFaceAttack,
	ResultChangeFaceAttack, ResultNoFaceFound, ResultFaceQualityTooLow,
	ResultInvalidVideoDuration, ResultVideoTooLarge, ResultSRError, ResultNotSynchronized,
	ResultNoAudio, ResultVideoFormatUnsupported, ResultLipVoiceNotSync, ResultVideoOK,
	ResultVideoManyTimes, ResultVideoInternalError, ResultNonEnterprise,
	ResultBalanceNotEnough, ResultAccountDisabled, ResultUserCancel, ResultLivingNotStart,
}

// Passed reports whether r is the single success outcome.
func (r Result) Passed() bool { return r == ResultSuccess }

// IsZero reports whether r is unset.
func (r Result) IsZero() bool { return r.Code == 0 }

// Comparison is one face comparison: the live face against one reference.
// Confidence is the calibrated 0–100 FaceID score, VerifyScore the calibrated 0–100
// Cloudauth score; Thresholds are the confidence thresholds keyed "1e-3".."1e-6".
type Comparison struct {
	Similarity  float64
	Confidence  float64
	VerifyScore float64
	Thresholds  map[string]float64
	Threshold   float64 // the one applied (security_level)
	Passed      bool
}

// IDCardResult holds what was read from the ID card (group=1). Personal data. It carries
// no wire names: each dialect renders it in its own structs (dialect/lite idcard_result).
type IDCardResult struct {
	Name              string
	Number            string
	Gender            string
	Nationality       string
	BirthYear         string
	BirthMonth        string
	BirthDay          string
	Address           string
	IssuedBy          string
	ValidDateStart    string
	ValidDateEnd      string
	FrontLegality     *Legality
	BackLegality      *Legality
	FrontCompleteness int
	BackCompleteness  int
	PortraitEmbedding []float32
}

// Merge copies the fields one side of the card carries ("front" or "back") from f.
func (c *IDCardResult) Merge(side string, f IDCardResult) {
	if side == "front" {
		c.Name, c.Number, c.Gender, c.Nationality = f.Name, f.Number, f.Gender, f.Nationality
		c.BirthYear, c.BirthMonth, c.BirthDay, c.Address = f.BirthYear, f.BirthMonth, f.BirthDay, f.Address
		c.FrontLegality, c.FrontCompleteness, c.PortraitEmbedding = f.FrontLegality, f.FrontCompleteness, f.PortraitEmbedding
		return
	}
	c.IssuedBy, c.ValidDateStart, c.ValidDateEnd = f.IssuedBy, f.ValidDateStart, f.ValidDateEnd
	c.BackLegality, c.BackCompleteness = f.BackLegality, f.BackCompleteness
}

// Legality scores of one card side, each a probability in [0,1].
type Legality struct {
	Photocopy        float64
	Edited           float64
	IDPhoto          float64
	Screen           float64
	TemporaryIDPhoto float64
	Threshold        float64
}

// Liveness is the report of one liveness attempt on a video.
type Liveness struct {
	Result       Result
	Challenge    string
	DigitsHeard  string
	Scores       map[string]float64 // per-check scores (sync, antispoof, quality, …)
	AttackScore  float64            // 0 = surely live, 1 = surely attack
	QualityScore float64            // 0–100
	Occluded     bool
	Embedding    []float32          // best frame's face template
	BestImage    []byte             // JPEG of the best frame (a blob, never in the session row)
	Timings      map[string]float64 // milliseconds per pipeline stage
	// Rule is the liveness rule that decided the result, read for an operator: its name, the
	// values it compared and the result, e.g. "low_quality: quality 12.3 < MinQuality 20 →
	// FACE_QUALITY_TOO_LOW" ("" = not decided by the rule table, or stored before it was kept).
	// Internal: the vendor wire protocols never carry it.
	Rule string
}

// Verdict is the final decision on a session.
type Verdict struct {
	Result       Result
	Verification map[string]Comparison // "idcard", "ref1", "ref2", "portrait"
	Liveness     *Liveness
	DecidedAt    time.Time
}
