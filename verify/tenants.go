package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"strings"

	"github.com/faceverify/faceverify"
)

// TenantChange is an operator's change of a tenant (`admin app update` and the console's
// tenants page make the same ones). Nil fields are left as they are.
type TenantChange struct {
	Disabled      *bool   // the account (every request refused)
	KeyDisabled   *bool   // the API keys discontinued (new sessions refused)
	LipSyncOff    *bool   // the lip-voice sync check (operator-visible)
	DigitLanguage *string // "", "en" or "zh"
	Quota         *int64
	Concurrency   *int
	Registry      *string // identity source name ("" = default); the caller checks it is known
}

// ChangeTenant applies c to tenant id and stores it.
func (s *Service) ChangeTenant(ctx context.Context, id string, c TenantChange) (*faceverify.Tenant, error) {
	t, err := s.store.Tenant(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.DigitLanguage != nil {
		switch *c.DigitLanguage {
		case "", "en", "zh":
		default:
			return nil, faceverify.Invalid("digit_language", "want en, zh or both")
		}
	}
	if c.Quota != nil && *c.Quota < -1 {
		return nil, faceverify.Invalid("quota", "want -1 (unlimited) or more")
	}
	if c.Concurrency != nil && *c.Concurrency < 0 {
		return nil, faceverify.Invalid("concurrency", "want 0 (server default) or more")
	}
	set(&t.Disabled, c.Disabled)
	set(&t.KeyDisabled, c.KeyDisabled)
	set(&t.Checks.LipSyncOff, c.LipSyncOff)
	set(&t.Checks.DigitLanguage, c.DigitLanguage)
	set(&t.Quota, c.Quota)
	set(&t.Concurrency, c.Concurrency)
	set(&t.Registry, c.Registry)
	if err := s.store.UpdateTenant(ctx, t); err != nil {
		return nil, err
	}
	s.Log.Info("tenant changed", "tenant", t.ID, "disabled", t.Disabled, "key_disabled", t.KeyDisabled, "lip_sync_off", t.Checks.LipSyncOff)
	return t, nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Credentials are a tenant's API credentials, shown once when issued.
type Credentials struct {
	AppCode         string `json:"app_code"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
}

// RotateKeys issues tenant id fresh API credentials (Lite APPCODE, Cloudauth AccessKey
// pair); the old ones stop working at once.
func (s *Service) RotateKeys(ctx context.Context, id string) (*Credentials, error) {
	t, err := s.store.Tenant(ctx, id)
	if err != nil {
		return nil, err
	}
	c := NewCredentials()
	t.AppCode, t.AccessKeyID, t.AccessKeySecret = c.AppCode, c.AccessKeyID, c.AccessKeySecret
	if err := s.store.UpdateTenant(ctx, t); err != nil {
		return nil, err
	}
	s.Log.Info("tenant keys rotated", "tenant", t.ID)
	return &c, nil
}

// NewCredentials returns fresh random API credentials.
func NewCredentials() Credentials {
	return Credentials{AppCode: RandHex(16), AccessKeyID: "FVAK" + strings.ToUpper(RandHex(10)), AccessKeySecret: randAlnum(30)}
}

// RandHex returns n random bytes in hex.
func RandHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func randAlnum(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, n)
	for i := range out {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		out[i] = chars[k.Int64()]
	}
	return string(out)
}
