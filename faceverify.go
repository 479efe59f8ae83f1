// Package faceverify is the domain core of a self-hosted remote identity verification
// service: sessions and their state machine, verdicts, tenants, errors, and the interfaces
// of everything the use cases depend on. It knows nothing about HTTP, SQL, ONNX or either
// vendor's field names; adapters live in sub-packages named after what they adapt.
//
// The domain types carry no wire names (no JSON tags): each dialect renders them in its own
// structs (dialect/lite, dialect/cloudauth, httpapi's page API), the store keeps its own
// persisted records (store/sqlstore/records.go, which read every earlier release's rows)
// and the operator CLI its own output (internal/admin).
package faceverify

import (
	"context"
	"io"
	"time"
)

// Clock gives the current time; injected so expiry and retention are testable.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Job is a unit of background work, enqueued in the same transaction as the session
// change that needs it.
type Job struct {
	ID          int64
	Kind        string
	Key         string // idempotency key: at most one live job per (kind, key)
	Token       string
	Payload     []byte
	Attempt     int // attempts made so far
	MaxAttempts int
	RunAt       time.Time
	State       string // queued | running | done | failed
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Job kinds.
const (
	JobDecide = "decide" // run the liveness + comparison pipeline on an uploaded video
	JobNotify = "notify" // deliver the tenant's callback
)

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// JobAttempt is the record of one try of a job (visible to operators).
type JobAttempt struct {
	JobID    int64
	Attempt  int
	At       time.Time
	Error    string
	Detail   string // e.g. HTTP status of a callback
	Duration time.Duration
}

// RegistryEntry is an authoritative identity photo (comparison_type=1).
type RegistryEntry struct {
	Number    string
	Name      string
	PhotoKey  string
	Embedding []float32
	CreatedAt time.Time
}

// Store persists tenants, sessions, the registry and jobs. Implementations: store/sqlite,
// store/postgres; one contract suite (store/storetest) runs against both.
type Store interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	UpdateTenant(ctx context.Context, t *Tenant) error
	Tenant(ctx context.Context, id string) (*Tenant, error)
	TenantByAppCode(ctx context.Context, code string) (*Tenant, error)
	TenantByAccessKey(ctx context.Context, keyID string) (*Tenant, error)
	Tenants(ctx context.Context) ([]*Tenant, error)
	// ChargeTenant atomically counts one verification; EQUOTA when the quota is used up.
	ChargeTenant(ctx context.Context, id string) error

	// CreateSession inserts s and, in the same transaction, counts one verification against
	// the tenant's quota (EQUOTA when it is used up: then nothing is stored).
	CreateSession(ctx context.Context, s *Session) error
	// Session returns ENOTFOUND for an unknown token.
	Session(ctx context.Context, token string) (*Session, error)
	// UpdateSession stores s if s.Version still matches the stored version (else ECONFLICT),
	// bumps s.Version, and enqueues jobs in the same transaction.
	UpdateSession(ctx context.Context, s *Session, jobs ...Job) error
	// StateChanges lists the session's history, oldest first: CreateSession and
	// UpdateSession append s.PendingChanges() in their transaction (then ChangesStored).
	StateChanges(ctx context.Context, token string) ([]StateChange, error)
	// DeleteSession removes the session row, its history and its jobs (erasure, retention).
	DeleteSession(ctx context.Context, token string) error
	// SessionsRetainedBefore lists tokens whose retention ended before t.
	SessionsRetainedBefore(ctx context.Context, t time.Time, limit int) ([]string, error)
	// SessionsExpiringBefore lists tokens of sessions still waiting for the user whose page
	// validity ended before t.
	SessionsExpiringBefore(ctx context.Context, t time.Time, limit int) ([]string, error)

	PutRegistryEntry(ctx context.Context, e *RegistryEntry) error
	RegistryEntry(ctx context.Context, number string) (*RegistryEntry, error)
	// DeleteRegistryEntry removes an entry (erasure); ENOTFOUND when there is none.
	DeleteRegistryEntry(ctx context.Context, number string) error

	// EnqueueJobs adds jobs outside any session change.
	EnqueueJobs(ctx context.Context, jobs ...Job) error
	// ClaimJobs leases up to n due jobs of the given kinds to worker until lease expires;
	// a job whose lease expires (its worker died) is claimed again, its Attempt counting
	// the attempt lost.
	ClaimJobs(ctx context.Context, kinds []string, worker string, n int, lease time.Duration) ([]Job, error)
	// FinishJob records an attempt; retryAt zero = done (err nil) or failed for good.
	FinishJob(ctx context.Context, j Job, a JobAttempt, err error, retryAt time.Time) error
	Jobs(ctx context.Context, kind, state string, limit int) ([]Job, error)
	JobAttempts(ctx context.Context, id int64) ([]JobAttempt, error)
	RetryJob(ctx context.Context, id int64) error

	// UseNonce records a request nonce until exp; false if it was seen before.
	UseNonce(ctx context.Context, key string, exp time.Time) (bool, error)

	Close() error
}

// BlobStore keeps images and videos. Encryption at rest lives in the implementation.
type BlobStore interface {
	Put(ctx context.Context, key string, data []byte) error
	PutFile(ctx context.Context, key string, r io.Reader) error  // streams r (sealed in chunks), never whole in memory
	Get(ctx context.Context, key string) ([]byte, error)         // ENOTFOUND when absent
	Open(ctx context.Context, key string) (io.ReadCloser, error) // streaming Get (ENOTFOUND when absent)
	Delete(ctx context.Context, key string) error                // absent is not an error
	DeletePrefix(ctx context.Context, prefix string) error
	List(ctx context.Context, prefix string) ([]string, error)
}
