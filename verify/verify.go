// Package verify holds the use cases of faceverify: create a session, let the page move it
// through the ID card and video steps, decide the verdict in a background job, query and
// erase results. It is the only place that moves sessions between states. It speaks the
// domain (package faceverify) only: no HTTP, no SQL, no vendor field names.
package verify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/registry"
)

// Config holds the limits of the flow; zero fields take the vendor defaults.
type Config struct {
	PageTTL          time.Duration // Lite biz_token page validity (1 h)
	CloudauthPageTTL time.Duration // Cloudauth CertifyUrl validity (30 min)
	Retention        time.Duration // how long results are kept (30 days)
	MaxVideoBytes    int64         // video upload limit (20 MB)
	MaxImageBytes    int64         // image upload limit (10 MB)
	SignatureWindow  time.Duration // how far a signed request's time may be from ours (15 min)
	DecideAttempts   int           // internal retries of a verdict job before VIDEO_INTERNAL_ERROR
	NotifyFor        time.Duration // how long callbacks are retried (24 h)
	TempDir          string        // where videos are staged for ffmpeg
}

func (c *Config) defaults() {
	if c.PageTTL == 0 {
		c.PageTTL = time.Hour
	}
	if c.CloudauthPageTTL == 0 {
		c.CloudauthPageTTL = 30 * time.Minute
	}
	if c.Retention == 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.MaxVideoBytes == 0 {
		c.MaxVideoBytes = 20 << 20
	}
	if c.MaxImageBytes == 0 {
		c.MaxImageBytes = 10 << 20
	}
	if c.SignatureWindow == 0 {
		c.SignatureWindow = 15 * time.Minute
	}
	if c.DecideAttempts == 0 {
		c.DecideAttempts = 5
	}
	if c.NotifyFor == 0 {
		c.NotifyFor = 24 * time.Hour
	}
}

// Service runs the use cases. It is the only door to the store and the blob store.
type Service struct {
	store  faceverify.Store
	blobs  faceverify.BlobStore
	Engine faceverify.Engine // nil: reference photos are stored unchecked; videos cannot be decided
	Clock  faceverify.Clock
	Log    *slog.Logger
	Config Config
	// Wake, if set, is called after jobs were enqueued (lets in-process workers start at once).
	Wake func()
	// Registries chooses the identity source of comparison_type=1 per tenant (registry.go);
	// nil = the embedded table in Store.
	Registries *registry.Set
}

