package verify

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/faceverify/faceverify"
)

// Console holds the review console's use cases: operators sign in, list and inspect
// sessions (personal data masked unless revealed), erase them, retry callbacks and change
// tenants. Every action is written to the audit log. Like Service, it is the only door
// to storage for its callers.
type Console struct {
	svc *Service
	ops faceverify.OperatorStore
	// IdleTTL ends a sign-in not used for that long (30 min); MaxTTL ends any sign-in
	// that long after it began (12 h).
	IdleTTL, MaxTTL time.Duration
}

// NewConsole returns the console use cases over svc and the store's console data.
func NewConsole(svc *Service, ops faceverify.OperatorStore) *Console {
	return &Console{svc: svc, ops: ops, IdleTTL: 30 * time.Minute, MaxTTL: 12 * time.Hour}
}

// Signed is a signed-in operator: who, and the CSRF token of the sign-in.
type Signed struct {
	Operator *faceverify.Operator
	CSRF     string
	Expires  time.Time
}

// sees reports whether the signed-in operator may see tenant's data (a tenant operator
// sees only its tenant; anything else is ENOTFOUND, exactly like an unknown id).
func (sg *Signed) sees(tenant string) bool {
	return sg.Operator.TenantID == "" || sg.Operator.TenantID == tenant
}

func hidden(what string) error { return faceverify.Errorf(faceverify.ENOTFOUND, "%s not found", what) }

// MinPassword is the shortest operator password accepted.
const MinPassword = 12

// bcryptCost is the work factor of operator password hashes.
const bcryptCost = 11

// CreateOperator adds an operator who sees every tenant (`faceverify admin user create`).
func (c *Console) CreateOperator(ctx context.Context, name, password string) (*faceverify.Operator, error) {
	return c.CreateTenantOperator(ctx, name, password, "")
}

