package cloudauth

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// The POP (Alibaba Cloud OpenAPI) request authentication: RPC signature v1 (HMAC-SHA1 over
// the sorted parameters; the Go SDK and the Java SDK) and ACS3-HMAC-SHA256 (signature V3:
// a canonical request over the query, the signed headers and the body hash; the Node SDK
// @alicloud/cloudauth20190307). This file only computes and compares: looking the key up,
// the clock and the nonce store belong to the caller.

// APIVersion is the Cloudauth API version served.
const APIVersion = "2019-03-07"

// MaxSkew is how far a request's Timestamp / x-acs-date may be from the server clock (the
// use case verify.AuthCloudauth enforces it: the wiring sets verify.Config.SignatureWindow).
const MaxSkew = 15 * time.Minute

// Incoming is the wire request as received.
type Incoming struct {
	Method string
	Path   string      // URL path ("/")
	Query  url.Values  // parsed query string
	Form   url.Values  // parsed x-www-form-urlencoded body (nil if none)
	Header http.Header // request headers
	Host   string      // the Host header
	Body   []byte      // raw body (V3 signs its SHA-256)
}

// Auth is a parsed, not yet verified, authenticated request.
type Auth struct {
	SignatureVersion string // "1.0" (RPC v1) or "ACS3-HMAC-SHA256"
	AccessKeyID      string
	Nonce            string
	Timestamp        time.Time
	Action           string
	Version          string
	Format           string     // v1: the Format parameter ("" when absent)
	Params           url.Values // business parameters (query + body), system parameters removed

	stringToSign string // v1: METHOD&%2F&…; V3: ACS3-HMAC-SHA256\nhex(sha256(canonical request))
	signature    string
}

// StringToSign is what the client had to sign (for diagnostics in tests; it may contain
// personal data, so it is never logged).
func (a *Auth) StringToSign() string { return a.stringToSign }

// Verify reports whether the request was signed with secret.
func (a *Auth) Verify(secret string) bool {
	var want string
	if a.SignatureVersion == sigV3 {
		want = SignV3(secret, a.stringToSign)
		return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(a.signature))) == 1
	}
	want = SignV1(secret, a.stringToSign)
	return subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) == 1
}

const sigV3 = "ACS3-HMAC-SHA256"

// v1 system parameters: signed, but not business parameters.
var systemParams = []string{"AccessKeyId", "Action", "Format", "RegionId", "Signature", "SignatureMethod",
	"SignatureNonce", "SignatureType", "SignatureVersion", "Timestamp", "Version", "SecurityToken", "BearerToken"}

// PercentEncode is the POP encoding: RFC 3986, every byte except A–Z a–z 0–9 - _ . ~
// percent-encoded in upper-case hex (so space is %20, * is %2A, ~ stays ~).
func PercentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

type pair struct{ k, v string }

// canonicalQuery encodes every (key, value) pair, sorted by encoded key then value,
// joined with &. Repeated keys contribute every value.
func canonicalQuery(vals url.Values, skip string) string {
	var ps []pair
	for k, vs := range vals {
		if k == skip {
			continue
		}
		for _, v := range vs {
			ps = append(ps, pair{PercentEncode(k), PercentEncode(v)})
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].k != ps[j].k {
			return ps[i].k < ps[j].k
		}
		return ps[i].v < ps[j].v
	})
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// StringToSignV1 is METHOD&%2F&PercentEncode(canonical query of params without Signature).
func StringToSignV1(method string, params url.Values) string {
	return method + "&" + PercentEncode("/") + "&" + PercentEncode(canonicalQuery(params, "Signature"))
}

// SignV1 is base64(HMAC-SHA1(secret + "&", stringToSign)).
func SignV1(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// CanonicalRequestV3 builds the ACS3 canonical request. headers maps lower-case names to
// their (already joined) values; signed lists the signed header names.
func CanonicalRequestV3(method, path string, query url.Values, headers map[string]string, signed []string, payloadHash string) string {
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query, ""))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headers[h])
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// StringToSignV3 is "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical request)).
func StringToSignV3(canonicalRequest string) string {
	h := sha256.Sum256([]byte(canonicalRequest))
	return sigV3 + "\n" + hex.EncodeToString(h[:])
}

