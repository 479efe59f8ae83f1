package faceverify

import "time"

// Tenant is a business that uses the service: it owns sessions, keys and limits.
type Tenant struct {
	ID              string
	Name            string
	AppCode         string // Lite: Authorization: APPCODE <code>
	AccessKeyID     string // Cloudauth POP AccessKeyId
	AccessKeySecret string // Cloudauth POP secret
	SceneID         string // Cloudauth SceneId
	NotifySecret    string // signs callbacks
	Disabled        bool
	KeyDisabled     bool  // its API keys were discontinued
	Quota           int64 // verifications allowed; < 0 = unlimited
	Used            int64 // verifications charged
	Concurrency     int   // in-flight API requests allowed; 0 = server default
	Checks          Checks
	Registry        string // identity source of comparison_type=1; "" = config/embedded
	CreatedAt       time.Time
}

// Checks are the operator-visible per-tenant switches of the liveness pipeline.
// Every one defaults to on; turning one off is recorded with the tenant and reported
// in each verdict's scores.
type Checks struct {
	LipSyncOff bool
	// DigitLanguage narrows the spoken challenge digits to "en" or "zh"; "" (the default)
	// hears both languages in one decode.
	DigitLanguage string
}

// HasBalance reports whether one more verification may be charged.
func (t *Tenant) HasBalance() bool { return t.Quota < 0 || t.Used < t.Quota }
