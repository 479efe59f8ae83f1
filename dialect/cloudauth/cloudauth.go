// Package cloudauth translates the Alibaba Cloud Cloudauth RPC wire protocol
// (InitFaceVerify / DescribeFaceVerify, version 2019-03-07, cloudauth-faceverify.txt) to
// and from the domain: POP request signatures (RPC v1 HMAC-SHA1 and ACS3-HMAC-SHA256,
// pop.go), parameter validation into verify commands, the exact response JSON, the
// SubCode derived from a verdict, the signed picture URL and the GET callback URL.
//
// It is a pure translation layer: it computes nothing about faces and stores nothing. Key
// look-up, clock, nonce store and use cases are the caller's (httpapi/cloudauth.go). The
// one table mapping errors to POP error codes, body Codes and HTTP status is ErrorResponse.
package cloudauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/residentid"
	"github.com/faceverify/faceverify/verify"
)

// ---- errors: the one table ---------------------------------------------------------------

// PopError is a gateway-level (POP) error: authentication, throttling, unknown action.
// They answer with an HTTP error status; business errors answer HTTP 200 with a body Code.
type PopError struct {
	Code   string // e.g. SignatureDoesNotMatch
	Detail string // optional detail appended to the standard message (never personal data)
}

func (e *PopError) Error() string { return "cloudauth: " + e.Code + " " + e.Detail }

func popError(code string, detail ...string) *PopError {
	return &PopError{Code: code, Detail: strings.Join(detail, " ")}
}

// NewPopError returns a POP error with one of the codes of ErrorResponse's table.
func NewPopError(code string, detail ...string) error { return popError(code, detail...) }

// pop is the table of POP error codes: HTTP status and standard message.
var pop = map[string]struct {
	status  int
	message string
}{
	"MissingParameter":            {400, "The input parameter that is mandatory for processing this request is not supplied."},
	"InvalidParameter":            {400, "The specified parameter is not valid."},
	"InvalidAccessKeyId.NotFound": {404, "Specified access key is not found."},
	"InvalidAccessKeyId.Inactive": {400, "Specified access key is disabled."},
	"SignatureDoesNotMatch":       {400, "Specified signature does not match our calculation."},
	"IncompleteSignature":         {400, "The request signature does not conform to Aliyun standards."},
	"InvalidSignatureMethod":      {400, "Specified signature method is not supported (use HMAC-SHA1 or ACS3-HMAC-SHA256)."},
	"InvalidSignatureVersion":     {400, "Specified signature version is not supported (use 1.0)."},
	"InvalidTimeStamp.Format":     {400, "Specified time stamp or date value is not well formatted."},
	"InvalidTimeStamp.Expired":    {400, "Specified time stamp or date value is expired."},
	"SignatureNonceUsed":          {400, "Specified signature nonce was used already."},
	"InvalidAction.NotFound":      {404, "Specified api is not found, please check your url and method."},
	"InvalidVersion":              {400, "Specified parameter Version is not valid."},
	"InvalidParameter.Format":     {400, "Specified parameter Format is not valid: only JSON is supported."},
	"Throttling.User":             {400, "Request was denied due to user flow control."},
	"RequestEntityTooLarge":       {413, "The request body is larger than the limit."},
	"InternalError":               {500, "The request processing has failed due to some unknown error, exception or failure."},
}

// Body codes and their messages (cloudauth-faceverify.txt, 返回Code和Message说明).
const (
	CodeOK           = "200"
	CodeMissing      = "400" // 参数不能为空
	CodeInvalid      = "401" // 参数非法
	CodeNoApp        = "402" // 应用配置不存在: a ProductCode other than ID_PRO
	CodeNotFinished  = "403" // 认证未完成: never returned; the 424 note covers every unfinished state (docs/cloudauth.md)
	CodeNoScene      = "404" // 认证场景配置不存在: SceneId is not the tenant's
	CodeBadCertifyID = "406" // 无效的CertifyId: malformed, or never issued to this tenant through Cloudauth
	CodeNotActivated = "410" // 未开通服务: tenant disabled
	CodeArrears      = "412" // 欠费中: tenant quota used up
	CodeNoRecord     = "424" // 身份认证记录不存在: issued but not completed (not started, in progress, being checked, abandoned, expired, interrupted)
	CodeInternal     = "500" // 系统错误
)