// New returns a service with defaults applied.
func New(store faceverify.Store, blobs faceverify.BlobStore, engine faceverify.Engine, clock faceverify.Clock, log *slog.Logger, cfg Config) *Service {
	cfg.defaults()
	if clock == nil {
		clock = faceverify.SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{store: store, blobs: blobs, Engine: engine, Clock: clock, Log: log, Config: cfg}
}

func (s *Service) now() time.Time { return s.Clock.Now() }

func (s *Service) wake() {
	if s.Wake != nil {
		s.Wake()
	}
}

// CheckTenant refuses disabled tenants and keys (EDISABLED with the reason in Key).
func CheckTenant(t *faceverify.Tenant) error {
	switch {
	case t.Disabled:
		return &faceverify.Error{Code: faceverify.EDISABLED, Key: faceverify.ReasonAccountDisabled, Message: "account disabled"}
	case t.KeyDisabled:
		return &faceverify.Error{Code: faceverify.EDISABLED, Key: faceverify.ReasonKeyDisabled, Message: "API key discontinued"}
	}
	return nil
}

// maxConflicts bounds how often a use case re-reads a session after losing its update to a
// concurrent one; past it the ECONFLICT is the caller's.
const maxConflicts = 8

// retryConflicts runs op again while it fails with ECONFLICT (at most maxConflicts times).
// Every use case that may simply re-read the session and re-apply its change goes
// through here (page reads, cancel, an oversized upload's failed attempt, a verdict job
// given up); the others return ECONFLICT to their caller, who sends it again: an OCR read
// or a staged video (the page), the verdict job (the job runner runs it again).
func retryConflicts[T any](op func() (T, error)) (T, error) {
	for i := 1; ; i++ {
		v, err := op()
		if faceverify.ErrorCode(err) != faceverify.ECONFLICT || i == maxConflicts {
			return v, err
		}
	}
}

// save stores a changed session with the jobs it needs (in the same transaction) and
// wakes the workers when it enqueued any.
func (s *Service) save(ctx context.Context, ss *faceverify.Session, jobs ...faceverify.Job) error {
	if err := s.store.UpdateSession(ctx, ss, jobs...); err != nil {
		return err
	}
	if len(jobs) > 0 {
		s.wake()
	}
	return nil
}

// ---- business backend ------------------------------------------------------------------

// CreateRequest is a validated request for a new session.
type CreateRequest struct {
	Dialect   faceverify.Dialect
	Options   faceverify.Options
	RefImages [][]byte // image_ref1, image_ref2 (comparison_type=0) or FaceContrastPicture
}

// Create opens a session for tenant t.
func (s *Service) Create(ctx context.Context, t *faceverify.Tenant, req CreateRequest) (*faceverify.Session, error) {
	if err := CheckTenant(t); err != nil {
		return nil, err
	}
	if !t.HasBalance() {
		return nil, faceverify.Errorf(faceverify.EQUOTA, "balance not enough")
	}
	now := s.now()
	ss := &faceverify.Session{TenantID: t.ID, Dialect: req.Dialect, Options: req.Options, RetainUntil: now.Add(s.Config.Retention)}
	if err := ss.Begin(now, faceverify.Cause{Event: faceverify.CauseCreated, Actor: faceverify.ActorAPI, Detail: string(req.Dialect)}); err != nil {
		return nil, err
	}
	if req.Dialect == faceverify.DialectCloudauth {
		ss.Token = faceverify.NewCertifyID()
		ss.ExpiresAt = now.Add(s.Config.CloudauthPageTTL)
	} else {
		ss.Token = faceverify.NewToken(now)
		ss.ExpiresAt = now.Add(s.Config.PageTTL)
	}
	for i, img := range req.RefImages {
		key := fmt.Sprintf("image_ref%d", i+1)
		if len(img) == 0 {
			continue
		}
		if int64(len(img)) > s.Config.MaxImageBytes {
			return nil, faceverify.Invalid(key, "image too large")
		}
		if s.Engine != nil {
			emb, err := s.Engine.ReferenceFace(ctx, img)
			if err != nil {
				var fe *faceverify.Error
				if errors.As(err, &fe) && fe.Code == faceverify.EINVALID {
					return nil, faceverify.Invalid(key, fe.Message)
				}
				return nil, err
			}
			ss.Options.RefEmbeddings = append(ss.Options.RefEmbeddings, emb)
		}
		bk := blobKey(ss.Token, key+".jpg")
		if err := s.blobs.Put(ctx, bk, img); err != nil {
			return nil, err
		}
		ss.Options.RefImageKeys = append(ss.Options.RefImageKeys, bk)
	}
	if err := s.store.CreateSession(ctx, ss); err != nil { // charges the tenant in the same transaction
		if derr := s.blobs.DeletePrefix(ctx, blobPrefix(ss.Token)); derr != nil {
			s.Log.Error("reference images of a refused session not deleted", "token", Redact(ss.Token), "err", derr)
		}
		return nil, err
	}
	s.Log.Info("session created", "token", Redact(ss.Token), "tenant", t.ID, "dialect", ss.Dialect)
	return ss, nil
}

// Result returns tenant t's session token created through dialect d, applying expiry.
// Another tenant's token, or one created through the other dialect (a Cloudauth CertifyId
// asked for through Lite get_result, or the reverse), is ENOTFOUND, exactly like an
// unknown one: each dialect answers only for the sessions it issued.
func (s *Service) Result(ctx context.Context, t *faceverify.Tenant, d faceverify.Dialect, token string) (*faceverify.Session, error) {
	ss, err := s.store.Session(ctx, token)
	if err != nil {
		return nil, err
	}
	if !issuedTo(ss, t, d) {
		return nil, faceverify.Errorf(faceverify.ENOTFOUND, "session not found")
	}
	if ss.Expired(s.now()) {
		if err := s.expire(ctx, ss, faceverify.ActorAPI); err != nil && faceverify.ErrorCode(err) != faceverify.ECONFLICT {
			s.Log.Error("expiry not stored", "token", Redact(token), "err", err)
		}
	}
	return ss, nil
}

// Delete erases tenant t's session created through dialect d: images, templates, personal
// data, jobs. A nil t and empty d (the operator) erase any session.
func (s *Service) Delete(ctx context.Context, t *faceverify.Tenant, d faceverify.Dialect, token string) error {
	ss, err := s.store.Session(ctx, token)
	if err != nil {
		return err
	}
	if t != nil && !issuedTo(ss, t, d) {
		return faceverify.Errorf(faceverify.ENOTFOUND, "session not found")
	}
	return s.Erase(ctx, token)
}

// issuedTo reports whether ss was issued to tenant t through dialect d ("" = any dialect).
func issuedTo(ss *faceverify.Session, t *faceverify.Tenant, d faceverify.Dialect) bool {
	return ss.TenantID == t.ID && (d == "" || ss.Dialect == d)
}

// Erase removes every trace of a session (used by Delete and retention).
func (s *Service) Erase(ctx context.Context, token string) error {
	if err := s.blobs.DeletePrefix(ctx, blobPrefix(token)); err != nil {
		return err
	}
	if err := s.store.DeleteSession(ctx, token); err != nil && faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		return err
	}
	s.Log.Info("session erased", "token", Redact(token))
	return nil
}

