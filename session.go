package faceverify

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"time"
)

// State is a step of a session's life.
//
//	created ─► idcard ─► liveness ─► deciding ─► done
//	   │          │  ▲        ▲  │        │
//	   │          └──┘        │  ▼        └─► liveness (attempt failed, retries left)
//	   └────────────────────► liveness        failed (unrecoverable)
//	any non-terminal step ─► cancelled | expired (deciding never expires: the job finishes it)
type State string

const (
	StateCreated   State = "created"   // token issued, the user has not opened the page yet
	StateIDCard    State = "idcard"    // photographing the ID card (group=1)
	StateLiveness  State = "liveness"  // recording the video
	StateDeciding  State = "deciding"  // a video was uploaded; the verdict job is queued/running
	StateDone      State = "done"      // a verdict was reached (pass or fail)
	StateFailed    State = "failed"    // ended without a verification verdict (policy/internal)
	StateCancelled State = "cancelled" // the user left the flow
	StateExpired   State = "expired"   // the page validity passed before a verdict
)

// Terminal reports whether no further transition is possible.
func (s State) Terminal() bool {
	switch s {
	case StateDone, StateFailed, StateCancelled, StateExpired:
		return true
	}
	return false
}

var transitions = map[State][]State{
	StateCreated:  {StateIDCard, StateLiveness, StateDone, StateFailed, StateCancelled, StateExpired},
	StateIDCard:   {StateIDCard, StateLiveness, StateDone, StateFailed, StateCancelled, StateExpired},
	StateLiveness: {StateDeciding, StateDone, StateFailed, StateCancelled, StateExpired},
	StateDeciding: {StateLiveness, StateDone, StateFailed},
}

// Cause says why a session changed state and who made it change. The history of a
// session is its StateChanges; each carries the Cause its use case gave.
type Cause struct {
	Event  string // what happened: one of the Cause* constants
	Actor  string // who made it happen: ActorAPI, ActorPage, ActorJob, ActorSweep, or ActorOperator+name
	Result Result // the result the change carries (a verdict, a refused ID card, a failed attempt); zero = none
	Detail string // free text without personal data, e.g. the liveness rule that decided, "video 2"
}

// Events of a state change (Cause.Event).
const (
	CauseCreated        = "created"         // the business backend opened the session
	CausePageOpened     = "page_opened"     // the user opened the page: into the first step
	CauseIDCardAccepted = "idcard_accepted" // the ID card was read: on to the video
	CauseIDCardRefused  = "idcard_refused"  // the last allowed ID card photo was refused: the verdict
	CauseVideoUploaded  = "video_uploaded"  // a video was staged: the verdict job is queued
	CauseAttemptFailed  = "attempt_failed"  // a video failed a check: back to the video step, or the verdict when none is left
	CauseVerdict        = "verdict"         // the verdict job decided a live face
	CauseJobGaveUp      = "job_gave_up"     // the verdict job failed for good (VIDEO_INTERNAL_ERROR)
	CauseTooManyVideos  = "too_many_videos" // a video beyond the allowance (VIDEO_MANY_TIMES)
	CauseTenantDisabled = "tenant_disabled" // the tenant was disabled while the session waited
	CauseCancelled      = "user_cancel"     // the user left the flow
	CauseExpired        = "expired"         // the page validity passed before a verdict
)

// CauseEvents lists every Cause.Event, for validation and texts.
var CauseEvents = []string{CauseCreated, CausePageOpened, CauseIDCardAccepted, CauseIDCardRefused, CauseVideoUploaded,
	CauseAttemptFailed, CauseVerdict, CauseJobGaveUp, CauseTooManyVideos, CauseTenantDisabled, CauseCancelled, CauseExpired}

// Actors of a state change (Cause.Actor).
const (
	ActorAPI      = "api"        // a business backend request (create, get_result)
	ActorPage     = "page"       // the user's H5 page or mini-program
	ActorJob      = "job:decide" // the verdict job
	ActorSweep    = "sweep"      // the background expiry sweep
	ActorOperator = "operator:"  // prefix of a console operator's name
)

