// Package lite translates the Megvii FaceID Lite H5 wire protocol (get_biz_token,
// get_result, the notify callback and the page texts) to and from the domain. It is a pure
// translation layer: it parses forms into verify commands and renders sessions into the
// exact response JSON; it computes nothing and stores nothing. The one table mapping domain
// errors to Lite error strings and HTTP status is ErrorResponse.
package lite

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/residentid"
	"github.com/faceverify/faceverify/verify"
)

// Form is a decoded request body: text fields and uploaded files by name.
type Form struct {
	Values url.Values
	Files  map[string][][]byte
}

// ParseCreate validates a get_biz_token form exactly as faceid-lite-h5.txt documents it.
func ParseCreate(f Form) (verify.CreateRequest, error) {
	var o faceverify.Options
	v := f.Values
	if v == nil {
		v = url.Values{}
	}
	// Every parameter at most once, valid UTF-8, bounded.
	for k, vals := range v {
		if len(vals) > 1 {
			return verify.CreateRequest{}, faceverify.Invalid(k, "parameter given more than once")
		}
		if !utf8.ValidString(vals[0]) || !utf8.ValidString(k) {
			return verify.CreateRequest{}, faceverify.Invalid(sanitizeKey(k), "not valid UTF-8")
		}
		if len(vals[0]) > 4096 {
			return verify.CreateRequest{}, faceverify.Invalid(k, "value too long")
		}
	}
	for k, files := range f.Files {
		if len(files) > 1 {
			return verify.CreateRequest{}, faceverify.Invalid(sanitizeKey(k), "file given more than once")
		}
	}
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	has := func(k string) bool { _, ok := v[k]; return ok && get(k) != "" }

	var err error
	if o.ReturnURL, err = httpURL(v, "return_url"); err != nil {
		return verify.CreateRequest{}, err
	}
	if o.NotifyURL, err = httpURL(v, "notify_url"); err != nil {
		return verify.CreateRequest{}, err
	}
	if !has("liveness_type") {
		return verify.CreateRequest{}, faceverify.Missing("liveness_type")
	}
	if o.LivenessType = get("liveness_type"); o.LivenessType != "video_number" {
		return verify.CreateRequest{}, faceverify.Invalid("liveness_type", "only video_number is supported")
	}
	if o.ExternalRef = v.Get("biz_no"); len(o.ExternalRef) > 128 {
		return verify.CreateRequest{}, faceverify.Invalid("biz_no", "longer than 128 bytes")
	}
	ints := []struct {
		key         string
		def, lo, hi int
		dst         *int
	}{
		{"comparison_type", 1, 0, 1, &o.ComparisonType},
		{"security_level", 2, 1, 3, &o.SecurityLevel},
		{"liveness_preferences", 1, 1, 2, &o.LivenessPrefs},
		{"liveness_retry_count", 3, 1, 5, &o.LivenessRetries},
		{"idcard_retry_time", 3, 1, 5, &o.IDCardRetries},
	}
	for _, p := range ints {
		if *p.dst, err = intParam(v, p.key, p.def, p.lo, p.hi); err != nil {
			return verify.CreateRequest{}, err
		}
	}
	group, err := intParam(v, "group", 0, 0, 1)
	if err != nil {
		return verify.CreateRequest{}, err
	}
	side, err := intParam(v, "idcard_side", 0, 0, 1)
	if err != nil {
		return verify.CreateRequest{}, err
	}
	o.IDCardFrontOnly = side == 1
	o.IDCardThreshold = 0.8
	if has("idcard_threshold") {
		t, perr := strconv.ParseFloat(get("idcard_threshold"), 64)
		if perr != nil || t < 0 || t > 1 || t != t {
			return verify.CreateRequest{}, faceverify.Invalid("idcard_threshold", "must be a number between 0 and 1")
		}
		o.IDCardThreshold = t
	}
	req := verify.CreateRequest{Dialect: faceverify.DialectLite}
	// image_ref1/2 are File parameters: sent as plain form text (the document's urlencoded
	// sample does so) either one is refused the same way, whatever comparison_type says.
	for _, k := range []string{"image_ref1", "image_ref2"} {
		if has(k) {
			return verify.CreateRequest{}, faceverify.Invalid(k, "must be an uploaded file (multipart/form-data)")
		}
	}
	switch o.ComparisonType {
	case faceverify.CompareRegistry:
		o.IDFromCard = group == 1
		if !o.IDFromCard {
			if !has("idcard_name") {
				return verify.CreateRequest{}, faceverify.Missing("idcard_name")
			}
			if !has("idcard_number") {
				return verify.CreateRequest{}, faceverify.Missing("idcard_number")
			}
			o.ClaimedName = get("idcard_name")
			if utf8.RuneCountInString(o.ClaimedName) > 64 {
				return verify.CreateRequest{}, faceverify.Invalid("idcard_name", "name too long")
			}
			o.ClaimedNumber = strings.ToUpper(get("idcard_number"))
			if !PlausibleIDNumber(o.ClaimedNumber) {
				return verify.CreateRequest{}, faceverify.Invalid("idcard_number", "not a resident ID number")
			}
		}
	case faceverify.CompareReference:
		if !has("uuid") {
			return verify.CreateRequest{}, faceverify.Missing("uuid")
		}
		if o.UserRef = get("uuid"); len(o.UserRef) > 128 {
			return verify.CreateRequest{}, faceverify.Invalid("uuid", "longer than 128 bytes")
		}
		if len(f.Files["image_ref1"]) == 0 || len(f.Files["image_ref1"][0]) == 0 {
			return verify.CreateRequest{}, faceverify.Missing("image_ref1")
		}
	}
	// Reference photos may be given in both modes (comparison_type=1 then compares with both).
	for _, k := range []string{"image_ref1", "image_ref2"} {
		if files := f.Files[k]; len(files) == 1 {
			if len(files[0]) == 0 {
				return verify.CreateRequest{}, faceverify.Invalid(k, "empty file")
			}
			req.RefImages = append(req.RefImages, files[0])
		}
	}
	if len(req.RefImages) == 1 && len(f.Files["image_ref1"]) == 0 {
		return verify.CreateRequest{}, faceverify.Invalid("image_ref2", "image_ref2 given without image_ref1")
	}
	req.Options = o
	return req, nil
}