// SignV3 is hex(HMAC-SHA256(secret, stringToSign)).
func SignV3(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// ParseAuth reads the authentication of a request: V3 when it has an
// "Authorization: ACS3-HMAC-SHA256 …" header, else RPC signature v1 parameters. Errors are
// *PopError (MissingParameter, IncompleteSignature, InvalidTimeStamp.Format, …).
func ParseAuth(in Incoming) (*Auth, error) {
	all := url.Values{}
	for _, src := range []url.Values{in.Query, in.Form} {
		for k, vs := range src {
			if !utf8.ValidString(k) {
				return nil, popError("InvalidParameter", "a parameter name is not valid UTF-8")
			}
			for _, v := range vs {
				if !utf8.ValidString(v) {
					return nil, popError("InvalidParameter", "the value of "+cleanName(k)+" is not valid UTF-8")
				}
			}
			all[k] = append(all[k], vs...)
		}
	}
	if authz := strings.TrimSpace(in.Header.Get("Authorization")); authz != "" {
		return parseV3(in, authz, all)
	}
	return parseV1(in, all)
}

func single(all url.Values, key string) (string, error) {
	vs := all[key]
	switch {
	case len(vs) == 0 || vs[0] == "":
		return "", popError("MissingParameter", key)
	case len(vs) > 1:
		return "", popError("InvalidParameter", "the parameter "+key+" is given more than once")
	}
	return vs[0], nil
}

func parseV1(in Incoming, all url.Values) (*Auth, error) {
	a := &Auth{SignatureVersion: "1.0"}
	var err error
	get := func(k string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = single(all, k)
		return v
	}
	a.AccessKeyID = get("AccessKeyId")
	a.signature = get("Signature")
	method := get("SignatureMethod")
	version := get("SignatureVersion")
	ts := get("Timestamp")
	a.Nonce = get("SignatureNonce")
	a.Action = get("Action")
	a.Version = get("Version")
	if err != nil {
		return nil, err
	}
	if len(all["Format"]) > 1 {
		return nil, popError("InvalidParameter", "the parameter Format is given more than once")
	}
	a.Format = all.Get("Format")
	if method != "HMAC-SHA1" {
		return nil, popError("InvalidSignatureMethod")
	}
	if version != "1.0" {
		return nil, popError("InvalidSignatureVersion")
	}
	if st := all.Get("SignatureType"); st != "" {
		return nil, popError("InvalidParameter", "SignatureType "+cleanName(st)+" is not supported (AccessKey signatures only)")
	}
	if all.Get("SecurityToken") != "" || all.Get("BearerToken") != "" {
		return nil, popError("InvalidParameter", "STS and bearer tokens are not supported (AccessKey signatures only)")
	}
	if a.Timestamp, err = parseTime(ts); err != nil {
		return nil, err
	}
	if err := checkNonce(a.Nonce); err != nil {
		return nil, err
	}
	a.stringToSign = StringToSignV1(in.Method, all)
	a.Params = url.Values{}
	for k, vs := range all {
		a.Params[k] = vs
	}
	for _, k := range systemParams {
		delete(a.Params, k)
	}
	return a, nil
}

func parseV3(in Incoming, authz string, all url.Values) (*Auth, error) {
	algo, rest, _ := strings.Cut(authz, " ")
	if algo != sigV3 {
		return nil, popError("InvalidSignatureMethod")
	}
	a := &Auth{SignatureVersion: sigV3}
	var signed []string
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, popError("IncompleteSignature")
		}
		switch k {
		case "Credential":
			a.AccessKeyID = v
		case "SignedHeaders":
			signed = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.AccessKeyID == "" || a.signature == "" || len(signed) == 0 {
		return nil, popError("IncompleteSignature")
	}
	headers := map[string]string{}
	for i, h := range signed {
		if h != strings.ToLower(h) || h == "" || (i > 0 && signed[i-1] >= h) {
			return nil, popError("IncompleteSignature", "SignedHeaders must be lower-case, sorted and distinct")
		}
		var vals []string
		if h == "host" {
			vals = []string{in.Host}
		} else {
			for _, v := range in.Header.Values(h) {
				vals = append(vals, strings.TrimSpace(v))
			}
		}
		sort.Strings(vals)
		headers[h] = strings.Join(vals, ",")
	}
	for _, h := range []string{"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} {
		if headers[h] == "" {
			return nil, popError("IncompleteSignature", "the header "+h+" must be present and signed")
		}
	}
	sum := sha256.Sum256(in.Body)
	if !strings.EqualFold(headers["x-acs-content-sha256"], hex.EncodeToString(sum[:])) {
		return nil, popError("SignatureDoesNotMatch", "x-acs-content-sha256 does not match the request body")
	}
	a.Action, a.Version, a.Nonce = headers["x-acs-action"], headers["x-acs-version"], headers["x-acs-signature-nonce"]
	var err error
	if a.Timestamp, err = parseTime(headers["x-acs-date"]); err != nil {
		return nil, err
	}
	if err := checkNonce(a.Nonce); err != nil {
		return nil, err
	}
	a.stringToSign = StringToSignV3(CanonicalRequestV3(in.Method, in.Path, in.Query, headers, signed, headers["x-acs-content-sha256"]))
	if len(all["Format"]) > 1 {
		return nil, popError("InvalidParameter", "the parameter Format is given more than once")
	}
	a.Format = all.Get("Format")
	a.Params = url.Values{}
	for k, vs := range all {
		a.Params[k] = vs
	}
	delete(a.Params, "Format")
	delete(a.Params, "RegionId")
	return a, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, popError("InvalidTimeStamp.Format")
	}
	return t, nil
}

func checkNonce(n string) error {
	if len(n) > 128 {
		return popError("InvalidParameter", "SignatureNonce longer than 128 characters")
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c <= ' ' || c > '~' {
			return popError("InvalidParameter", "SignatureNonce must be printable ASCII")
		}
	}
	return nil
}

func cleanName(k string) string {
	k = strings.ToValidUTF8(k, "?")
	if len(k) > 64 {
		k = k[:64]
	}
	return k
}