// StateChange is one transition of a session: when, from → to, and why. Begin and every
// Move record one as pending; the store appends the pending changes in the transaction
// that stores the session (so the history holds exactly the committed transitions) and
// then calls ChangesStored.
type StateChange struct {
	At   time.Time
	From State // "" = the session was created
	To   State
	Cause
}

// PendingChanges are the transitions made since the session was read or last stored.
func (s *Session) PendingChanges() []StateChange { return s.changes }

// ChangesStored forgets the pending changes (the store wrote them).
func (s *Session) ChangesStored() { s.changes = nil }

func (s *Session) record(from, to State, now time.Time, c Cause) {
	s.changes = append(s.changes, StateChange{At: now, From: from, To: to, Cause: c})
}

// Begin puts a new session into its first state (created), recorded with cause.
func (s *Session) Begin(now time.Time, c Cause) error {
	if s.State != "" {
		return Errorf(ESTATE, "session already begun (%s)", s.State)
	}
	s.State, s.CreatedAt, s.UpdatedAt = StateCreated, now, now
	s.record("", StateCreated, now, c)
	return nil
}

// CanMove reports whether from → to is a valid transition.
func CanMove(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Dialect names the wire protocol a session was created through.
type Dialect string

const (
	DialectLite      Dialect = "lite"
	DialectCloudauth Dialect = "cloudauth"
)

// Identity source and comparison target.
const (
	CompareReference = 0 // compare with image_ref1 (and image_ref2)
	CompareRegistry  = 1 // compare with the authoritative registry photo of the claimed identity
)

// Options are the parameters a business backend fixed when it created the session.
// Field names are ours; each dialect maps its own parameters onto them.
type Options struct {
	ReturnURL       string
	NotifyURL       string
	NotifyToken     string // Cloudauth CallbackToken
	ExternalRef     string // Lite biz_no / Cloudauth OuterOrderNo
	UserRef         string // Lite uuid / Cloudauth UserId
	ComparisonType  int    // CompareRegistry | CompareReference
	IDFromCard      bool   // Lite group=1: identity read by OCR
	ClaimedName     string
	ClaimedNumber   string
	IDCardThreshold float64
	IDCardRetries   int // retakes per side after the first photo (0–5)
	IDCardFrontOnly bool
	LivenessType    string
	SecurityLevel   int      // 1 lenient (FAR 1e-3), 2 normal (1e-4), 3 strict (1e-5)
	LivenessPrefs   int      // 1: 3 of 4 digits, 2: all 4
	LivenessRetries int      // retakes after the first video (0–5)
	RefImageKeys    []string // blob keys of image_ref1/2
	RefEmbeddings   [][]float32
	Meta            map[string]string // dialect extras kept for audit (MetaInfo, Mobile, Ip, AuthId…)
}

// SecurityFAR returns the false-accept rate key the security level selects.
func (o Options) SecurityFAR() string {
	switch o.SecurityLevel {
	case 1:
		return "1e-3"
	case 3:
		return "1e-5"
	}
	return "1e-4"
}

// Session is one verification: a Lite biz_token or a Cloudauth CertifyId.
type Session struct {
	Token       string
	TenantID    string
	Dialect     Dialect
	State       State
	Options     Options
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ExpiresAt   time.Time // the page is usable until then
	RetainUntil time.Time // the result is kept until then

	Started         bool
	Challenge       string            // current 4 digits
	Attempts        int               // videos accepted so far
	IDCardAttempts  map[string]int    // per side
	IDCard          *IDCardResult     // merged OCR fields
	Images          map[string]string // name → blob key (image_best, idcard_frontside, …)
	PendingVideoKey string
	LastAttempt     *Liveness // report of the last failed attempt (retry screen)
	Verdict         *Verdict
	Version         int64 // optimistic concurrency; bumped by Store.UpdateSession

	changes []StateChange // transitions not yet stored (PendingChanges)
}

// NewToken returns a Lite-style biz_token: "<unix>,<32 hex>" (128 random bits).
func NewToken(now time.Time) string {
	return strconv.FormatInt(now.Unix(), 10) + "," + randomHex(16)
}

// NewCertifyID returns a Cloudauth-style CertifyId: 32 hex digits (128 random bits).
func NewCertifyID() string { return randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("faceverify: crypto/rand failed: " + err.Error()) // the OS RNG never fails on Linux
	}
	return hex.EncodeToString(b)
}

