package sqlstore

import (
	"time"

	"github.com/faceverify/faceverify"
)

// The persisted format of the sealed rows is this package's, not the domain's: the record
// structs below carry the JSON names every release so far has written (the names of the
// release before the issue-14 refactor, commit 89b6668, whose domain types still carried
// them), and map to and from the domain types field by field. A domain field renamed or
// untagged changes nothing on disk; a new persisted field needs a new record field here
// (and an entry in the round-trip test, which fails on any field left unmapped).
// store/storetest's Legacy suite reads golden rows of that release back.

type sessionRecord struct {
	Token       string        `json:"token"`
	TenantID    string        `json:"tenant_id"`
	Dialect     string        `json:"dialect"`
	State       string        `json:"state"`
	Options     optionsRecord `json:"options"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	ExpiresAt   time.Time     `json:"expires_at"`
	RetainUntil time.Time     `json:"retain_until"`

	Started         bool              `json:"started"`
	Challenge       string            `json:"challenge,omitempty"`
	Attempts        int               `json:"attempts"`
	IDCardAttempts  map[string]int    `json:"idcard_attempts,omitempty"`
	IDCard          *idCardRecord     `json:"idcard,omitempty"`
	Images          map[string]string `json:"images,omitempty"`
	PendingVideoKey string            `json:"pending_video_key,omitempty"`
	LastAttempt     *livenessRecord   `json:"last_attempt,omitempty"`
	Verdict         *verdictRecord    `json:"verdict,omitempty"`
	Version         int64             `json:"version"`
}

type optionsRecord struct {
	ReturnURL       string            `json:"return_url"`
	NotifyURL       string            `json:"notify_url"`
	NotifyToken     string            `json:"notify_token,omitempty"`
	ExternalRef     string            `json:"external_ref,omitempty"`
	UserRef         string            `json:"user_ref,omitempty"`
	ComparisonType  int               `json:"comparison_type"`
	IDFromCard      bool              `json:"id_from_card"`
	ClaimedName     string            `json:"claimed_name,omitempty"`
	ClaimedNumber   string            `json:"claimed_number,omitempty"`
	IDCardThreshold float64           `json:"idcard_threshold"`
	IDCardRetries   int               `json:"idcard_retries"`
	IDCardFrontOnly bool              `json:"idcard_front_only"`
	LivenessType    string            `json:"liveness_type"`
	SecurityLevel   int               `json:"security_level"`
	LivenessPrefs   int               `json:"liveness_preferences"`
	LivenessRetries int               `json:"liveness_retries"`
	RefImageKeys    []string          `json:"ref_image_keys,omitempty"`
	RefEmbeddings   [][]float32       `json:"ref_embeddings,omitempty"`
	Meta            map[string]string `json:"meta,omitempty"`
}

type idCardRecord struct {
	Name              string          `json:"name"`
	Number            string          `json:"idcard_number"`
	Gender            string          `json:"gender"`
	Nationality       string          `json:"nationality"`
	BirthYear         string          `json:"birth_year"`
	BirthMonth        string          `json:"birth_month"`
	BirthDay          string          `json:"birth_day"`
	Address           string          `json:"address"`
	IssuedBy          string          `json:"issued_by"`
	ValidDateStart    string          `json:"valid_date_start"`
	ValidDateEnd      string          `json:"valid_date_end"`
	FrontLegality     *legalityRecord `json:"frontside_legality,omitempty"`
	BackLegality      *legalityRecord `json:"backside_legality,omitempty"`
	FrontCompleteness int             `json:"frontside_completeness"`
	BackCompleteness  int             `json:"backside_completeness"`
	PortraitEmbedding []float32       `json:"portrait_embedding,omitempty"`
}

type legalityRecord struct {
	Photocopy        float64 `json:"Photocopy"`
	Edited           float64 `json:"Edited"`
	IDPhoto          float64 `json:"ID_Photo"`
	Screen           float64 `json:"Screen"`
	TemporaryIDPhoto float64 `json:"Temporary_ID_Photo"`
	Threshold        float64 `json:"ID_Photo_Threshold"`
}

type resultRecord struct {
	Code    int    `json:"result_code"`
	Message string `json:"result_message"`
}

type livenessRecord struct {
	Result       resultRecord       `json:"result"`
	Challenge    string             `json:"challenge"`
	DigitsHeard  string             `json:"digits_heard"`
	Scores       map[string]float64 `json:"scores"`
	AttackScore  float64            `json:"attack_score"`
	QualityScore float64            `json:"quality_score"`
	Occluded     bool               `json:"occluded"`
	Embedding    []float32          `json:"embedding,omitempty"`
	Timings      map[string]float64 `json:"timings_ms,omitempty"`
	Rule         string             `json:"rule,omitempty"` // added since 89b6668
	// BestImage is not persisted: the best frame is a blob (Session.Images).
}

type comparisonRecord struct {
	Similarity  float64            `json:"similarity"`
	Confidence  float64            `json:"confidence"`
	VerifyScore float64            `json:"verify_score"`
	Thresholds  map[string]float64 `json:"thresholds"`
	Threshold   float64            `json:"threshold"`
	Passed      bool               `json:"passed"`
}

type verdictRecord struct {
	Result       resultRecord                `json:"result"`
	Verification map[string]comparisonRecord `json:"verification,omitempty"`
	Liveness     *livenessRecord             `json:"liveness,omitempty"`
	DecidedAt    time.Time                   `json:"decided_at"`
}

type tenantRecord struct {
	ID              string       `json:"id"`
	Name            string       `json:"name"`
	AppCode         string       `json:"app_code"`
	AccessKeyID     string       `json:"access_key_id"`
	AccessKeySecret string       `json:"access_key_secret"`
	SceneID         string       `json:"scene_id"`
	NotifySecret    string       `json:"notify_secret"`
	Disabled        bool         `json:"disabled"`
	KeyDisabled     bool         `json:"key_disabled"`
	Quota           int64        `json:"quota"`
	Used            int64        `json:"used"`
	Concurrency     int          `json:"concurrency"`
	Checks          checksRecord `json:"checks"`
	Registry        string       `json:"registry,omitempty"`
	CreatedAt       time.Time    `json:"created_at"`
}

type checksRecord struct {
	LipSyncOff    bool   `json:"lip_sync_off,omitempty"`
	DigitLanguage string `json:"digit_language,omitempty"`
}

type registryRecord struct {
	Number    string    `json:"number"`
	Name      string    `json:"name"`
	PhotoKey  string    `json:"photo_key"`
	Embedding []float32 `json:"embedding"`
	CreatedAt time.Time `json:"created_at"`
}

// ---- domain → record -------------------------------------------------------------------

func toSessionRecord(s *faceverify.Session) sessionRecord {
	return sessionRecord{
		Token: s.Token, TenantID: s.TenantID, Dialect: string(s.Dialect), State: string(s.State),
		Options:   optionsRecord(s.Options),
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, ExpiresAt: s.ExpiresAt, RetainUntil: s.RetainUntil,
		Started: s.Started, Challenge: s.Challenge, Attempts: s.Attempts, IDCardAttempts: s.IDCardAttempts,
		IDCard: toIDCardRecord(s.IDCard), Images: s.Images, PendingVideoKey: s.PendingVideoKey,
		LastAttempt: toLivenessRecord(s.LastAttempt), Verdict: toVerdictRecord(s.Verdict), Version: s.Version,
	}
}

func toIDCardRecord(c *faceverify.IDCardResult) *idCardRecord {
	if c == nil {
		return nil
	}
	return &idCardRecord{
		Name: c.Name, Number: c.Number, Gender: c.Gender, Nationality: c.Nationality,
		BirthYear: c.BirthYear, BirthMonth: c.BirthMonth, BirthDay: c.BirthDay, Address: c.Address,
		IssuedBy: c.IssuedBy, ValidDateStart: c.ValidDateStart, ValidDateEnd: c.ValidDateEnd,
		FrontLegality: toLegalityRecord(c.FrontLegality), BackLegality: toLegalityRecord(c.BackLegality),
		FrontCompleteness: c.FrontCompleteness, BackCompleteness: c.BackCompleteness,
		PortraitEmbedding: c.PortraitEmbedding,
	}
}

func toLegalityRecord(l *faceverify.Legality) *legalityRecord {
	if l == nil {
		return nil
	}
	r := legalityRecord(*l)
	return &r
}

func toLivenessRecord(l *faceverify.Liveness) *livenessRecord {
	if l == nil {
		return nil
	}
	return &livenessRecord{
		Result: resultRecord(l.Result), Challenge: l.Challenge, DigitsHeard: l.DigitsHeard, Scores: l.Scores,
		AttackScore: l.AttackScore, QualityScore: l.QualityScore, Occluded: l.Occluded,
		Embedding: l.Embedding, Timings: l.Timings, Rule: l.Rule,
	}
}

func toVerdictRecord(v *faceverify.Verdict) *verdictRecord {
	if v == nil {
		return nil
	}
	r := &verdictRecord{Result: resultRecord(v.Result), Liveness: toLivenessRecord(v.Liveness), DecidedAt: v.DecidedAt}
	if v.Verification != nil {
		r.Verification = make(map[string]comparisonRecord, len(v.Verification))
		for k, c := range v.Verification {
			r.Verification[k] = comparisonRecord(c)
		}
	}
	return r
}

func toTenantRecord(t *faceverify.Tenant) tenantRecord {
	return tenantRecord{
		ID: t.ID, Name: t.Name, AppCode: t.AppCode, AccessKeyID: t.AccessKeyID, AccessKeySecret: t.AccessKeySecret,
		SceneID: t.SceneID, NotifySecret: t.NotifySecret, Disabled: t.Disabled, KeyDisabled: t.KeyDisabled,
		Quota: t.Quota, Used: t.Used, Concurrency: t.Concurrency, Checks: checksRecord(t.Checks),
		Registry: t.Registry, CreatedAt: t.CreatedAt,
	}
}

func toRegistryRecord(e *faceverify.RegistryEntry) registryRecord {
	return registryRecord(*e)
}

// ---- record → domain -------------------------------------------------------------------

func (r *sessionRecord) domain() *faceverify.Session {
	return &faceverify.Session{
		Token: r.Token, TenantID: r.TenantID, Dialect: faceverify.Dialect(r.Dialect), State: faceverify.State(r.State),
		Options:   faceverify.Options(r.Options),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ExpiresAt: r.ExpiresAt, RetainUntil: r.RetainUntil,
		Started: r.Started, Challenge: r.Challenge, Attempts: r.Attempts, IDCardAttempts: r.IDCardAttempts,
		IDCard: r.IDCard.domain(), Images: r.Images, PendingVideoKey: r.PendingVideoKey,
		LastAttempt: r.LastAttempt.domain(), Verdict: r.Verdict.domain(), Version: r.Version,
	}
}

func (r *idCardRecord) domain() *faceverify.IDCardResult {
	if r == nil {
		return nil
	}
	return &faceverify.IDCardResult{
		Name: r.Name, Number: r.Number, Gender: r.Gender, Nationality: r.Nationality,
		BirthYear: r.BirthYear, BirthMonth: r.BirthMonth, BirthDay: r.BirthDay, Address: r.Address,
		IssuedBy: r.IssuedBy, ValidDateStart: r.ValidDateStart, ValidDateEnd: r.ValidDateEnd,
		FrontLegality: r.FrontLegality.domain(), BackLegality: r.BackLegality.domain(),
		FrontCompleteness: r.FrontCompleteness, BackCompleteness: r.BackCompleteness,
		PortraitEmbedding: r.PortraitEmbedding,
	}
}

func (r *legalityRecord) domain() *faceverify.Legality {
	if r == nil {
		return nil
	}
	l := faceverify.Legality(*r)
	return &l
}

func (r *livenessRecord) domain() *faceverify.Liveness {
	if r == nil {
		return nil
	}
	return &faceverify.Liveness{
		Result: faceverify.Result(r.Result), Challenge: r.Challenge, DigitsHeard: r.DigitsHeard, Scores: r.Scores,
		AttackScore: r.AttackScore, QualityScore: r.QualityScore, Occluded: r.Occluded,
		Embedding: r.Embedding, Timings: r.Timings, Rule: r.Rule,
	}
}

func (r *verdictRecord) domain() *faceverify.Verdict {
	if r == nil {
		return nil
	}
	v := &faceverify.Verdict{Result: faceverify.Result(r.Result), Liveness: r.Liveness.domain(), DecidedAt: r.DecidedAt}
	if r.Verification != nil {
		v.Verification = make(map[string]faceverify.Comparison, len(r.Verification))
		for k, c := range r.Verification {
			v.Verification[k] = faceverify.Comparison(c)
		}
	}
	return v
}

func (r *tenantRecord) domain() *faceverify.Tenant {
	return &faceverify.Tenant{
		ID: r.ID, Name: r.Name, AppCode: r.AppCode, AccessKeyID: r.AccessKeyID, AccessKeySecret: r.AccessKeySecret,
		SceneID: r.SceneID, NotifySecret: r.NotifySecret, Disabled: r.Disabled, KeyDisabled: r.KeyDisabled,
		Quota: r.Quota, Used: r.Used, Concurrency: r.Concurrency, Checks: faceverify.Checks(r.Checks),
		Registry: r.Registry, CreatedAt: r.CreatedAt,
	}
}

func (r *registryRecord) domain() *faceverify.RegistryEntry {
	e := faceverify.RegistryEntry(*r)
	return &e
}
