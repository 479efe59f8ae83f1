package httpreg

// Request and response signatures of the registry contract (docs/registry.md). Both sides
// share one secret per key id. The request signature covers the method, path, timestamp,
// nonce and body; the response signature covers the status, the request's nonce and the
// body, so a recorded answer cannot be replayed for another request.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Header names of the contract.
const (
	HeaderKey       = "X-Faceverify-Key"
	HeaderTimestamp = "X-Faceverify-Timestamp"
	HeaderNonce     = "X-Faceverify-Nonce"
	HeaderSignature = "X-Faceverify-Signature"
)

// RequestSignature is the value of X-Faceverify-Signature for a request:
// "v1=" + hex(HMAC-SHA256(secret, "FV1-REQUEST\n" + METHOD + "\n" + path + "\n" +
// timestamp + "\n" + nonce + "\n" + hex(SHA-256(body)))).
func RequestSignature(secret []byte, method, path, timestamp, nonce string, body []byte) string {
	return "v1=" + mac(secret, "FV1-REQUEST", strings.ToUpper(method), path, timestamp, nonce, bodyHash(body))
}

// ResponseSignature is the value of X-Faceverify-Signature on a response:
// "v1=" + hex(HMAC-SHA256(secret, "FV1-RESPONSE\n" + status + "\n" + nonce + "\n" +
// hex(SHA-256(body)))), nonce being the request's.
func ResponseSignature(secret []byte, status int, nonce string, body []byte) string {
	return "v1=" + mac(secret, "FV1-RESPONSE", strconv.Itoa(status), nonce, bodyHash(body))
}

// Equal compares two signatures in constant time.
func Equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

func bodyHash(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

func mac(secret []byte, parts ...string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(m.Sum(nil))
}
