package httpapi

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/h5"
	"github.com/faceverify/faceverify/verify"
)

// The JSON API of the page (and of other front ends such as the mini-program). The token
// in the path is the credential. Documented in docs/h5.md ("Page JSON API").

// H5Text is a result with its page text.
type H5Text struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Text    string `json:"text"`
}

// H5Session is the page's view of a session.
type H5Session struct {
	Token         string         `json:"token"`
	State         string         `json:"state"`
	Step          string         `json:"step"` // intro | idcard_front | idcard_back | video | processing | result | expired
	Group         int            `json:"group"`
	IDCardSide    int            `json:"idcard_side"`
	Digits        string         `json:"digits,omitempty"`
	AttemptsLeft  int            `json:"attempts_left"`
	IDCardLeft    map[string]int `json:"idcard_retries_left,omitempty"`
	LastResult    *H5Text        `json:"last_result,omitempty"`
	Result        *H5Text        `json:"result,omitempty"`
	ReturnURL     string         `json:"return_url,omitempty"`
	MaxVideoBytes int64          `json:"max_video_bytes"`
	Dialect       string         `json:"dialect"`
	Lang          string         `json:"lang"`
}

// H5Error is an error body of the page API.
type H5Error struct {
	Error   string     `json:"error"` // TOKEN_INVALID | EXPIRED | USED | BAD_STATE | BAD_REQUEST | TOO_LARGE | RATE_LIMITED | INTERNAL
	Message string     `json:"message"`
	Session *H5Session `json:"session,omitempty"`
}

func text(lang string, r faceverify.Result) *H5Text {
	return &H5Text{Code: r.Code, Message: r.Message, Text: lite.ResultText(lang, r)}
}

func (s *Server) view(ss *faceverify.Session, lang string) *H5Session {
	v := &H5Session{Token: ss.Token, State: string(ss.State), AttemptsLeft: ss.AttemptsLeft(),
		MaxVideoBytes: s.deps.Service.Limits().VideoBytes, Dialect: string(ss.Dialect), Lang: lang}
	if ss.Options.IDFromCard {
		v.Group = 1
	}
	if ss.Options.IDCardFrontOnly {
		v.IDCardSide = 1
	}
	switch ss.State {
	case faceverify.StateCreated:
		v.Step = "intro"
	case faceverify.StateIDCard:
		v.Step = "idcard_front"
		if ss.IDCard != nil && ss.IDCard.Number != "" {
			v.Step = "idcard_back"
		}
		// retakes left per side: idcard_retry_time before the first photo, then photos left
		left := func(side string) int { return min(ss.IDCardAttemptsLeft(side), ss.Options.IDCardRetries) }
		v.IDCardLeft = map[string]int{"front": left("front"), "back": left("back")}
	case faceverify.StateLiveness:
		v.Step = "video"
		v.Digits = ss.Challenge
	case faceverify.StateDeciding:
		v.Step = "processing"
	case faceverify.StateExpired:
		v.Step = "expired"
	default:
		v.Step = "result"
	}
	if ss.LastAttempt != nil && ss.State == faceverify.StateLiveness {
		v.LastResult = text(lang, ss.LastAttempt.Result)
	}
	if ss.State.Terminal() && ss.State != faceverify.StateExpired {
		v.Result = text(lang, ss.Result())
		v.ReturnURL = s.returnURL(ss)
	}
	if ss.State == faceverify.StateExpired {
		v.ReturnURL = s.returnURL(ss) // the page offers a way back to the business
	}
	return v
}

func (s *Server) h5Error(w http.ResponseWriter, r *http.Request, err error, ss *faceverify.Session) {
	lang := h5.Lang(r)
	body := H5Error{Message: err.Error()}
	status := http.StatusBadRequest
	switch faceverify.ErrorCode(err) {
	case faceverify.ENOTFOUND:
		status, body.Error, body.Message = http.StatusNotFound, "TOKEN_INVALID", lite.Text(lang, "TOKEN_INVALID")
	case faceverify.EEXPIRED:
		status, body.Error, body.Message = http.StatusGone, "EXPIRED", lite.Text(lang, "TOKEN_INVALID")
	case faceverify.EUSED:
		status, body.Error = http.StatusConflict, "USED"
	case faceverify.ESTATE, faceverify.ECONFLICT:
		status, body.Error = http.StatusConflict, "BAD_STATE" // ECONFLICT: a concurrent request of the same page won
	case faceverify.ETOOLARGE:
		status, body.Error = http.StatusRequestEntityTooLarge, "TOO_LARGE"
	case faceverify.ERATELIMIT, faceverify.ECONCURRENCY:
		status, body.Error = http.StatusTooManyRequests, "RATE_LIMITED"
	case faceverify.EMISSING, faceverify.EINVALID:
		body.Error = "BAD_REQUEST"
		var fe *faceverify.Error
		if errors.As(err, &fe) {
			body.Message = fe.Message
		}
	default:
		status, body.Error, body.Message = http.StatusInternalServerError, "INTERNAL", lite.Text(lang, "VIDEO_INTERNAL_ERROR")
		s.deps.Log.Error("page request failed", "path", r.URL.Path, "err", err)
	}
	if ss != nil && faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		body.Session = s.view(ss, lang)
	}
	if body.Error == "USED" || body.Error == "BAD_STATE" {
		var fe *faceverify.Error
		if errors.As(err, &fe) {
			body.Message = fe.Message
		}
	}
	writeJSON(w, status, body)
}