var messages = map[string]string{
	CodeOK: "success", CodeMissing: "参数不能为空", CodeInvalid: "参数非法", CodeNoApp: "应用配置不存在",
	CodeNotFinished: "认证未完成", CodeNoScene: "认证场景配置不存在", CodeBadCertifyID: "无效的CertifyId",
	CodeNotActivated: "未开通服务", "411": "RAM无权限", CodeArrears: "欠费中", "414": "设备类型不支持",
	"415": "SDK版本不支持", "416": "系统版本不支持", "417": "无法使用刷脸服务", "418": "刷脸失败次数过多",
	CodeNoRecord: "身份认证记录不存在", "427": "业务策略限制", CodeInternal: "系统错误",
}

// Message returns the documented message of a body code.
func Message(code string) string { return messages[code] }

// ErrorBody is the body of every failure: POP errors (HTTP 4xx/5xx, with HostId) and
// business errors (HTTP 200, Code ≠ "200").
type ErrorBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId,omitempty"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend,omitempty"`
}

// ErrorResponse maps any error to its HTTP status and body. This is the one place that
// decides Cloudauth error codes.
func ErrorResponse(err error, requestID, host string) (int, ErrorBody) {
	var pe *PopError
	if errors.As(err, &pe) {
		p, ok := pop[pe.Code]
		if !ok {
			p = pop["InternalError"]
		}
		msg := p.message
		if pe.Code == "MissingParameter" && pe.Detail != "" {
			msg = "The input parameter \"" + pe.Detail + "\" that is mandatory for processing this request is not supplied."
		} else if pe.Detail != "" {
			msg += " " + pe.Detail
		}
		return p.status, ErrorBody{RequestID: requestID, HostID: host, Code: pe.Code, Message: msg}
	}
	body := func(code string) (int, ErrorBody) {
		return http.StatusOK, ErrorBody{RequestID: requestID, Code: code, Message: messages[code]}
	}
	var fe *faceverify.Error
	if !errors.As(err, &fe) {
		return body(CodeInternal)
	}
	switch fe.Code {
	case faceverify.EMISSING:
		return body(CodeMissing)
	case faceverify.EINVALID:
		switch fe.Key {
		case "ProductCode":
			return body(CodeNoApp)
		case "CertifyId":
			return body(CodeBadCertifyID)
		}
		return body(CodeInvalid)
	case faceverify.ENOTFOUND:
		if fe.Key == "SceneId" {
			return body(CodeNoScene)
		}
		return body(CodeBadCertifyID) // a CertifyId this tenant never issued: 无效的CertifyId
	case faceverify.ENOTREADY, faceverify.EEXPIRED, faceverify.EUSED:
		return body(CodeNoRecord)
	case faceverify.EDISABLED:
		if fe.Key == faceverify.ReasonKeyDisabled {
			return ErrorResponse(popError("InvalidAccessKeyId.Inactive"), requestID, host)
		}
		return body(CodeNotActivated)
	case faceverify.EQUOTA:
		return body(CodeArrears)
	case faceverify.ECONCURRENCY, faceverify.ERATELIMIT:
		return ErrorResponse(popError("Throttling.User"), requestID, host)
	case faceverify.ETOOLARGE:
		return ErrorResponse(popError("RequestEntityTooLarge"), requestID, host)
	case faceverify.EUNAUTHORIZED:
		return ErrorResponse(popError(unauthorizedCode(fe.Key)), requestID, host)
	}
	return body(CodeInternal)
}

// unauthorizedCode maps the reason of an EUNAUTHORIZED error to its POP code.
func unauthorizedCode(reason string) string {
	switch reason {
	case faceverify.ReasonUnknownKey:
		return "InvalidAccessKeyId.NotFound"
	case faceverify.ReasonStale:
		return "InvalidTimeStamp.Expired"
	case faceverify.ReasonReplayed:
		return "SignatureNonceUsed"
	}
	return "SignatureDoesNotMatch"
}

// NewRequestID returns an Alibaba-style request id (upper-case UUID v4).
func NewRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(b))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// CheckEnvelope checks Action, Version and Format once the request is authenticated.
func CheckEnvelope(a *Auth) error {
	if a.Version != APIVersion {
		return popError("InvalidVersion", "Cloudauth here serves "+APIVersion+".")
	}
	if f := a.Format; f != "" && !strings.EqualFold(f, "JSON") {
		return popError("InvalidParameter.Format")
	}
	switch a.Action {
	case ActionInit, ActionDescribe, ActionDelete:
		return nil
	}
	return popError("InvalidAction.NotFound")
}

// Actions served.
const (
	ActionDelete   = "DeleteFaceVerifyResult" // erasure request (Cloudauth API of the same name)
	ActionInit     = "InitFaceVerify"
	ActionDescribe = "DescribeFaceVerify"
)

// ---- InitFaceVerify ------------------------------------------------------------------------

// Models accepted for Model. Every one runs our single liveness method (the video with four
// spoken digits); the value is kept with the session for audit.
var Models = map[string]bool{"LIVENESS": true, "PHOTINUS_LIVENESS": true, "MULTI_ACTION": true,
	"MULTI_PHOTINUS": true, "FRONT_CAMERA_LIVENESS": true, "MOVE_ACTION": true}

// unsupported parameters that would change what is compared: refused, not ignored.
var unsupported = map[string]string{
	"FaceContrastPictureUrl": "fetching reference pictures from URLs is not supported (server-side request forgery); send the picture in FaceContrastPicture",
	"OssBucketName":          "OSS references are not supported; send the picture in FaceContrastPicture",
	"OssObjectName":          "OSS references are not supported; send the picture in FaceContrastPicture",
}

var (
	outerOrderRE = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
	mobileRE     = regexp.MustCompile(`^\+?[0-9]{5,20}$`)
)

// InitPolicy is the operator's configuration that InitFaceVerify applies.
type InitPolicy struct {
	MaxImage int64 // bound of the decoded FaceContrastPicture (0 = none)
	// HTTPCallbackHosts are host names whose CallbackUrl may be plain http (local testing,
	// --cloudauth-http-callback-hosts); every other CallbackUrl must begin with https.
	HTTPCallbackHosts []string
}

// ParseInit validates InitFaceVerify parameters for tenant t (cloudauth-faceverify.txt)
// and maps them onto a verify command.
func ParseInit(p url.Values, t *faceverify.Tenant, pol InitPolicy) (verify.CreateRequest, error) {
	fail := func(err error) (verify.CreateRequest, error) { return verify.CreateRequest{}, err }
	if err := distinct(p); err != nil {
		return fail(err)
	}
	get := func(k string) string { return strings.TrimSpace(p.Get(k)) }
	if err := checkScene(get("SceneId"), t); err != nil {
		return fail(err)
	}
	switch pc := get("ProductCode"); {
	case pc == "":
		return fail(faceverify.Missing("ProductCode"))
	case pc != "ID_PRO":
		return fail(faceverify.Invalid("ProductCode", "only ID_PRO is served"))
	}
	for k, why := range unsupported {
		if get(k) != "" {
			return fail(faceverify.Invalid(k, why))
		}
	}
	var o faceverify.Options
	o.LivenessType = "video_number"
	o.SecurityLevel = 2
	o.LivenessPrefs = 1
	o.LivenessRetries = 0 // the CertifyUrl allows one submission: no retake
	o.IDCardRetries = 0
	o.IDCardThreshold = 0.8
	o.Meta = map[string]string{}

	o.ExternalRef = get("OuterOrderNo")
	switch {
	case o.ExternalRef == "":
		return fail(faceverify.Missing("OuterOrderNo"))
	case !outerOrderRE.MatchString(o.ExternalRef):
		return fail(faceverify.Invalid("OuterOrderNo", "1 to 32 letters and digits"))
	}
	if ct := get("CertType"); ct != "" && ct != "IDENTITY_CARD" {
		return fail(faceverify.Invalid("CertType", "only IDENTITY_CARD"))
	}
	if m := get("Model"); m != "" {
		if !Models[m] {
			return fail(faceverify.Invalid("Model", "unknown Model"))
		}
		o.Meta["Model"] = m
	}
	var err error
	if o.ReturnURL, err = httpURL(get("ReturnUrl"), "ReturnUrl", true); err != nil {
		return fail(err)
	}
	if o.NotifyURL, err = callbackURL(get("CallbackUrl"), pol.HTTPCallbackHosts); err != nil {
		return fail(err)
	}
	if o.NotifyToken = get("CallbackToken"); len(o.NotifyToken) > 128 || !printable(o.NotifyToken) {
		return fail(faceverify.Invalid("CallbackToken", "at most 128 printable ASCII characters"))
	}
	meta := get("MetaInfo")
	if meta == "" {
		return fail(faceverify.Missing("MetaInfo"))
	}
	var mi map[string]any
	if len(meta) > 4096 || json.Unmarshal([]byte(meta), &mi) != nil || mi == nil {
		return fail(faceverify.Invalid("MetaInfo", "a JSON object from getMetaInfo(), at most 4 KB"))
	}
	o.Meta["MetaInfo"] = meta
	switch ut := get("CertifyUrlType"); ut {
	case "", "WEB", "H5":
		if ut != "" {
			o.Meta["CertifyUrlType"] = ut
		}
	default:
		return fail(faceverify.Invalid("CertifyUrlType", "WEB or H5"))
	}
	if a := get("AuthId"); a != "" {
		if len(a) > 64 || !printable(a) {
			return fail(faceverify.Invalid("AuthId", "at most 64 characters"))
		}
		o.Meta["AuthId"] = a
	}
	if m := get("Mobile"); m != "" {
		if !mobileRE.MatchString(m) {
			return fail(faceverify.Invalid("Mobile", "a phone number"))
		}
		o.Meta["Mobile"] = m
	}
	if ip := get("Ip"); ip != "" {
		if net.ParseIP(ip) == nil {
			return fail(faceverify.Invalid("Ip", "an IPv4 or IPv6 address"))
		}
		o.Meta["Ip"] = ip
	}
	if o.UserRef = get("UserId"); len(o.UserRef) > 128 || !printable(o.UserRef) {
		return fail(faceverify.Invalid("UserId", "at most 128 printable ASCII characters"))
	}

	name, number := get("CertName"), strings.ToUpper(get("CertNo"))
	if name != "" && !ValidName(name) {
		return fail(faceverify.Invalid("CertName", "a name of 2 to 32 Chinese characters (· allowed)"))
	}
	if number != "" && !ValidIDNumber(number) {
		return fail(faceverify.Invalid("CertNo", "an 18-character resident ID number (GB 11643-1999)"))
	}
	o.ClaimedName, o.ClaimedNumber = name, number
	req := verify.CreateRequest{Dialect: faceverify.DialectCloudauth}
	if pic := p.Get("FaceContrastPicture"); pic != "" {
		img, err := decodePicture(pic, pol.MaxImage)
		if err != nil {
			return fail(err)
		}
		o.ComparisonType = faceverify.CompareReference
		req.RefImages = [][]byte{img}
	} else {
		if name == "" {
			return fail(faceverify.Missing("CertName"))
		}
		if number == "" {
			return fail(faceverify.Missing("CertNo"))
		}
		o.ComparisonType = faceverify.CompareRegistry
	}
	req.Options = o
	return req, nil
}

func decodePicture(s string, maxImage int64) ([]byte, error) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ";base64,"); strings.HasPrefix(s, "data:") && i > 0 {
		s = s[i+len(";base64,"):]
	}
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, s)
	if maxImage > 0 && int64(base64.StdEncoding.DecodedLen(len(s))) > maxImage+3 {
		return nil, faceverify.Invalid("FaceContrastPicture", "picture too large")
	}
	img, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		img, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil || len(img) == 0 {
		return nil, faceverify.Invalid("FaceContrastPicture", "not base64")
	}
	if !(len(img) > 3 && img[0] == 0xFF && img[1] == 0xD8) && !(len(img) > 8 && string(img[1:4]) == "PNG") {
		return nil, faceverify.Invalid("FaceContrastPicture", "a JPEG or PNG picture")
	}
	return img, nil
}

// ValidName accepts a Chinese resident's name: 2 to 32 Han characters, with the middle dot
// of transliterated names between them; no Latin letters, digits, spaces or symbols.
func ValidName(n string) bool {
	if !utf8.ValidString(n) {
		return false
	}
	count, prevDot := 0, true
	for _, r := range n {
		switch {
		case unicode.Is(unicode.Han, r):
			prevDot = false
		case r == '·' || r == '•':
			if prevDot {
				return false
			}
			prevDot = true
		default:
			return false
		}
		count++
	}
	return count >= 2 && count <= 32 && !prevDot
}

// ValidIDNumber accepts a CertNo under residentid.Cloudauth: an 18-character resident ID
// number with a real birth date and the GB 11643-1999 check character.
func ValidIDNumber(n string) bool { return residentid.Validate(n, residentid.Cloudauth) == nil }

func distinct(p url.Values) error {
	for k, vs := range p {
		if len(vs) > 1 {
			return faceverify.Invalid(cleanName(k), "parameter given more than once")
		}
		if len(vs[0]) > 64<<10 && k != "FaceContrastPicture" {
			return faceverify.Invalid(cleanName(k), "value too long")
		}
	}
	return nil
}

func checkScene(scene string, t *faceverify.Tenant) error {
	if scene == "" {
		return faceverify.Missing("SceneId")
	}
	if _, err := strconv.ParseInt(scene, 10, 64); err != nil {
		return faceverify.Invalid("SceneId", "an integer")
	}
	if scene != t.SceneID {
		return &faceverify.Error{Code: faceverify.ENOTFOUND, Key: "SceneId", Message: "no such scene"}
	}
	return nil
}

func httpURL(raw, key string, required bool) (string, error) {
	if raw == "" {
		if required {
			return "", faceverify.Missing(key)
		}
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 2048 {
		return "", faceverify.Invalid(key, "an http or https URL")
	}
	return raw, nil
}

// callbackURL checks CallbackUrl: "必须以https开头" (must begin with https). Plain http is
// accepted only for the hosts the operator listed (exact host name, any port).
func callbackURL(raw string, httpHosts []string) (string, error) {
	u, err := httpURL(raw, "CallbackUrl", false)
	if err != nil || u == "" {
		return u, err
	}
	pu, _ := url.Parse(raw)
	if strings.EqualFold(pu.Scheme, "https") {
		return raw, nil
	}
	for _, h := range httpHosts {
		if h != "" && strings.EqualFold(h, pu.Hostname()) {
			return raw, nil
		}
	}
	return "", faceverify.Invalid("CallbackUrl", "must begin with https")
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// InitResult is ResultObject of InitFaceVerify.
type InitResult struct {
	CertifyID  string `json:"CertifyId"`
	CertifyURL string `json:"CertifyUrl"`
}

// InitResponse is the InitFaceVerify success body.
type InitResponse struct {
	RequestID    string     `json:"RequestId"`
	Code         string     `json:"Code"`
	Message      string     `json:"Message"`
	ResultObject InitResult `json:"ResultObject"`
}

// RenderInit renders a created session; publicURL is the service's public base URL.
func RenderInit(requestID, publicURL string, s *faceverify.Session) InitResponse {
	return InitResponse{RequestID: requestID, Code: CodeOK, Message: messages[CodeOK],
		ResultObject: InitResult{CertifyID: s.Token, CertifyURL: CertifyURL(publicURL, s.Token)}}
}

// CertifyURL is the page link of a session.
func CertifyURL(publicURL, certifyID string) string {
	return strings.TrimRight(publicURL, "/") + "/cloudauth/v1/do/" + certifyID
}

// ---- DeleteFaceVerifyResult ----------------------------------------------------------------

// ParseDelete validates DeleteFaceVerifyResult parameters: CertifyId, and DeleteAfterQuery
// (Y or N, default N; we erase at once either way — the result can no longer be queried).
func ParseDelete(p url.Values) (string, error) {
	if err := distinct(p); err != nil {
		return "", err
	}
	if v := strings.TrimSpace(p.Get("DeleteAfterQuery")); v != "" && v != "Y" && v != "N" {
		return "", faceverify.Invalid("DeleteAfterQuery", "Y or N")
	}
	return certifyID(p)
}

// DeleteResult is DeleteFaceVerifyResult's ResultObject.
type DeleteResult struct {
	CertifyID    string `json:"CertifyId"`
	DeleteResult string `json:"DeleteResult"`
}

// DeleteResponse is the DeleteFaceVerifyResult body.
type DeleteResponse struct {
	RequestID    string       `json:"RequestId"`
	Code         string       `json:"Code"`
	Message      string       `json:"Message"`
	ResultObject DeleteResult `json:"ResultObject"`
}

// RenderDelete renders a completed erasure.
func RenderDelete(requestID, certifyID string) DeleteResponse {
	return DeleteResponse{RequestID: requestID, Code: CodeOK, Message: messages[CodeOK],
		ResultObject: DeleteResult{CertifyID: certifyID, DeleteResult: "Y"}}
}

// ---- DescribeFaceVerify ------------------------------------------------------------------

var certifyIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// certifyID reads and checks the CertifyId parameter.
func certifyID(p url.Values) (string, error) {
	id := strings.TrimSpace(p.Get("CertifyId"))
	switch {
	case id == "":
		return "", faceverify.Missing("CertifyId")
	case !certifyIDRE.MatchString(id):
		return "", faceverify.Invalid("CertifyId", "32 lower-case hex digits")
	}
	return id, nil
}

// ParseDescribe validates DescribeFaceVerify parameters and returns the CertifyId.
func ParseDescribe(p url.Values, t *faceverify.Tenant) (string, error) {
	if err := distinct(p); err != nil {
		return "", err
	}
	if err := checkScene(strings.TrimSpace(p.Get("SceneId")), t); err != nil {
		return "", err
	}
	return certifyID(p)
}

// SubCode derives the Cloudauth SubCode from a verdict's result (docs/cloudauth.md):
// 200 pass; 201 name and number do not match; 202 identity not found; 203 reference photo
// unusable; 204 face mismatch or no usable live face ("可能不是同一人或活体照片质量较低");
// 205 attack risk only (the 4100 family, wrong or unsynchronised speech, lips and voice
// apart); 206 policy: a recording our checks cannot use (undecodable, no audio, duration,
// size), too many uploads, disabled account. 210 (whitelist) is never produced.
// VIDEO_INTERNAL_ERROR is not a completed verification and has no SubCode on the wire
// (Describe answers 424, no callback); SubCode returns 206 for it only as a fallback.
func SubCode(r faceverify.Result) string {
	switch r {
	case faceverify.ResultSuccess:
		return "200"
	case faceverify.ResultIDNumberNameNotMatch:
		return "201"
	case faceverify.ResultNoIDCardNumber:
		return "202"
	case faceverify.ResultNotTheSame, faceverify.ResultNoFaceFound, faceverify.ResultFaceQualityTooLow:
		return "204"
	case faceverify.ResultSRError, faceverify.ResultNotSynchronized, faceverify.ResultLipVoiceNotSync:
		return "205"
	}
	switch r.Code {
	case 3100, 3200:
		return "203"
	case 4100:
		return "205"
	}
	return "206"
}

// Picture describes the best live frame for MaterialInfo.
type Picture struct {
	URL        string // signed, time-limited
	BucketName string
	ObjectName string
}

// DescribeResult is ResultObject of DescribeFaceVerify.
type DescribeResult struct {
	Passed       string  `json:"Passed"`
	SubCode      string  `json:"SubCode"`
	IdentityInfo *string `json:"IdentityInfo"`
	MaterialInfo string  `json:"MaterialInfo"`
}

// DescribeResponse is the DescribeFaceVerify success body.
type DescribeResponse struct {
	RequestID    string         `json:"RequestId"`
	Code         string         `json:"Code"`
	Message      string         `json:"Message"`
	ResultObject DescribeResult `json:"ResultObject"`
}

// MaterialInfo is the JSON carried as a string in ResultObject.MaterialInfo.
type MaterialInfo struct {
	FaceAttack         string             `json:"faceAttack"`
	FaceOcclusion      string             `json:"faceOcclusion"`
	FacialPictureFront FacialPictureFront `json:"facialPictureFront"`
}

// FacialPictureFront describes the live picture. VerifyScore is absent when no comparison
// was made (identity not found, name mismatch).
type FacialPictureFront struct {
	FaceAttackScore float64  `json:"faceAttackScore"`
	QualityScore    float64  `json:"qualityScore"`
	VerifyScore     *float64 `json:"verifyScore,omitempty"`
	PictureURL      string   `json:"pictureUrl,omitempty"`
	OssBucketName   string   `json:"ossBucketName,omitempty"`
	OssObjectName   string   `json:"ossObjectName,omitempty"`
}

// Completed reports whether s is a completed verification in the document's sense
// ("认证完成（包含认证通过和认证未通过）"): a verdict was reached. Not started, in
// progress, being checked, abandoned, expired and internally interrupted
// (VIDEO_INTERNAL_ERROR, "异常中断") sessions are not completed.
func Completed(s *faceverify.Session) bool {
	return s.Verdict != nil && (s.State == faceverify.StateDone || s.State == faceverify.StateFailed) &&
		s.Verdict.Result != faceverify.ResultVideoInternalError
}

// RenderDescribe renders a session for DescribeFaceVerify. A session that is not
// Completed is ENOTREADY (Code 424, "CertifyId未认证、认证过程中放弃、认证处理中"). pic may be nil.
func RenderDescribe(requestID string, s *faceverify.Session, pic *Picture) (DescribeResponse, error) {
	if !Completed(s) {
		return DescribeResponse{}, faceverify.Errorf(faceverify.ENOTREADY, "verification not completed")
	}
	v := s.Verdict
	sub := SubCode(v.Result)
	out := DescribeResponse{RequestID: requestID, Code: CodeOK, Message: messages[CodeOK],
		ResultObject: DescribeResult{Passed: "F", SubCode: sub}}
	if sub == "200" {
		out.ResultObject.Passed = "T"
	}
	mi := MaterialInfo{FaceAttack: "F", FaceOcclusion: "F"}
	if sub == "205" { // faceAttack follows the SubCode: T exactly for the attack SubCode
		mi.FaceAttack = "T"
	}
	if l := v.Liveness; l != nil {
		if l.Occluded {
			mi.FaceOcclusion = "T"
		}
		mi.FacialPictureFront.FaceAttackScore = round(l.AttackScore)
		mi.FacialPictureFront.QualityScore = round(l.QualityScore)
	}
	for _, name := range []string{"idcard", "ref1"} {
		if c, ok := v.Verification[name]; ok {
			vs := round(c.VerifyScore)
			mi.FacialPictureFront.VerifyScore = &vs
			break
		}
	}
	if pic != nil {
		mi.FacialPictureFront.PictureURL = pic.URL
		mi.FacialPictureFront.OssBucketName = pic.BucketName
		mi.FacialPictureFront.OssObjectName = pic.ObjectName
	}
	b, _ := marshal(mi)
	out.ResultObject.MaterialInfo = string(b)
	return out, nil
}

func round(f float64) float64 {
	x, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 6, 64), 64)
	return x
}

func marshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// ---- signed picture URLs -----------------------------------------------------------------

// PictureTTL is how long a pictureUrl stays valid (from the Describe call).
const PictureTTL = 15 * time.Minute

// PicturePath is the path of a session's picture.
func PicturePath(certifyID string) string { return "/cloudauth/v1/picture/" + certifyID + ".jpeg" }

// PictureSignature signs (certifyID, expires) with key.
func PictureSignature(key []byte, certifyID string, expires int64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("cloudauth-picture\n" + certifyID + "\n" + strconv.FormatInt(expires, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SignedPicture returns the picture description of session s for tenant t.
func SignedPicture(publicURL string, key []byte, t *faceverify.Tenant, certifyID string, now time.Time) *Picture {
	exp := now.Add(PictureTTL).Unix()
	q := url.Values{"Expires": {strconv.FormatInt(exp, 10)}, "Signature": {PictureSignature(key, certifyID, exp)}}
	return &Picture{
		URL:        strings.TrimRight(publicURL, "/") + PicturePath(certifyID) + "?" + q.Encode(),
		BucketName: "faceverify-" + t.ID,
		ObjectName: "verify/" + t.ID + "/" + certifyID + "_0.jpeg",
	}
}

// CheckPicture verifies a picture URL's query for certifyID at now.
func CheckPicture(key []byte, certifyID string, q url.Values, now time.Time) bool {
	exp, err := strconv.ParseInt(q.Get("Expires"), 10, 64)
	if err != nil || !certifyIDRE.MatchString(certifyID) || now.Unix() > exp || exp-now.Unix() > int64(PictureTTL/time.Second) {
		return false
	}
	want := PictureSignature(key, certifyID, exp)
	return hmac.Equal([]byte(want), []byte(q.Get("Signature")))
}

// ---- callback and return URL -------------------------------------------------------------

// CallbackURL is the GET callback of a finished session: CallbackUrl with certifyId,
// passed (the SubCode) and callbackToken (when set) added. "" when nothing is to be sent:
// no CallbackUrl, or the verification did not complete (cancelled, expired, in progress,
// interrupted by an internal error: "若认证中放弃、异常中断或未进行认证均不会通知").
func CallbackURL(s *faceverify.Session) string {
	if s.Options.NotifyURL == "" || !Completed(s) {
		return ""
	}
	u, err := url.Parse(s.Options.NotifyURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("certifyId", s.Token)
	q.Set("passed", SubCode(s.Verdict.Result))
	if s.Options.NotifyToken != "" {
		q.Set("callbackToken", s.Options.NotifyToken)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// ReturnURL is where the page sends the user at the end: ReturnUrl with certifyId and the
// Web SDK client code (1000 completed and passed, 2006 completed and not passed, 1003
// interrupted: by the user, by expiry or by an internal error).
func ReturnURL(s *faceverify.Session) string {
	u, err := url.Parse(s.Options.ReturnURL)
	if err != nil || s.Options.ReturnURL == "" {
		return s.Options.ReturnURL
	}
	code := "1003"
	if Completed(s) {
		code = "2006"
		if s.Verdict.Result.Passed() {
			code = "1000"
		}
	}
	q := u.Query()
	q.Set("certifyId", s.Token)
	q.Set("code", code)
	u.RawQuery = q.Encode()
	return u.String()
}
