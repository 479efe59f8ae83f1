package faceverify

import (
	"context"
	"time"
)

// Operator is a person who signs in to the review console. Its password is kept only as a
// hash (verify hashes it; the store never sees the password).
type Operator struct {
	ID           string
	Name         string
	PasswordHash []byte
	Disabled     bool
	TenantID     string // "" = sees every tenant; else a tenant operator who sees only that tenant
	CreatedAt    time.Time
}

// OperatorLogin is one signed-in console session of an operator. The store keeps only a
// hash of the cookie value (IDHash), so a copy of the database signs nobody in.
type OperatorLogin struct {
	IDHash     string
	OperatorID string
	CSRF       string // the token every change must carry
	CreatedAt  time.Time
	LastSeen   time.Time
	ExpiresAt  time.Time // absolute end; idle expiry is LastSeen + the idle limit
}

// AuditEntry is one console action: who, when, what, on which target. It never holds
// personal data (the target is a session token, a tenant id or a job id).
type AuditEntry struct {
	ID       int64
	At       time.Time
	Operator string // operator name
	Action   string // view, reveal, erase, retry_callback, disable_key, …
	Target   string
	Detail   string
}

// Audit actions.
const (
	AuditSignIn        = "sign_in"
	AuditSignInFailed  = "sign_in_failed"
	AuditSignOut       = "sign_out"
	AuditView          = "view"   // a session's detail (images are personal data)
	AuditReveal        = "reveal" // unmasked name and ID number
	AuditErase         = "erase"
	AuditRetryCallback = "retry_callback"
	AuditDisableKey    = "disable_key"
	AuditEnableKey     = "enable_key"
	AuditRotateKey     = "rotate_key"
	AuditLipSync       = "lip_sync"
	AuditTenant        = "tenant_update"
	AuditLimits        = "limits" // quota and concurrency (detail: old → new)
)

// SessionFilter selects sessions for the console list. Zero fields do not filter.
// ExternalIndex is the keyed hash of biz_no / OuterOrderNo (never the value itself).
type SessionFilter struct {
	TenantID      string
	Dialect       Dialect
	State         State
	ResultCode    int
	From, To      time.Time // created_at in [From, To)
	ExternalIndex string
	// keyset cursor: sessions strictly older than (BeforeCreated, BeforeToken)
	BeforeCreated time.Time
	BeforeToken   string
	Limit         int
}

// SessionRow is one line of the console list: only columns stored in clear.
type SessionRow struct {
	Token         string
	TenantID      string
	Dialect       Dialect
	State         State
	ResultCode    int
	ResultMessage string
	CreatedAt     time.Time
}

// UsageDay is one tenant's verifications of one day (UTC) with one result code
// (0 = no verdict yet).
type UsageDay struct {
	Day        time.Time
	ResultCode int
	Count      int
}

// OperatorStore is implemented by stores that keep the review console's data: operators,
// their sign-ins, the audit log, and the indexed session list. Contract suite:
// store/storetest (console.go).
type OperatorStore interface {
	CreateOperator(ctx context.Context, o *Operator) error // ECONFLICT on a taken name
	OperatorByName(ctx context.Context, name string) (*Operator, error)
	Operator(ctx context.Context, id string) (*Operator, error)

	CreateLogin(ctx context.Context, l *OperatorLogin) error
	Login(ctx context.Context, idHash string) (*OperatorLogin, error) // ENOTFOUND when unknown
	TouchLogin(ctx context.Context, idHash string, at time.Time) error
	DeleteLogin(ctx context.Context, idHash string) error
	PurgeLogins(ctx context.Context, before time.Time) error

	AppendAudit(ctx context.Context, e *AuditEntry) error
	// AuditLog lists entries newest first, older than beforeID when beforeID > 0; target
	// and operator "" = all.
	AuditLog(ctx context.Context, target, operator string, beforeID int64, limit int) ([]AuditEntry, error)

	// ExternalIndex is the keyed hash SessionFilter.ExternalIndex takes for a biz_no /
	// OuterOrderNo value.
	ExternalIndex(ref string) string
	// ListSessions pages sessions newest first (created_at, token) with keyset paging.
	ListSessions(ctx context.Context, f SessionFilter) ([]SessionRow, error)
	// SessionJobs lists every job of a session (verdicts and callbacks), oldest first.
	SessionJobs(ctx context.Context, token string) ([]Job, error)
	// Usage counts tenant's sessions per day and result code created in [from, to).
	Usage(ctx context.Context, tenantID string, from, to time.Time) ([]UsageDay, error)
}