// WaitingStates are the states in which a session waits for the user: the ones that
// expire when the page validity passes (stores list them from here).
var WaitingStates = []State{StateCreated, StateIDCard, StateLiveness}

// Expired reports whether the page validity passed while the session still waited for the user.
func (s *Session) Expired(now time.Time) bool {
	return slices.Contains(WaitingStates, s.State) && !now.Before(s.ExpiresAt)
}

// Move changes the state, refusing invalid transitions, and records the change with its
// cause (the only way a session's state changes after Begin).
func (s *Session) Move(to State, now time.Time, c Cause) error {
	if !CanMove(s.State, to) {
		return Errorf(ESTATE, "session cannot go from %s to %s", s.State, to)
	}
	s.record(s.State, to, now, c)
	s.State = to
	s.UpdatedAt = now
	return nil
}

// Expire ends a session whose page validity passed before a verdict (by actor); the
// challenge is dropped. A session Usable already expired in memory is only stamped.
func (s *Session) Expire(now time.Time, actor string) error {
	if s.State != StateExpired {
		if err := s.Move(StateExpired, now, Cause{Event: CauseExpired, Actor: actor}); err != nil {
			return err
		}
	}
	s.UpdatedAt = now
	s.Challenge = ""
	return nil
}

// Cancel ends the flow at the user's request (the page) with 6000 USER_CANCEL.
func (s *Session) Cancel(now time.Time) error {
	if err := s.Move(StateCancelled, now, Cause{Event: CauseCancelled, Actor: ActorPage, Result: ResultUserCancel}); err != nil {
		return err
	}
	s.Verdict = &Verdict{Result: ResultUserCancel, DecidedAt: now}
	s.Challenge = ""
	return nil
}

// Usable checks that the page may still act on the session; it applies expiry (a change
// by the page). It returns EEXPIRED or EUSED when it may not.
func (s *Session) Usable(now time.Time) error {
	if s.Expired(now) {
		if err := s.Expire(now, ActorPage); err != nil {
			return err
		}
	}
	switch s.State {
	case StateExpired:
		return Errorf(EEXPIRED, "the verification link has expired")
	case StateDone, StateFailed, StateCancelled:
		return Errorf(EUSED, "the verification link was already used")
	}
	return nil
}

// AttemptsLeft is how many more videos may be uploaded: the first one plus
// Options.LivenessRetries retakes, less those uploaded.
func (s *Session) AttemptsLeft() int {
	n := 1 + s.Options.LivenessRetries - s.Attempts
	if n < 0 {
		return 0
	}
	return n
}

// IDCardAttemptsLeft is how many more photos of side may be taken: the first one plus
// Options.IDCardRetries retakes, less those taken.
func (s *Session) IDCardAttemptsLeft(side string) int {
	n := 1 + s.Options.IDCardRetries - s.IDCardAttempts[side]
	if n < 0 {
		return 0
	}
	return n
}

// Finish records a verdict and ends the session; the change carries the verdict's result
// and, when the cause names none, the liveness rule that decided.
func (s *Session) Finish(v Verdict, now time.Time, c Cause) error {
	to := StateDone
	if v.Result.Code == 5000 {
		to = StateFailed
	}
	if c.Result.IsZero() {
		c.Result = v.Result
	}
	if c.Detail == "" && v.Liveness != nil {
		c.Detail = v.Liveness.Rule
	}
	if err := s.Move(to, now, c); err != nil {
		return err
	}
	v.DecidedAt = now
	s.Verdict = &v
	s.PendingVideoKey = ""
	return nil
}

// Result is the outcome to report now: the verdict's, or the in-progress one.
func (s *Session) Result() Result {
	switch {
	case s.Verdict != nil:
		return s.Verdict.Result
	case s.State == StateCancelled:
		return ResultUserCancel
	}
	return ResultLivingNotStart
}