func (s *Server) handleH5Session(w http.ResponseWriter, r *http.Request) {
	ss, err := s.deps.Service.Page(r.Context(), r.PathValue("token"))
	if err != nil && ss == nil {
		s.h5Error(w, r, err, nil)
		return
	}
	// expired and used sessions are shown by their state, not as errors
	writeJSON(w, http.StatusOK, s.view(ss, h5.Lang(r)))
}

// upload reads the single file part named field from a multipart body.
func upload(r *http.Request, field string, limit int64) ([]byte, error) {
	part, err := uploadPart(r, field, limit)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(part, limit+1))
}

// uploadPart finds the file part named field of a multipart body and returns it as a
// stream (for videos: read by the use case straight into the blob store). Read errors of
// the stream are *faceverify.Error values: ETOOLARGE past the body limit, EINVALID else.
func uploadPart(r *http.Request, field string, limit int64) (io.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, faceverify.Invalid("Content-Type", "multipart/form-data expected")
	}
	body := http.MaxBytesReader(nil, r.Body, limit+1<<20)
	mr := multipart.NewReader(body, params["boundary"])
	for n := 0; n < maxParts; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if tooLarge(err) {
				return nil, faceverify.Errorf(faceverify.ETOOLARGE, "upload too large")
			}
			return nil, faceverify.Invalid("body", "malformed multipart body")
		}
		if part.FormName() != field {
			part.Close()
			continue
		}
		return partReader{part}, nil
	}
	return nil, faceverify.Missing(field)
}

type partReader struct{ p *multipart.Part }

func (r partReader) Read(b []byte) (int, error) {
	n, err := r.p.Read(b)
	switch {
	case err == nil || err == io.EOF:
	case tooLarge(err):
		err = faceverify.Errorf(faceverify.ETOOLARGE, "upload too large")
	default:
		err = faceverify.Invalid("body", "upload interrupted")
	}
	return n, err
}

// H5IDCardResponse answers one ID card photo.
type H5IDCardResponse struct {
	Accepted bool    `json:"accepted"`
	Result   *H5Text `json:"result,omitempty"`
	// Retake names the photo problem of a refused photo (cut | small | blur | glare), absent
	// when none was seen; the page shows its retake text (docs/h5.md).
	Retake  string     `json:"retake,omitempty"`
	Final   bool       `json:"final"`
	Session *H5Session `json:"session"`
}

func (s *Server) handleH5IDCard(w http.ResponseWriter, r *http.Request) {
	side := r.URL.Query().Get("side")
	img, err := upload(r, "image", s.deps.Service.Limits().ImageBytes)
	if err != nil {
		s.h5Error(w, r, err, nil)
		return
	}
	out, err := s.deps.Service.SubmitIDCard(r.Context(), r.PathValue("token"), side, img)
	if err != nil {
		s.h5Error(w, r, err, out.SessionOrNil())
		return
	}
	lang := h5.Lang(r)
	resp := H5IDCardResponse{Accepted: out.Result.IsZero(), Final: out.Final, Session: s.view(out.Session, lang)}
	if !out.Result.IsZero() {
		resp.Result = text(lang, out.Result)
		resp.Retake = out.Retake
	}
	writeJSON(w, http.StatusOK, resp)
}

// H5VideoResponse answers a video upload.
type H5VideoResponse struct {
	Accepted bool       `json:"accepted"` // queued for the verdict
	Result   *H5Text    `json:"result,omitempty"`
	Session  *H5Session `json:"session"`
}

func (s *Server) handleH5Video(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	// streamed: the part goes through the use case into the blob store, never whole in memory
	part, err := uploadPart(r, "video", s.deps.Service.Limits().VideoBytes)
	var out *verify.VideoOutcome
	switch {
	case faceverify.ErrorCode(err) == faceverify.ETOOLARGE:
		// an oversized video is a failed attempt (VIDEO_TOO_LARGE), not a transport error
		out, err = s.deps.Service.RejectOversizedVideo(r.Context(), token)
	case err == nil:
		out, err = s.deps.Service.SubmitVideo(r.Context(), token, part)
	}
	if err != nil {
		s.h5Error(w, r, err, out.SessionOrNil())
		return
	}
	lang := h5.Lang(r)
	resp := H5VideoResponse{Accepted: out.Result.IsZero(), Session: s.view(out.Session, lang)}
	if !out.Result.IsZero() {
		resp.Result = text(lang, out.Result)
	}
	status := http.StatusAccepted
	if !resp.Accepted {
		status = http.StatusOK
	}
	writeJSON(w, status, resp)
}

func (s *Server) handleH5Cancel(w http.ResponseWriter, r *http.Request) {
	ss, err := s.deps.Service.Cancel(r.Context(), r.PathValue("token"))
	if err != nil {
		s.h5Error(w, r, err, ss)
		return
	}
	writeJSON(w, http.StatusOK, s.view(ss, h5.Lang(r)))
}
