package faceverify

import "time"

// Tenant is a business that uses the service: it owns sessions, keys and limits.
type Tenant struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	AppCode         string    `json:"app_code"`          // Lite: Authorization: APPCODE <code>
	AccessKeyID     string    `json:"access_key_id"`     // Cloudauth POP AccessKeyId
	AccessKeySecret string    `json:"access_key_secret"` // Cloudauth POP secret
	SceneID         string    `json:"scene_id"`          // Cloudauth SceneId
	NotifySecret    string    `json:"notify_secret"`     // signs callbacks
	Disabled        bool      `json:"disabled"`
	KeyDisabled     bool      `json:"key_disabled"` // its API keys were discontinued
	Quota           int64     `json:"quota"`        // verifications allowed; < 0 = unlimited
	Used            int64     `json:"used"`         // verifications charged
	Concurrency     int       `json:"concurrency"`  // in-flight API requests allowed; 0 = server default
	Checks          Checks    `json:"checks"`
	Registry        string    `json:"registry,omitempty"` // identity source of comparison_type=1; "" = config/embedded
	CreatedAt       time.Time `json:"created_at"`
}

// Checks are the operator-visible per-tenant switches of the liveness pipeline.
// Every one defaults to on; turning one off is recorded with the tenant and reported
// in each verdict's scores.
type Checks struct {
	LipSyncOff bool `json:"lip_sync_off,omitempty"`
	// DigitLanguage narrows the spoken challenge digits to "en" or "zh"; "" (the default)
	// hears both languages in one decode.
	DigitLanguage string `json:"digit_language,omitempty"`
}

// HasBalance reports whether one more verification may be charged.
func (t *Tenant) HasBalance() bool { return t.Quota < 0 || t.Used < t.Quota }