// Sweep expires sessions past their page validity and erases sessions past retention.
// It returns how many of each it handled.
func (s *Service) Sweep(ctx context.Context) (expired, erased int, err error) {
	now := s.now()
	toks, err := s.store.SessionsExpiringBefore(ctx, now, 500)
	if err != nil {
		return 0, 0, err
	}
	for _, tok := range toks {
		ss, err := s.store.Session(ctx, tok)
		if faceverify.ErrorCode(err) == faceverify.ENOTFOUND {
			continue // erased meanwhile
		}
		if err != nil {
			s.Log.Error("sweep: session not read", "token", Redact(tok), "err", err)
			continue
		}
		if !ss.Expired(now) {
			continue
		}
		switch err := s.expire(ctx, ss, faceverify.ActorSweep); faceverify.ErrorCode(err) {
		case "":
			expired++
		case faceverify.ECONFLICT: // a concurrent change won; the next sweep looks again
		default:
			s.Log.Error("sweep: expiry not stored", "token", Redact(tok), "err", err)
		}
	}
	toks, err = s.store.SessionsRetainedBefore(ctx, now, 500)
	if err != nil {
		return expired, 0, err
	}
	for _, tok := range toks {
		if err := s.Erase(ctx, tok); err != nil {
			return expired, erased, err
		}
		erased++
	}
	return expired, erased, nil
}

// expire stores the expiry of ss (noticed by actor). On ECONFLICT ss is replaced by the
// stored session (the concurrent change that won) and the ECONFLICT returned.
func (s *Service) expire(ctx context.Context, ss *faceverify.Session, actor string) error {
	if err := ss.Expire(s.now(), actor); err != nil {
		return err
	}
	err := s.save(ctx, ss)
	if faceverify.ErrorCode(err) == faceverify.ECONFLICT {
		fresh, gerr := s.store.Session(ctx, ss.Token)
		if gerr != nil {
			return fmt.Errorf("%w; re-reading the session: %w", err, gerr)
		}
		*ss = *fresh
	}
	return err
}

// ---- the page --------------------------------------------------------------------------

// Page returns the session for the page and moves a fresh one into its first step. It
// returns EEXPIRED/EUSED (with the session) when the page may no longer act.
func (s *Service) Page(ctx context.Context, token string) (*faceverify.Session, error) {
	return retryConflicts(func() (*faceverify.Session, error) { return s.page(ctx, token) })
}