func sanitizeKey(k string) string {
	k = strings.ToValidUTF8(k, "?")
	if len(k) > 64 {
		k = k[:64]
	}
	return k
}

func httpURL(v url.Values, key string) (string, error) {
	raw := strings.TrimSpace(v.Get(key))
	if raw == "" {
		return "", faceverify.Missing(key)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 2048 {
		return "", faceverify.Invalid(key, "must be an http or https URL")
	}
	return raw, nil
}

func intParam(v url.Values, key string, def, lo, hi int) (int, error) {
	raw := strings.TrimSpace(v.Get(key))
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, faceverify.Invalid(key, "must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

// PlausibleIDNumber accepts an idcard_number under residentid.Lite: an 18-character
// resident ID number (17 digits + check character per GB 11643-1999) or a legacy
// 15-digit one.
func PlausibleIDNumber(n string) bool { return residentid.Validate(n, residentid.Lite) == nil }

// ---- responses -------------------------------------------------------------------------

// Envelope fields every response carries.
type Envelope struct {
	RequestID string `json:"request_id"`
	TimeUsed  int64  `json:"time_used"`
}

// CreateResponse is the get_biz_token success body.
type CreateResponse struct {
	RequestID string `json:"request_id"`
	TimeUsed  int64  `json:"time_used"`
	BizToken  string `json:"biz_token"`
}

// ErrorBody is any failure body.
type ErrorBody struct {
	RequestID string `json:"request_id"`
	TimeUsed  int64  `json:"time_used"`
	Error     string `json:"error"`
}

// ErrorResponse maps a domain error to the Lite error string and HTTP status. This is the
// one place that decides Lite error codes.
func ErrorResponse(err error) (status int, msg string) {
	var fe *faceverify.Error
	if !errors.As(err, &fe) {
		return http.StatusInternalServerError, "INTERNAL_ERROR"
	}
	switch fe.Code {
	case faceverify.EMISSING:
		return http.StatusBadRequest, "MISSING_ARGUMENTS:" + fe.Key
	case faceverify.EINVALID, faceverify.ENOTFOUND:
		key := fe.Key
		if key == "" {
			key = "biz_token"
		}
		return http.StatusBadRequest, "BAD_ARGUMENTS:" + key
	case faceverify.EUNAUTHORIZED:
		return http.StatusForbidden, "AUTHORIZATION_ERROR:INVALID_SIGN"
	case faceverify.EDISABLED:
		if fe.Key == faceverify.ReasonKeyDisabled {
			return http.StatusForbidden, "AUTHORIZATION_ERROR:API_KEY_BE_DISCONTINUED"
		}
		return http.StatusForbidden, "AUTHORIZATION_ERROR:ACCOUNT_DISABLED"
	case faceverify.EQUOTA:
		return http.StatusForbidden, "AUTHORIZATION_ERROR:BALANCE_NOT_ENOUGH"
	case faceverify.ECONCURRENCY, faceverify.ERATELIMIT:
		return http.StatusTooManyRequests, "CONCURRENCY_LIMIT_EXCEEDED"
	case faceverify.ETOOLARGE:
		return http.StatusRequestEntityTooLarge, "Request Entity Too Large"
	}
	return http.StatusInternalServerError, "INTERNAL_ERROR"
}

// Comparison is one entry of verification.
type Comparison struct {
	Confidence float64            `json:"confidence"`
	Thresholds map[string]float64 `json:"thresholds"`
}

// Legality is frontside_/backside_legality.
type Legality struct {
	Photocopy        float64 `json:"Photocopy"`
	Edited           float64 `json:"Edited"`
	IDPhoto          float64 `json:"ID_Photo"`
	Screen           float64 `json:"Screen"`
	TemporaryIDPhoto float64 `json:"Temporary_ID_Photo"`
	Threshold        float64 `json:"ID_Photo_Threshold"`
}

// RenderLegality renders the legality scores of one card side (nil stays nil).
func RenderLegality(l *faceverify.Legality) *Legality {
	if l == nil {
		return nil
	}
	return &Legality{Photocopy: l.Photocopy, Edited: l.Edited, IDPhoto: l.IDPhoto, Screen: l.Screen,
		TemporaryIDPhoto: l.TemporaryIDPhoto, Threshold: l.Threshold}
}

// IDCardResult is idcard_result.
type IDCardResult struct {
	Name                  string    `json:"name"`
	IDCardNumber          string    `json:"idcard_number"`
	Gender                string    `json:"gender"`
	Nationality           string    `json:"nationality"`
	BirthYear             string    `json:"birth_year"`
	BirthMonth            string    `json:"birth_month"`
	BirthDay              string    `json:"birth_day"`
	Address               string    `json:"address"`
	IssuedBy              string    `json:"issued_by"`
	ValidDateStart        string    `json:"valid_date_start"`
	ValidDateEnd          string    `json:"valid_date_end"`
	FrontsideLegality     *Legality `json:"frontside_legality,omitempty"`
	BacksideLegality      *Legality `json:"backside_legality,omitempty"`
	FrontsideCompleteness int       `json:"frontside_completeness"`
	BacksideCompleteness  int       `json:"backside_completeness"`
	ImagePortrait         string    `json:"image_portrait,omitempty"`
}

// RenderIDCard renders OCR fields as idcard_result; portrait is the JPEG portrait crop.
func RenderIDCard(c *faceverify.IDCardResult, portrait []byte) *IDCardResult {
	r := &IDCardResult{
		Name: c.Name, IDCardNumber: c.Number, Gender: c.Gender, Nationality: c.Nationality,
		BirthYear: c.BirthYear, BirthMonth: c.BirthMonth, BirthDay: c.BirthDay, Address: c.Address,
		IssuedBy: c.IssuedBy, ValidDateStart: c.ValidDateStart, ValidDateEnd: c.ValidDateEnd,
		FrontsideLegality: RenderLegality(c.FrontLegality), BacksideLegality: RenderLegality(c.BackLegality),
		FrontsideCompleteness: c.FrontCompleteness, BacksideCompleteness: c.BackCompleteness,
	}
	if len(portrait) > 0 {
		r.ImagePortrait = base64.StdEncoding.EncodeToString(portrait)
	}
	return r
}

// ResultResponse is the get_result body.
type ResultResponse struct {
	RequestID     string                `json:"request_id"`
	TimeUsed      int64                 `json:"time_used"`
	BizToken      string                `json:"biz_token"`
	BizNo         string                `json:"biz_no"`
	ResultCode    string                `json:"result_code"`
	ResultMessage string                `json:"result_message"`
	Action        []string              `json:"action"`
	Images        map[string]string     `json:"images"`
	IDCardResult  *IDCardResult         `json:"idcard_result,omitempty"`
	Verification  map[string]Comparison `json:"verification,omitempty"`
}

// RenderResult renders a session for get_result; images maps image names (image_best,
// idcard_frontside, idcard_backside, idcard_portrait) to their bytes.
func RenderResult(env Envelope, s *faceverify.Session, images map[string][]byte) ResultResponse {
	r := s.Result()
	out := ResultResponse{
		RequestID: env.RequestID, TimeUsed: env.TimeUsed, BizToken: s.Token, BizNo: s.Options.ExternalRef,
		ResultCode: strconv.Itoa(r.Code), ResultMessage: r.Message, Action: []string{}, Images: map[string]string{},
	}
	for name, data := range images {
		if name == "idcard_portrait" {
			continue
		}
		out.Images[name] = base64.StdEncoding.EncodeToString(data)
	}
	if s.IDCard != nil && s.Options.IDFromCard {
		out.IDCardResult = RenderIDCard(s.IDCard, images["idcard_portrait"])
		if p := out.IDCardResult.ImagePortrait; p != "" {
			out.Images["idcard_portrait"] = p
		}
	}
	if s.Verdict != nil && len(s.Verdict.Verification) > 0 {
		out.Verification = map[string]Comparison{}
		for name, c := range s.Verdict.Verification {
			if name == "portrait" {
				continue // internal cross-check with the card portrait; Lite has no field for it
			}
			out.Verification[name] = Comparison{Confidence: round(c.Confidence), Thresholds: c.Thresholds}
		}
	}
	return out
}

func round(f float64) float64 {
	x, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 5, 64), 64)
	return x
}

// ---- notify ----------------------------------------------------------------------------

// NotifyData is the JSON in the notify form field "data".
type NotifyData struct {
	BizToken  string `json:"biz_token"`
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

// NotifyForm renders the notify POST body: data=<json>&sign=sha1(secret+data).
func NotifyForm(s *faceverify.Session, secret string) url.Values {
	r := s.Result()
	data, _ := json.Marshal(NotifyData{BizToken: s.Token, ErrorCode: strconv.Itoa(r.Code), ErrorMsg: r.Message})
	return url.Values{"data": {string(data)}, "sign": {Sign(secret, string(data))}}
}

// Sign is Megvii's notify signature: hex(sha1(secret + data)).
func Sign(secret, data string) string {
	h := sha1.Sum([]byte(secret + data))
	return hex.EncodeToString(h[:])
}

// ReturnURL is the tenant's return_url with biz_token=<token> appended as the last query
// parameter (before any #fragment). The tenant's own URL is kept byte for byte: its query
// is neither re-encoded nor re-ordered, and a biz_token of its own is left in place.
func ReturnURL(s *faceverify.Session) string {
	raw := s.Options.ReturnURL
	if raw == "" {
		return ""
	}
	base, frag, hasFrag := strings.Cut(raw, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	base += "biz_token=" + url.QueryEscape(s.Token)
	if hasFrag {
		base += "#" + frag
	}
	return base
}
