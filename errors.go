package faceverify

import (
	"errors"
	"fmt"
)

// Error codes of the domain. Each dialect maps them to its own wire codes in exactly one
// table (dialect/lite, dialect/cloudauth); httpapi maps them to HTTP status.
const (
	EMISSING      = "missing_argument" // a required parameter is absent (Key names it)
	EINVALID      = "bad_argument"     // a parameter is present but malformed/out of range (Key names it)
	EUNAUTHORIZED = "unauthorized"     // credentials absent or wrong
	EDISABLED     = "disabled"         // tenant or key disabled
	EQUOTA        = "quota"            // tenant balance/quota exhausted
	ECONCURRENCY  = "concurrency"      // too many requests in flight for the tenant
	ERATELIMIT    = "rate_limited"     // per-IP / per-token upload rate exceeded
	ENOTFOUND     = "not_found"        // unknown token / record (never another tenant's)
	ECONFLICT     = "conflict"         // concurrent update lost (optimistic locking)
	EEXPIRED      = "expired"          // token past its page validity
	EUSED         = "used"             // token already reached a verdict / was cancelled
	ENOTREADY     = "not_ready"        // verdict not reached yet
	ESTATE        = "bad_state"        // the action does not fit the session's current step
	ETOOLARGE     = "too_large"        // request body over the limit
	EINTERNAL     = "internal"
)

// Reasons of EUNAUTHORIZED and EDISABLED errors (carried in Error.Key): domain words that
// each dialect maps to its own vocabulary in its error table.
const (
	ReasonUnknownKey      = "unknown_key"      // no tenant holds this credential
	ReasonBadSignature    = "bad_signature"    // the request signature does not match
	ReasonStale           = "stale_request"    // the request time is outside the allowed window
	ReasonReplayed        = "replayed_request" // the request nonce was seen before
	ReasonKeyDisabled     = "key_disabled"     // the tenant's API key was discontinued
	ReasonAccountDisabled = "account_disabled" // the tenant is disabled
)

// Error is the one error type that crosses package boundaries. Code is one of the E*
// constants; Key is the offending parameter (for EMISSING/EINVALID) or the Reason (for
// EUNAUTHORIZED/EDISABLED); Message is for humans
// and must never contain personal data.
type Error struct {
	Code    string
	Key     string
	Message string
}

func (e *Error) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("faceverify %s (%s): %s", e.Code, e.Key, e.Message)
	}
	return fmt.Sprintf("faceverify %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Missing reports a missing parameter.
func Missing(key string) *Error {
	return &Error{Code: EMISSING, Key: key, Message: "missing " + key}
}

// Invalid reports a malformed parameter.
func Invalid(key, why string) *Error {
	return &Error{Code: EINVALID, Key: key, Message: why}
}

// ErrorCode returns the code of err, EINTERNAL for foreign errors and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorKey returns the parameter key of err, if any.
func ErrorKey(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Key
	}
	return ""
}