// CreateTenantOperator adds an operator who sees only tenant's sessions and tenant
// (tenant "" = every tenant; `admin user create --id TENANT`).
func (c *Console) CreateTenantOperator(ctx context.Context, name, password, tenant string) (*faceverify.Operator, error) {
	if tenant != "" {
		if _, err := c.svc.store.Tenant(ctx, tenant); err != nil {
			return nil, err
		}
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, faceverify.Missing("name")
	}
	if utf8.RuneCountInString(name) > 64 || strings.ContainsAny(name, " \t\r\n<>\"'&") {
		return nil, faceverify.Invalid("name", "1–64 characters, no spaces or markup")
	}
	if utf8.RuneCountInString(password) < MinPassword {
		return nil, faceverify.Invalid("password", fmt.Sprintf("at least %d characters", MinPassword))
	}
	if len(password) > 72 {
		return nil, faceverify.Invalid("password", "at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return nil, err
	}
	o := &faceverify.Operator{ID: RandHex(8), Name: name, PasswordHash: h, TenantID: tenant, CreatedAt: c.svc.now()}
	if err := c.ops.CreateOperator(ctx, o); err != nil {
		return nil, err
	}
	c.svc.Log.Info("operator created", "operator", name)
	return o, nil
}

// dummyHash is compared against when the name is unknown, so a wrong name costs the same
// time as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("faceverify-no-such-operator"), bcryptCost)

// SignIn checks an operator's password and opens a sign-in; cookie is the secret the
// browser keeps (the store keeps only its hash). A wrong name or password is EUNAUTHORIZED
// (the same answer for both), recorded in the audit log.
func (c *Console) SignIn(ctx context.Context, name, password string) (cookie string, sg *Signed, err error) {
	o, err := c.ops.OperatorByName(ctx, name)
	switch faceverify.ErrorCode(err) {
	case "":
	case faceverify.ENOTFOUND:
		o = nil
	default:
		return "", nil, err
	}
	hash := dummyHash
	if o != nil {
		hash = o.PasswordHash
	}
	if len(password) > 72 {
		password = password[:72]
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || o == nil || o.Disabled {
		c.audit(ctx, clip(name, 64), faceverify.AuditSignInFailed, "", "")
		return "", nil, faceverify.Errorf(faceverify.EUNAUTHORIZED, "wrong name or password")
	}
	now := c.svc.now()
	cookie = RandHex(32)
	l := &faceverify.OperatorLogin{IDHash: hashCookie(cookie), OperatorID: o.ID, CSRF: RandHex(32),
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(c.MaxTTL)}
	if err := c.ops.CreateLogin(ctx, l); err != nil {
		return "", nil, err
	}
	if err := c.ops.PurgeLogins(ctx, now); err != nil { // expired sign-ins; the next sign-in purges again
		c.svc.Log.Error("expired console sign-ins not purged", "err", err)
	}
	c.audit(ctx, o.Name, faceverify.AuditSignIn, "", "")
	return cookie, &Signed{Operator: o, CSRF: l.CSRF, Expires: l.ExpiresAt}, nil
}

func hashCookie(v string) string {
	h := sha256.Sum256([]byte("faceverify console sign-in\x00" + v))
	return hex.EncodeToString(h[:])
}

// Authenticate returns the operator a console cookie signs in: EUNAUTHORIZED when it is
// unknown (forged, signed out) or expired (idle or absolute), or its operator disabled.
func (c *Console) Authenticate(ctx context.Context, cookie string) (*Signed, error) {
	refused := faceverify.Errorf(faceverify.EUNAUTHORIZED, "not signed in")
	if len(cookie) != 64 {
		return nil, refused
	}
	l, err := c.ops.Login(ctx, hashCookie(cookie))
	if faceverify.ErrorCode(err) == faceverify.ENOTFOUND {
		return nil, refused
	}
	if err != nil {
		return nil, err
	}
	now := c.svc.now()
	if !now.Before(l.ExpiresAt) || !now.Before(l.LastSeen.Add(c.IdleTTL)) {
		if err := c.ops.DeleteLogin(ctx, l.IDHash); err != nil && faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
			c.svc.Log.Error("expired console sign-in not deleted", "err", err) // refused all the same
		}
		return nil, faceverify.Errorf(faceverify.EUNAUTHORIZED, "signed out after inactivity")
	}
	o, err := c.ops.Operator(ctx, l.OperatorID)
	if faceverify.ErrorCode(err) == faceverify.ENOTFOUND || (err == nil && o.Disabled) {
		return nil, refused
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(l.LastSeen) > time.Minute { // at most one write a minute per sign-in
		if err := c.ops.TouchLogin(ctx, l.IDHash, now); err != nil && faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
			return nil, err
		}
	}
	return &Signed{Operator: o, CSRF: l.CSRF, Expires: l.ExpiresAt}, nil
}

// CheckCSRF compares the token a change carried with the sign-in's (constant time).
func CheckCSRF(sg *Signed, token string) error {
	if sg == nil || token == "" || subtle.ConstantTimeCompare([]byte(sg.CSRF), []byte(token)) != 1 {
		return faceverify.Errorf(faceverify.EUNAUTHORIZED, "missing or wrong CSRF token")
	}
	return nil
}

// SignOut ends the sign-in of cookie (a replayed cookie signs nobody in afterwards).
func (c *Console) SignOut(ctx context.Context, cookie string, sg *Signed) error {
	if err := c.ops.DeleteLogin(ctx, hashCookie(cookie)); err != nil {
		return err
	}
	if sg != nil {
		c.audit(ctx, sg.Operator.Name, faceverify.AuditSignOut, "", "")
	}
	return nil
}

func (c *Console) audit(ctx context.Context, operator, action, target, detail string) error {
	err := c.ops.AppendAudit(ctx, &faceverify.AuditEntry{At: c.svc.now(), Operator: operator, Action: action, Target: target, Detail: detail})
	if err != nil {
		c.svc.Log.Error("audit entry not written", "action", action, "err", err)
	}
	return err
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// ---- sessions --------------------------------------------------------------------------

// MaxPage is the largest page of the session list.
const MaxPage = 200

// ListQuery is the console's session filter as the operator typed it.
type ListQuery struct {
	TenantID    string
	Dialect     string
	State       string
	ResultCode  int
	From, To    time.Time
	ExternalRef string // biz_no / OuterOrderNo, exact
	Before      string // cursor of the page (Cursor of the last row of the previous page)
	Limit       int
}

// Cursor is the keyset position of a row: the next page starts after it.
func Cursor(r faceverify.SessionRow) string {
	return fmt.Sprintf("%d~%s", r.CreatedAt.UnixMilli(), r.Token)
}

// Sessions lists sessions newest first. Values outside the vocabulary (dialect, state,
// page size, cursor) are EINVALID; any text is only ever a bound parameter.
func (c *Console) Sessions(ctx context.Context, sg *Signed, q ListQuery) ([]faceverify.SessionRow, error) {
	f := faceverify.SessionFilter{TenantID: q.TenantID, ResultCode: q.ResultCode, From: q.From, To: q.To, Limit: q.Limit}
	if own := sg.Operator.TenantID; own != "" {
		if q.TenantID != "" && q.TenantID != own {
			return nil, nil // another tenant's: nothing to see
		}
		f.TenantID = own
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > MaxPage {
		return nil, faceverify.Invalid("limit", fmt.Sprintf("1–%d", MaxPage))
	}
	switch faceverify.Dialect(q.Dialect) {
	case "", faceverify.DialectLite, faceverify.DialectCloudauth:
		f.Dialect = faceverify.Dialect(q.Dialect)
	default:
		return nil, faceverify.Invalid("dialect", "lite or cloudauth")
	}
	if q.State != "" {
		if !slices.Contains(States, faceverify.State(q.State)) {
			return nil, faceverify.Invalid("state", "unknown state")
		}
		f.State = faceverify.State(q.State)
	}
	if q.ResultCode < 0 || q.ResultCode > 9999 {
		return nil, faceverify.Invalid("code", "a result code")
	}
	if len(q.TenantID) > 128 || len(q.ExternalRef) > 128 {
		return nil, faceverify.Invalid("filter", "too long")
	}
	if q.ExternalRef != "" {
		f.ExternalIndex = c.ops.ExternalIndex(q.ExternalRef)
	}
	if q.Before != "" {
		ms, tok, ok := strings.Cut(q.Before, "~")
		var n int64
		if _, err := fmt.Sscanf(ms, "%d", &n); !ok || err != nil || tok == "" || len(tok) > 128 {
			return nil, faceverify.Invalid("before", "not a page cursor")
		}
		f.BeforeCreated, f.BeforeToken = time.UnixMilli(n), tok
	}
	return c.ops.ListSessions(ctx, f)
}

// States are the session states, in the order of a session's life.
var States = []faceverify.State{faceverify.StateCreated, faceverify.StateIDCard, faceverify.StateLiveness, faceverify.StateDeciding,
	faceverify.StateDone, faceverify.StateFailed, faceverify.StateCancelled, faceverify.StateExpired}

// SessionView is what the detail page shows: the session (personal data masked unless
// revealed, templates dropped), its tenant, its jobs with every attempt, and a timeline.
type SessionView struct {
	Session  *faceverify.Session
	Tenant   *faceverify.Tenant // nil when the tenant is gone
	Revealed bool
	Jobs     []JobView
	Images   []string // names Image serves
	Timeline []Event
}

// JobView is one job with its attempts.
type JobView struct {
	faceverify.Job
	Attempts []faceverify.JobAttempt
}

// Event is one line of the timeline: a stored state change (Change set, What "state"), or
// a job attempt; for sessions stored before the history was kept, the states are
// assembled from the session, its jobs and its verdict (created, video, decided).
type Event struct {
	At     time.Time
	What   string // state, verdict_job, callback; without history also created, video, decided
	Detail string
	Change *faceverify.StateChange
}

// Session is the detail of a session with personal data masked (audited as a view: the
// page shows face and card images).
func (c *Console) Session(ctx context.Context, sg *Signed, token string) (*SessionView, error) {
	return c.view(ctx, sg, token, false)
}

// visible loads the session token names when the operator may see it (its tenant's, or any for
// an operator of every tenant); an empty or overlong token is not found.
func (c *Console) visible(ctx context.Context, sg *Signed, token string) (*faceverify.Session, error) {
	if token == "" || len(token) > 128 {
		return nil, faceverify.Errorf(faceverify.ENOTFOUND, "session not found")
	}
	ss, err := c.svc.store.Session(ctx, token)
	if err != nil {
		return nil, err
	}
	if !sg.sees(ss.TenantID) {
		return nil, hidden("session")
	}
	return ss, nil
}

// Reveal is the detail with the personal data in clear; every reveal is audited.
func (c *Console) Reveal(ctx context.Context, sg *Signed, token string) (*SessionView, error) {
	return c.view(ctx, sg, token, true)
}

func (c *Console) view(ctx context.Context, sg *Signed, token string, reveal bool) (*SessionView, error) {
	ss, err := c.visible(ctx, sg, token)
	if err != nil {
		return nil, err
	}
	v := &SessionView{Revealed: reveal}
	if t, err := c.svc.store.Tenant(ctx, ss.TenantID); err == nil {
		v.Tenant = t
	} else if faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		return nil, err
	}
	jobs, err := c.ops.SessionJobs(ctx, token)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		atts, err := c.svc.store.JobAttempts(ctx, j.ID)
		if err != nil {
			return nil, err
		}
		j.Payload = nil
		v.Jobs = append(v.Jobs, JobView{Job: j, Attempts: atts})
	}
	for name := range imageKeys(ss) {
		v.Images = append(v.Images, name)
	}
	sort.Strings(v.Images)
	changes, err := c.svc.store.StateChanges(ctx, token)
	if err != nil {
		return nil, err
	}
	v.Timeline = timeline(ss, v.Jobs, changes)
	action := faceverify.AuditView
	if reveal {
		action = faceverify.AuditReveal
	} else {
		maskSession(ss)
	}
	stripTemplates(ss)
	v.Session = ss
	if err := c.audit(ctx, sg.Operator.Name, action, token, ""); err != nil {
		return nil, err // no unaudited look at personal data
	}
	return v, nil
}

func imageKeys(ss *faceverify.Session) map[string]string {
	out := map[string]string{}
	for name, k := range ss.Images {
		out[name] = k
	}
	for i, k := range ss.Options.RefImageKeys {
		out[fmt.Sprintf("image_ref%d", i+1)] = k
	}
	return out
}

// Image returns one image of a session (a name from SessionView.Images). The detail view
// that lists it was audited.
func (c *Console) Image(ctx context.Context, sg *Signed, token, name string) ([]byte, error) {
	ss, err := c.visible(ctx, sg, token)
	if err != nil {
		return nil, err
	}
	k, ok := imageKeys(ss)[name]
	if !ok {
		return nil, faceverify.Errorf(faceverify.ENOTFOUND, "image not found")
	}
	return c.svc.blobs.Get(ctx, k)
}

// timeline merges the session's stored state changes with its jobs' attempts, in time
// order. A session without stored changes (older than the history) gets its states from
// its creation, its verdict jobs and its verdict.
func timeline(ss *faceverify.Session, jobs []JobView, changes []faceverify.StateChange) []Event {
	var ev []Event
	for i := range changes {
		ev = append(ev, Event{At: changes[i].At, What: "state", Change: &changes[i]})
	}
	old := len(changes) == 0
	if old {
		ev = append(ev, Event{At: ss.CreatedAt, What: "created", Detail: string(ss.Dialect)})
	}
	n := 0
	for _, j := range jobs {
		switch j.Kind {
		case faceverify.JobDecide:
			n++
			if old {
				ev = append(ev, Event{At: j.CreatedAt, What: "video", Detail: fmt.Sprintf("#%d", n)})
			}
			for _, a := range j.Attempts {
				ev = append(ev, Event{At: a.At, What: "verdict_job", Detail: jobAttemptText(a)})
			}
		case faceverify.JobNotify:
			for _, a := range j.Attempts {
				ev = append(ev, Event{At: a.At, What: "callback", Detail: jobAttemptText(a)})
			}
		}
	}
	if old && ss.Verdict != nil && !ss.Verdict.DecidedAt.IsZero() {
		ev = append(ev, Event{At: ss.Verdict.DecidedAt, What: "decided", Detail: fmt.Sprintf("%d %s", ss.Verdict.Result.Code, ss.Verdict.Result.Message)})
	}
	if old && ss.Verdict == nil && ss.State.Terminal() {
		ev = append(ev, Event{At: ss.UpdatedAt, What: string(ss.State)})
	}
	sort.SliceStable(ev, func(a, b int) bool { return ev[a].At.Before(ev[b].At) })
	return ev
}

func jobAttemptText(a faceverify.JobAttempt) string {
	s := fmt.Sprintf("#%d %s", a.Attempt, a.Duration.Round(time.Millisecond))
	if a.Detail != "" {
		s += " " + a.Detail
	}
	if a.Error != "" {
		s += " — " + clip(a.Error, 200)
	}
	return s
}

// Erase erases a session with the same cascade as delete_result (images, templates,
// personal data, jobs), audited.
func (c *Console) Erase(ctx context.Context, sg *Signed, token string) error {
	if _, err := c.visible(ctx, sg, token); err != nil {
		return err
	}
	if err := c.svc.Delete(ctx, nil, "", token); err != nil {
		return err
	}
	return c.audit(ctx, sg.Operator.Name, faceverify.AuditErase, token, "")
}

// RetryCallback sends a session's failed (or waiting) callback job back to the queue now.
func (c *Console) RetryCallback(ctx context.Context, sg *Signed, token string, jobID int64) error {
	if len(token) > 128 {
		return hidden("session")
	}
	ss, err := c.svc.store.Session(ctx, token)
	if err != nil {
		return err
	}
	if !sg.sees(ss.TenantID) {
		return hidden("session")
	}
	jobs, err := c.ops.SessionJobs(ctx, token)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(jobs, func(j faceverify.Job) bool { return j.ID == jobID && j.Kind == faceverify.JobNotify })
	if i < 0 {
		return faceverify.Errorf(faceverify.ENOTFOUND, "callback not found")
	}
	if err := c.svc.store.RetryJob(ctx, jobID); err != nil {
		if faceverify.ErrorCode(err) == faceverify.ENOTFOUND {
			return faceverify.Errorf(faceverify.ESTATE, "the callback is not waiting or failed")
		}
		return err
	}
	c.svc.wake()
	return c.audit(ctx, sg.Operator.Name, faceverify.AuditRetryCallback, token, fmt.Sprintf("job %d", jobID))
}

// Audit lists the audit log newest first (target "" = all): the whole log for `admin
// audit list` (sg nil) and operators of every tenant; a tenant operator sees its own
// entries.
func (c *Console) Audit(ctx context.Context, sg *Signed, target string, beforeID int64, limit int) ([]faceverify.AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	if limit > 1000 || beforeID < 0 || len(target) > 128 {
		return nil, faceverify.Invalid("limit", "1–1000")
	}
	operator := ""
	if sg != nil && sg.Operator.TenantID != "" {
		operator = sg.Operator.Name
	}
	return c.ops.AuditLog(ctx, target, operator, beforeID, limit)
}

// ---- tenants ---------------------------------------------------------------------------

// Tenants lists the tenants.
func (c *Console) Tenants(ctx context.Context, sg *Signed) ([]*faceverify.Tenant, error) {
	all, err := c.svc.store.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, t := range all {
		if sg.sees(t.ID) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Tenant returns one tenant and its usage per day over the last days days.
func (c *Console) Tenant(ctx context.Context, sg *Signed, id string, days int) (*faceverify.Tenant, []faceverify.UsageDay, error) {
	if id == "" || len(id) > 128 || !sg.sees(id) {
		return nil, nil, hidden("tenant")
	}
	t, err := c.svc.store.Tenant(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if days < 1 || days > 366 {
		days = 30
	}
	to := c.svc.now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	u, err := c.ops.Usage(ctx, id, to.Add(-time.Duration(days)*24*time.Hour), to)
	return t, u, err
}

// ChangeTenant applies an operator's change (the same use case as `admin app update`),
// audited with what changed. Quota and concurrency are changed only by operators of every
// tenant (a tenant operator gets EUNAUTHORIZED), audited as limits with old → new.
func (c *Console) ChangeTenant(ctx context.Context, sg *Signed, id string, ch TenantChange) (*faceverify.Tenant, error) {
	if id == "" || len(id) > 128 || !sg.sees(id) {
		return nil, hidden("tenant")
	}
	var before *faceverify.Tenant
	if ch.Quota != nil || ch.Concurrency != nil {
		if sg.Operator.TenantID != "" { // the provider's limits, not the tenant's to raise
			return nil, faceverify.Errorf(faceverify.EUNAUTHORIZED, "only an operator of every tenant changes quota and concurrency")
		}
		var err error
		if before, err = c.svc.store.Tenant(ctx, id); err != nil {
			return nil, err
		}
	}
	t, err := c.svc.ChangeTenant(ctx, id, ch)
	if err != nil {
		return nil, err
	}
	action, detail := faceverify.AuditTenant, ""
	switch {
	case before != nil:
		action, detail = faceverify.AuditLimits, fmt.Sprintf("quota %d → %d, concurrency %d → %d",
			before.Quota, t.Quota, before.Concurrency, t.Concurrency)
	case ch.KeyDisabled != nil && *ch.KeyDisabled:
		action = faceverify.AuditDisableKey
	case ch.KeyDisabled != nil:
		action = faceverify.AuditEnableKey
	case ch.LipSyncOff != nil:
		action, detail = faceverify.AuditLipSync, map[bool]string{true: "off", false: "on"}[*ch.LipSyncOff]
	case ch.Disabled != nil:
		detail = map[bool]string{true: "account disabled", false: "account enabled"}[*ch.Disabled]
	}
	return t, c.audit(ctx, sg.Operator.Name, action, "tenant:"+id, detail)
}

// RotateKeys issues tenant id fresh credentials (shown once), audited.
func (c *Console) RotateKeys(ctx context.Context, sg *Signed, id string) (*Credentials, error) {
	if !sg.sees(id) {
		return nil, hidden("tenant")
	}
	cr, err := c.svc.RotateKeys(ctx, id)
	if err != nil {
		return nil, err
	}
	return cr, c.audit(ctx, sg.Operator.Name, faceverify.AuditRotateKey, "tenant:"+id, "")
}

// ---- masking ---------------------------------------------------------------------------

// MaskName keeps the first character of a name: 张三 → 张*.
func MaskName(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// MaskNumber keeps the first and last four characters of an ID number:
// 11010519491231002X → 1101**********002X.
func MaskNumber(s string) string {
	r := []rune(s)
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

func maskRest(s string, keep int) string {
	r := []rune(s)
	if len(r) <= keep {
		return strings.Repeat("*", len(r))
	}
	return string(r[:keep]) + strings.Repeat("*", len(r)-keep)
}

func maskSession(ss *faceverify.Session) {
	o := &ss.Options
	o.ClaimedName, o.ClaimedNumber = MaskName(o.ClaimedName), MaskNumber(o.ClaimedNumber)
	o.UserRef = maskRest(o.UserRef, 2)
	for k, v := range o.Meta {
		o.Meta[k] = maskRest(v, 3)
	}
	if c := ss.IDCard; c != nil {
		c.Name, c.Number = MaskName(c.Name), MaskNumber(c.Number)
		c.Address = maskRest(c.Address, 3)
		c.BirthYear, c.BirthMonth, c.BirthDay = maskRest(c.BirthYear, 0), maskRest(c.BirthMonth, 0), maskRest(c.BirthDay, 0)
		c.ValidDateStart, c.ValidDateEnd = maskRest(c.ValidDateStart, 0), maskRest(c.ValidDateEnd, 0)
	}
}

// stripTemplates drops face templates (never shown) and secrets from a session view.
func stripTemplates(ss *faceverify.Session) {
	ss.Options.RefEmbeddings = nil
	ss.Options.NotifyToken = ""
	if ss.IDCard != nil {
		ss.IDCard.PortraitEmbedding = nil
	}
	for _, l := range []*faceverify.Liveness{ss.LastAttempt, livenessOf(ss.Verdict)} {
		if l != nil {
			l.Embedding = nil
		}
	}
	ss.Challenge = ""
}

func livenessOf(v *faceverify.Verdict) *faceverify.Liveness {
	if v == nil {
		return nil
	}
	return v.Liveness
}