func (s *Service) page(ctx context.Context, token string) (*faceverify.Session, error) {
	ss, err := s.store.Session(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if uerr := ss.Usable(now); uerr != nil {
		if ss.State == faceverify.StateExpired && ss.Version > 0 {
			switch err := s.expire(ctx, ss, faceverify.ActorPage); faceverify.ErrorCode(err) {
			case "":
			case faceverify.ECONFLICT:
				return ss, err // re-read: the change that won decides what the page sees
			default:
				s.Log.Error("expiry not stored", "token", Redact(token), "err", err)
			}
		}
		return ss, uerr
	}
	if stopped, err := s.tenantStopped(ctx, ss, now); stopped || err != nil {
		return ss, err
	}
	if ss.State != faceverify.StateCreated {
		return ss, nil
	}
	ss.Started = true
	opened := faceverify.Cause{Event: faceverify.CausePageOpened, Actor: faceverify.ActorPage}
	if ss.Options.IDFromCard {
		err = ss.Move(faceverify.StateIDCard, now, opened)
	} else {
		err = s.enterLiveness(ss, now, opened)
	}
	if err != nil {
		return nil, err
	}
	return ss, s.save(ctx, ss)
}

// tenantStopped ends a waiting session with 5000 ACCOUNT_DISABLED when its tenant was
// disabled after the session was created (the verdict is recorded and notified).
func (s *Service) tenantStopped(ctx context.Context, ss *faceverify.Session, now time.Time) (bool, error) {
	if ss.State == faceverify.StateDeciding {
		return false, nil // the uploaded video is decided either way
	}
	t, err := s.store.Tenant(ctx, ss.TenantID)
	if err != nil || !t.Disabled {
		return false, err
	}
	if err := ss.Finish(faceverify.Verdict{Result: faceverify.ResultAccountDisabled}, now,
		faceverify.Cause{Event: faceverify.CauseTenantDisabled, Actor: faceverify.ActorPage}); err != nil {
		return false, err
	}
	ss.Challenge = ""
	if err := s.save(ctx, ss, s.notifyJob(ss)); err != nil {
		return false, err
	}
	return true, nil
}

func (s *Service) enterLiveness(ss *faceverify.Session, now time.Time, c faceverify.Cause) error {
	if err := ss.Move(faceverify.StateLiveness, now, c); err != nil {
		return err
	}
	ss.Challenge = NewChallenge()
	return nil
}

// pageSession loads a session the page may act on in the given state.
func (s *Service) pageSession(ctx context.Context, token string, want faceverify.State) (*faceverify.Session, error) {
	ss, err := s.Page(ctx, token)
	if err != nil {
		return ss, err
	}
	if ss.State != want {
		return ss, faceverify.Errorf(faceverify.ESTATE, "the session is in the %s step", ss.State)
	}
	return ss, nil
}

// IDCardOutcome is what the page learns after one ID card photo.
type IDCardOutcome struct {
	Session *faceverify.Session
	Result  faceverify.Result // zero = accepted
	Final   bool              // the session ended with Result (no retakes left)
	// Retake names the photo problem of a refused side (cut | small | blur | glare; "" none
	// seen): the page shows its retake text.
	Retake string
}

// SessionOrNil is the session o carries; nil when there is no outcome (a use case that
// fails may return none).
func (o *IDCardOutcome) SessionOrNil() *faceverify.Session {
	if o == nil {
		return nil
	}
	return o.Session
}

// SubmitIDCard reads one side of the ID card.
func (s *Service) SubmitIDCard(ctx context.Context, token, side string, img []byte) (*IDCardOutcome, error) {
	if side != "front" && side != "back" {
		return nil, faceverify.Invalid("side", "side must be front or back")
	}
	if len(img) == 0 {
		return nil, faceverify.Missing("image")
	}
	if int64(len(img)) > s.Config.MaxImageBytes {
		return nil, faceverify.Errorf(faceverify.ETOOLARGE, "image too large")
	}
	ss, err := s.pageSession(ctx, token, faceverify.StateIDCard)
	if err != nil {
		return nil, err
	}
	if side == "back" && (ss.Options.IDCardFrontOnly || ss.IDCard == nil || ss.IDCard.Number == "") {
		return nil, faceverify.Errorf(faceverify.ESTATE, "the front side comes first")
	}
	if s.Engine == nil {
		return nil, faceverify.Errorf(faceverify.EINTERNAL, "no OCR engine configured")
	}
	read, err := s.Engine.ReadIDCard(ctx, side, img, ss.Options.IDCardThreshold)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if ss.IDCardAttempts == nil {
		ss.IDCardAttempts = map[string]int{}
	}
	ss.IDCardAttempts[side]++
	out := &IDCardOutcome{Session: ss, Result: read.Result}
	if !read.Result.IsZero() {
		out.Retake = read.Retake
	}
	var jobs []faceverify.Job
	if !read.Result.IsZero() {
		if ss.IDCardAttemptsLeft(side) == 0 {
			out.Final = true
			if err := ss.Finish(faceverify.Verdict{Result: read.Result}, now, faceverify.Cause{Event: faceverify.CauseIDCardRefused,
				Actor: faceverify.ActorPage, Detail: side + " " + read.Retake}); err != nil {
				return nil, err
			}
			jobs = append(jobs, s.notifyJob(ss))
		}
	} else {
		if err := s.storeIDCardImages(ctx, ss, side, read); err != nil {
			return nil, err
		}
		mergeIDCard(ss, side, read.Fields)
		if side == "back" || ss.Options.IDCardFrontOnly {
			if err := s.enterLiveness(ss, now, faceverify.Cause{Event: faceverify.CauseIDCardAccepted, Actor: faceverify.ActorPage}); err != nil {
				return nil, err
			}
		}
	}
	if err := s.store.UpdateSession(ctx, ss, jobs...); err != nil {
		return nil, err
	}
	s.wake()
	return out, nil
}

func (s *Service) storeIDCardImages(ctx context.Context, ss *faceverify.Session, side string, read *faceverify.IDCardRead) error {
	if ss.Images == nil {
		ss.Images = map[string]string{}
	}
	put := func(name string, data []byte) error {
		if len(data) == 0 {
			return nil
		}
		k := blobKey(ss.Token, name+".jpg")
		if err := s.blobs.Put(ctx, k, data); err != nil {
			return err
		}
		ss.Images[name] = k
		return nil
	}
	if side == "front" {
		if err := put("idcard_frontside", read.Image); err != nil {
			return err
		}
		return put("idcard_portrait", read.Portrait)
	}
	return put("idcard_backside", read.Image)
}

func mergeIDCard(ss *faceverify.Session, side string, f faceverify.IDCardResult) {
	if ss.IDCard == nil {
		ss.IDCard = &faceverify.IDCardResult{}
	}
	ss.IDCard.Merge(side, f)
}

// dropStaged deletes the staged video at key that will not be decided (of a refused
// upload, say why); a failed delete is logged, never dropped silently.
func (s *Service) dropStaged(ctx context.Context, ss *faceverify.Session, key, why string) {
	if err := s.blobs.Delete(ctx, key); err != nil {
		s.Log.Error("staged video not deleted", "why", why, "token", Redact(ss.Token), "err", err)
	}
}

// VideoOutcome is what the page learns right after an upload.
type VideoOutcome struct {
	Session *faceverify.Session
	Result  faceverify.Result // set when the upload was refused synchronously (e.g. too large)
}

// SessionOrNil is the session o carries; nil when there is no outcome.
func (o *VideoOutcome) SessionOrNil() *faceverify.Session {
	if o == nil {
		return nil
	}
	return o.Session
}

// SubmitVideo stages one liveness video and queues the verdict job in the same transaction.
// r is read at most MaxVideoBytes+1 bytes; a larger video is a failed attempt (VIDEO_TOO_LARGE).
func (s *Service) SubmitVideo(ctx context.Context, token string, r io.Reader) (*VideoOutcome, error) {
	ss, err := s.videoSession(ctx, token)
	if out, over, oerr := s.overAllowance(ctx, ss); over {
		return out, oerr
	}
	if err != nil {
		return &VideoOutcome{Session: ss}, err
	}
	// Streamed to the blob store (sealed chunk by chunk), counted and hashed on the way:
	// an upload is never whole in memory.
	key := blobKey(ss.Token, fmt.Sprintf("video-%d", ss.Attempts+1))
	up := &upload{r: io.LimitReader(r, s.Config.MaxVideoBytes+1), h: sha256.New()}
	err = s.blobs.PutFile(ctx, key, up)
	if err != nil || up.n > s.Config.MaxVideoBytes || up.n == 0 {
		s.dropStaged(ctx, ss, key, "refused upload")
	}
	switch {
	case faceverify.ErrorCode(up.err) == faceverify.ETOOLARGE:
		return s.RejectOversizedVideo(ctx, token)
	case up.err != nil:
		return nil, faceverify.Errorf(faceverify.EINVALID, "video upload interrupted")
	case err != nil:
		return nil, err
	case up.n > s.Config.MaxVideoBytes:
		return s.RejectOversizedVideo(ctx, token)
	case up.n == 0:
		return nil, faceverify.Missing("video")
	}
	now := s.now()
	ss.Attempts++
	ss.PendingVideoKey = key
	if err := ss.Move(faceverify.StateDeciding, now, faceverify.Cause{Event: faceverify.CauseVideoUploaded,
		Actor: faceverify.ActorPage, Detail: fmt.Sprintf("video %d", ss.Attempts)}); err != nil {
		s.dropStaged(ctx, ss, key, "upload the session cannot take")
		return nil, err
	}
	payload, _ := json.Marshal(videoPayload{Bytes: up.n, SHA256: hex.EncodeToString(up.h.Sum(nil))})
	job := faceverify.Job{Kind: faceverify.JobDecide, Token: ss.Token, Key: key, MaxAttempts: s.Config.DecideAttempts, Payload: payload}
	if err := s.store.UpdateSession(ctx, ss, job); err != nil {
		s.dropStaged(ctx, ss, key, "lost update")
		return nil, err
	}
	s.wake()
	return &VideoOutcome{Session: ss}, nil
}

// videoPayload is recorded with the verdict job: what was stored.
type videoPayload struct {
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// upload counts and hashes what is read from the client and keeps its read error (an
// ETOOLARGE *faceverify.Error from the transport means over the size limit).
type upload struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (u *upload) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	u.n += int64(n)
	u.h.Write(p[:n])
	if err != nil && err != io.EOF {
		u.err = err
	}
	return n, err
}

// RejectOversizedVideo counts an upload over the size limit as a failed attempt. It only
// re-reads the session and re-applies the attempt, so a lost update is retried
// (retryConflicts) rather than losing the attempt to a concurrent page read.
func (s *Service) RejectOversizedVideo(ctx context.Context, token string) (*VideoOutcome, error) {
	return retryConflicts(func() (*VideoOutcome, error) { return s.rejectOversizedVideo(ctx, token) })
}

func (s *Service) rejectOversizedVideo(ctx context.Context, token string) (*VideoOutcome, error) {
	ss, err := s.videoSession(ctx, token)
	if out, over, oerr := s.overAllowance(ctx, ss); over {
		return out, oerr
	}
	if err != nil {
		return &VideoOutcome{Session: ss}, err
	}
	ss.Attempts++
	rep := &faceverify.Liveness{Result: faceverify.ResultVideoTooLarge, Challenge: ss.Challenge}
	jobs, err := s.attemptFailed(ss, rep, s.now(), faceverify.ActorPage)
	if err != nil {
		return nil, err
	}
	if err := s.store.UpdateSession(ctx, ss, jobs...); err != nil {
		return nil, err
	}
	s.wake()
	return &VideoOutcome{Session: ss, Result: faceverify.ResultVideoTooLarge}, nil
}

// overAllowance ends a session with 4200 VIDEO_MANY_TIMES (verdict, notify) when a video
// arrives although every allowed upload (the first and liveness_retry_count retakes) was
// made and the session is still open: the last allowed video is still being checked. That
// video is discarded. A session already over keeps its verdict (EUSED from videoSession).
func (s *Service) overAllowance(ctx context.Context, ss *faceverify.Session) (*VideoOutcome, bool, error) {
	if ss == nil || ss.AttemptsLeft() > 0 || (ss.State != faceverify.StateDeciding && ss.State != faceverify.StateLiveness) {
		return nil, false, nil
	}
	pending := ss.PendingVideoKey
	if err := ss.Finish(faceverify.Verdict{Result: faceverify.ResultVideoManyTimes}, s.now(),
		faceverify.Cause{Event: faceverify.CauseTooManyVideos, Actor: faceverify.ActorPage}); err != nil {
		return nil, true, err
	}
	ss.Challenge = ""
	if err := s.store.UpdateSession(ctx, ss, s.notifyJob(ss)); err != nil {
		return nil, true, err // ECONFLICT: the verdict job won the race; the page asks again
	}
	if pending != "" { // its verdict job now finds the session decided
		s.dropStaged(ctx, ss, pending, "upload beyond the allowance")
	}
	s.wake()
	s.Log.Info("upload beyond the allowance", "token", Redact(ss.Token), "attempts", ss.Attempts)
	return &VideoOutcome{Session: ss, Result: faceverify.ResultVideoManyTimes}, true, nil
}

func (s *Service) videoSession(ctx context.Context, token string) (*faceverify.Session, error) {
	ss, err := s.Page(ctx, token)
	if err != nil {
		return ss, err
	}
	switch ss.State {
	case faceverify.StateLiveness:
		return ss, nil
	case faceverify.StateDeciding:
		return ss, faceverify.Errorf(faceverify.ESTATE, "a video is already being checked")
	}
	return ss, faceverify.Errorf(faceverify.ESTATE, "the session is in the %s step", ss.State)
}

// attemptFailed records a failed liveness attempt (noticed by actor): back to the video
// step with a new challenge if attempts remain, else the failure is the verdict.
func (s *Service) attemptFailed(ss *faceverify.Session, rep *faceverify.Liveness, now time.Time, actor string) ([]faceverify.Job, error) {
	ss.LastAttempt = stripForStorage(rep)
	cause := faceverify.Cause{Event: faceverify.CauseAttemptFailed, Actor: actor, Result: rep.Result, Detail: rep.Rule}
	if rep.Result == faceverify.ResultVideoInternalError {
		cause.Event = faceverify.CauseJobGaveUp
	}
	if ss.AttemptsLeft() > 0 {
		if ss.State == faceverify.StateDeciding {
			if err := ss.Move(faceverify.StateLiveness, now, cause); err != nil {
				return nil, err
			}
		}
		ss.Challenge = NewChallenge()
		return nil, nil
	}
	if err := ss.Finish(faceverify.Verdict{Result: rep.Result, Liveness: stripForStorage(rep)}, now, cause); err != nil {
		return nil, err
	}
	return []faceverify.Job{s.notifyJob(ss)}, nil
}

func stripForStorage(rep *faceverify.Liveness) *faceverify.Liveness {
	c := *rep
	c.BestImage = nil
	return &c
}

// Cancel ends the flow at the user's request (6000 USER_CANCEL).
func (s *Service) Cancel(ctx context.Context, token string) (*faceverify.Session, error) {
	return retryConflicts(func() (*faceverify.Session, error) {
		ss, err := s.Page(ctx, token)
		if err != nil {
			return ss, err
		}
		if ss.State == faceverify.StateDeciding {
			return ss, faceverify.Errorf(faceverify.ESTATE, "a video is being checked")
		}
		if err := ss.Cancel(s.now()); err != nil {
			return nil, err
		}
		return ss, s.save(ctx, ss, s.notifyJob(ss))
	})
}

func (s *Service) notifyJob(ss *faceverify.Session) faceverify.Job {
	return faceverify.Job{Kind: faceverify.JobNotify, Token: ss.Token, Key: "notify:" + ss.Token, MaxAttempts: 1 << 20}
}

// ---- the verdict job -------------------------------------------------------------------

// Decide runs the checks on the staged video of a session in the deciding step and records
// the outcome. It is idempotent: a re-run after a crash finds the same staged video or an
// already decided session.
func (s *Service) Decide(ctx context.Context, token, videoKey string) error {
	ss, err := s.deciding(ctx, token, videoKey)
	if ss == nil || err != nil {
		return err
	}
	if s.Engine == nil {
		return errors.New("verify: no engine configured")
	}
	tenant, err := s.store.Tenant(ctx, ss.TenantID)
	if err != nil {
		return err
	}
	// blob store → temporary file for ffmpeg (which seeks: MP4 indexes may sit at the end),
	// streamed: the video is never whole in memory
	path, cleanup, err := s.stage(ctx, videoKey)
	if err != nil {
		return err
	}
	defer cleanup()
	rep, err := s.Engine.CheckVideo(ctx, path, ss.Challenge, faceverify.LivenessOptions{
		Preferences: ss.Options.LivenessPrefs, LipSync: !tenant.Checks.LipSyncOff,
		Language: tenant.Checks.DigitLanguage,
	})
	if err != nil {
		return err
	}
	now := s.now()
	var jobs []faceverify.Job
	if rep.Result != faceverify.ResultVideoOK {
		jobs, err = s.attemptFailed(ss, rep, now, faceverify.ActorJob)
		if err != nil {
			return err
		}
	} else {
		v, err := s.compare(ctx, ss, rep)
		if err != nil {
			return err
		}
		if len(rep.BestImage) > 0 {
			k := blobKey(ss.Token, "image_best.jpg")
			if err := s.blobs.Put(ctx, k, rep.BestImage); err != nil {
				return err
			}
			if ss.Images == nil {
				ss.Images = map[string]string{}
			}
			ss.Images["image_best"] = k
		}
		v.Liveness = stripForStorage(rep)
		if err := ss.Finish(*v, now, faceverify.Cause{Event: faceverify.CauseVerdict, Actor: faceverify.ActorJob}); err != nil {
			return err
		}
		jobs = append(jobs, s.notifyJob(ss))
	}
	ss.PendingVideoKey = ""
	if err := s.store.UpdateSession(ctx, ss, jobs...); err != nil {
		return err
	}
	if err := s.blobs.Delete(ctx, videoKey); err != nil { // the video is not needed once decided
		s.Log.Error("decided video not deleted", "token", Redact(token), "err", err)
	}
	s.wake()
	s.Log.Info("attempt decided", "token", Redact(token), "result", rep.Result.Message, "state", ss.State)
	return nil
}

// deciding reads the session whose staged video videoKey a verdict job is for; nil (and no
// error) when there is nothing left to decide: the session was erased meanwhile, or the
// video already decided (or discarded) by an earlier run.
func (s *Service) deciding(ctx context.Context, token, videoKey string) (*faceverify.Session, error) {
	ss, err := s.store.Session(ctx, token)
	switch {
	case faceverify.ErrorCode(err) == faceverify.ENOTFOUND:
		return nil, nil
	case err != nil:
		return nil, err
	case ss.State != faceverify.StateDeciding || ss.PendingVideoKey != videoKey:
		return nil, nil
	}
	return ss, nil
}

// GiveUp ends a session whose verdict job failed for good with VIDEO_INTERNAL_ERROR. It is
// called once, so a lost update is retried here (retryConflicts): nothing runs it again.
func (s *Service) GiveUp(ctx context.Context, token, videoKey string, cause error) error {
	s.Log.Error("verdict job gave up", "token", Redact(token), "err", cause)
	_, err := retryConflicts(func() (struct{}, error) { return struct{}{}, s.giveUp(ctx, token, videoKey) })
	return err
}

func (s *Service) giveUp(ctx context.Context, token, videoKey string) error {
	ss, err := s.deciding(ctx, token, videoKey)
	if ss == nil || err != nil {
		return err
	}
	rep := &faceverify.Liveness{Result: faceverify.ResultVideoInternalError, Challenge: ss.Challenge}
	jobs, err := s.attemptFailed(ss, rep, s.now(), faceverify.ActorJob)
	if err != nil {
		return err
	}
	ss.PendingVideoKey = ""
	return s.save(ctx, ss, jobs...)
}

// compare turns a usable live face into the verdict against every reference.
func (s *Service) compare(ctx context.Context, ss *faceverify.Session, rep *faceverify.Liveness) (*faceverify.Verdict, error) {
	v := &faceverify.Verdict{Result: faceverify.ResultSuccess, Verification: map[string]faceverify.Comparison{}}
	far := ss.Options.SecurityFAR()
	live := rep.Embedding
	if len(live) == 0 {
		return &faceverify.Verdict{Result: faceverify.ResultNoFaceFound}, nil
	}
	check := func(name string, ref []float32) {
		c := s.Engine.Compare(live, ref, far)
		v.Verification[name] = c
		if !c.Passed && v.Result == faceverify.ResultSuccess {
			v.Result = faceverify.ResultNotTheSame
		}
	}
	if ss.Options.ComparisonType == faceverify.CompareRegistry {
		number, name := ss.Options.ClaimedNumber, ss.Options.ClaimedName
		if ss.Options.IDFromCard && ss.IDCard != nil {
			number, name = ss.IDCard.Number, ss.IDCard.Name
		}
		ref, end, err := s.registryTemplate(ctx, ss, name, number)
		if end != nil || err != nil {
			return end, err
		}
		check("idcard", ref)
	}
	for i, ref := range ss.Options.RefEmbeddings {
		check(fmt.Sprintf("ref%d", i+1), ref)
	}
	if ss.Options.IDFromCard && ss.IDCard != nil && len(ss.IDCard.PortraitEmbedding) > 0 {
		check("portrait", ss.IDCard.PortraitEmbedding)
	}
	if len(v.Verification) == 0 {
		return nil, errors.New("verify: session has no reference to compare with")
	}
	return v, nil
}

func (s *Service) stage(ctx context.Context, key string) (string, func(), error) {
	rc, err := s.blobs.Open(ctx, key)
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	dir := s.Config.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "fv-video-*")
	if err != nil {
		return "", nil, err
	}
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	// the copy is personal data: a copy that cannot be removed is logged, never left silently
	remove := func() {
		if rerr := os.Remove(f.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			s.Log.Error("staged video copy not removed", "path", f.Name(), "err", rerr)
		}
	}
	if err != nil {
		remove()
		return "", nil, err
	}
	return f.Name(), remove, nil
}

