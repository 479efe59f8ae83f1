package verify

// The business backend's door: who is calling (one use case per dialect's credential),
// and what a caller may read back (images, pictures). Both dialects' differing rules are
// spelled out here, not in the HTTP layer.

import (
	"context"
	"time"

	"github.com/faceverify/faceverify"
)

// Intent says what an authenticated business-backend call is for.
type Intent int

const (
	// ToRead queries or erases results. A disabled account may still do so.
	ToRead Intent = iota
	// ToCreate opens sessions. Refused for a disabled account.
	ToCreate
)

func unauthorized(reason, msg string) error {
	return &faceverify.Error{Code: faceverify.EUNAUTHORIZED, Key: reason, Message: msg}
}

// AuthLite finds the tenant of a Lite APPCODE (EUNAUTHORIZED ReasonUnknownKey when none
// holds it). Lite's rule: a disabled account or a discontinued key is refused only when
// opening sessions (in ToCreate), before the request is read; results stay readable and
// erasable.
func (s *Service) AuthLite(ctx context.Context, appCode string, in Intent) (*faceverify.Tenant, error) {
	if appCode == "" {
		return nil, unauthorized(faceverify.ReasonUnknownKey, "missing APPCODE")
	}
	t, err := s.store.TenantByAppCode(ctx, appCode)
	if faceverify.ErrorCode(err) == faceverify.ENOTFOUND {
		return nil, unauthorized(faceverify.ReasonUnknownKey, "unknown APPCODE")
	}
	if err != nil {
		return nil, err
	}
	if in == ToCreate {
		if err := CheckTenant(t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// SignedCall is a business-backend request signed with an access key (Cloudauth POP). The
// dialect parses it and knows how to check its signature; the use case does the rest.
type SignedCall struct {
	KeyID  string                   // the access key id
	Nonce  string                   // the request's nonce (unique per key within the window)
	At     time.Time                // the request's signed time
	Verify func(secret string) bool // reports whether the signature matches secret
}

// AuthCloudauth authenticates a signed call, in this order: the key must exist
// (ReasonUnknownKey) and not be discontinued (EDISABLED ReasonKeyDisabled), the signature
// must match (ReasonBadSignature), the signed time must be within Config.SignatureWindow
// of ours (ReasonStale), and the nonce must be new (ReasonReplayed; nonces are kept for
// twice the window). Cloudauth's rule: a disabled account is refused by Create only,
// after the parameters were checked; Describe and Delete still answer.
func (s *Service) AuthCloudauth(ctx context.Context, c SignedCall) (*faceverify.Tenant, error) {
	t, err := s.store.TenantByAccessKey(ctx, c.KeyID)
	if faceverify.ErrorCode(err) == faceverify.ENOTFOUND {
		return nil, unauthorized(faceverify.ReasonUnknownKey, "unknown access key")
	}
	if err != nil {
		return nil, err
	}
	if t.KeyDisabled {
		return nil, &faceverify.Error{Code: faceverify.EDISABLED, Key: faceverify.ReasonKeyDisabled, Message: "access key disabled"}
	}
	if c.Verify == nil || !c.Verify(t.AccessKeySecret) {
		return nil, unauthorized(faceverify.ReasonBadSignature, "signature does not match")
	}
	now, win := s.now(), s.Config.SignatureWindow
	if d := now.Sub(c.At); d > win || d < -win {
		return nil, unauthorized(faceverify.ReasonStale, "request time outside the allowed window")
	}
	fresh, err := s.store.UseNonce(ctx, c.KeyID+":"+c.Nonce, now.Add(2*win+time.Minute))
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, unauthorized(faceverify.ReasonReplayed, "nonce used already")
	}
	return t, nil
}

// Images returns the stored images of a session read through Result, by name
// (image_best, idcard_frontside, …); an image erased meanwhile is left out.
func (s *Service) Images(ctx context.Context, ss *faceverify.Session) (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, key := range ss.Images {
		data, err := s.blobs.Get(ctx, key)
		if faceverify.ErrorCode(err) == faceverify.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[name] = data
	}
	return out, nil
}

// BestImage returns the best live frame of a session (behind Cloudauth's signed picture
// URL: the caller checked the URL's signature, which names the session). ENOTFOUND when
// there is none.
func (s *Service) BestImage(ctx context.Context, token string) ([]byte, error) {
	ss, err := s.store.Session(ctx, token)
	if err != nil {
		return nil, err
	}
	if ss.Images["image_best"] == "" {
		return nil, faceverify.Errorf(faceverify.ENOTFOUND, "no picture")
	}
	return s.blobs.Get(ctx, ss.Images["image_best"])
}

// Limits are the upload limits the HTTP layer applies before a use case sees the data.
type Limits struct {
	VideoBytes int64
	ImageBytes int64
}

// Limits returns the service's upload limits.
func (s *Service) Limits() Limits {
	return Limits{VideoBytes: s.Config.MaxVideoBytes, ImageBytes: s.Config.MaxImageBytes}
}

// Now returns the service clock's time (signed URLs are stamped and checked with it).
func (s *Service) Now() time.Time { return s.now() }

// Notice returns what a callback about a session needs: its tenant and the session
// (ENOTFOUND when the session was erased meanwhile).
func (s *Service) Notice(ctx context.Context, token string) (*faceverify.Tenant, *faceverify.Session, error) {
	ss, err := s.store.Session(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.store.Tenant(ctx, ss.TenantID)
	if err != nil {
		return nil, nil, err
	}
	return t, ss, nil
}