// ---- registry --------------------------------------------------------------------------

// Enrol adds an authoritative photo for an ID number (comparison_type=1).
func (s *Service) Enrol(ctx context.Context, name, number string, photo []byte) error {
	if name == "" {
		return faceverify.Missing("name")
	}
	if number == "" {
		return faceverify.Missing("idcard_number")
	}
	if s.Engine == nil {
		return errors.New("verify: no engine configured")
	}
	emb, err := s.Engine.ReferenceFace(ctx, photo)
	if err != nil {
		return err
	}
	old, err := s.store.RegistryEntry(ctx, number)
	switch {
	case faceverify.ErrorCode(err) == faceverify.ENOTFOUND:
		old = nil
	case err != nil:
		return err
	}
	key := "registry/" + hashKey(number) + ".jpg"
	if err := s.blobs.Put(ctx, key, photo); err != nil {
		return err
	}
	if err := s.store.PutRegistryEntry(ctx, &faceverify.RegistryEntry{Number: number, Name: name, PhotoKey: key, Embedding: emb}); err != nil {
		if derr := s.blobs.Delete(ctx, key); derr != nil {
			s.Log.Error("registry photo of a refused entry not deleted", "err", derr)
		}
		return err
	}
	// the entry replaced an older one (its template went with the row): erase its photo too
	if old != nil && old.PhotoKey != "" && old.PhotoKey != key {
		if err := s.blobs.Delete(ctx, old.PhotoKey); err != nil {
			return fmt.Errorf("verify: the replaced registry photo was not erased: %w", err)
		}
	}
	return nil
}

// ---- helpers ---------------------------------------------------------------------------

func blobPrefix(token string) string { return "sessions/" + safe(token) + "/" }

func blobKey(token, name string) string { return blobPrefix(token) + name }

// safe maps a token to a blob path element (Lite tokens contain a comma).
func safe(token string) string { return strings.NewReplacer(",", "_", "/", "_").Replace(token) }

func hashKey(number string) string {
	// not a secret index: the store has its own keyed index; this only names the blob
	var h uint64 = 1469598103934665603
	for i := 0; i < len(number); i++ {
		h ^= uint64(number[i])
		h *= 1099511628211
	}
	b := make([]byte, 8)
	rand.Read(b)
	return fmt.Sprintf("%016x-%x", h, b)
}

// Redact shortens a token for logs (tokens are bearer credentials for the page).
func Redact(token string) string {
	if len(token) <= 8 {
		return "…"
	}
	return token[:len(token)-8] + "…"
}

// NewChallenge returns 4 random digits, avoiding easy sequences (repeats, runs, pairs).
func NewChallenge() string {
	for {
		var d [4]byte
		for i := range d {
			n, err := rand.Int(rand.Reader, big.NewInt(10))
			if err != nil {
				panic(err)
			}
			d[i] = byte('0' + n.Int64())
		}
		if !EasyChallenge(string(d[:])) {
			return string(d[:])
		}
	}
}

// EasyChallenge reports whether a 4-digit challenge is too easy to guess or pre-record:
// not four digits, a digit three or more times, a run of three equal-step digits
// (123, 987), or an ABAB / AABB / ABBA pattern.
func EasyChallenge(c string) bool {
	if len(c) != 4 {
		return true
	}
	count := map[byte]int{}
	for i := 0; i < 4; i++ {
		if c[i] < '0' || c[i] > '9' {
			return true
		}
		count[c[i]]++
		if count[c[i]] >= 3 {
			return true
		}
	}
	for i := 0; i+2 < 4; i++ {
		d1, d2 := int(c[i+1])-int(c[i]), int(c[i+2])-int(c[i+1])
		if d1 == d2 && (d1 == 1 || d1 == -1 || d1 == 0) {
			return true
		}
	}
	a, b, x, d := c[0], c[1], c[2], c[3]
	return (a == x && b == d) || (a == b && x == d) || (a == d && b == x)
}
