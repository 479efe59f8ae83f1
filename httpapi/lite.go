package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/verify"
)

type liteCall struct {
	w      http.ResponseWriter
	r      *http.Request
	start  time.Time
	reqID  string
	tenant *faceverify.Tenant
}

func (c *liteCall) env() lite.Envelope {
	return lite.Envelope{RequestID: c.reqID, TimeUsed: time.Since(c.start).Milliseconds()}
}

func (s *Server) liteError(c *liteCall, err error) {
	status, msg := lite.ErrorResponse(err)
	if status >= 500 {
		s.deps.Log.Error("lite request failed", "path", c.r.URL.Path, "request_id", c.reqID, "err", err)
	}
	env := c.env()
	writeJSON(c.w, status, lite.ErrorBody{RequestID: env.RequestID, TimeUsed: env.TimeUsed, Error: msg})
}

// lite authenticates the APPCODE for intent in, applies the tenant's concurrency limit and
// runs h.
func (s *Server) lite(in verify.Intent, h func(c *liteCall)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &liteCall{w: w, r: r, start: time.Now(), reqID: NewRequestID(time.Now())}
		defer func() {
			// a panic still answers in the Lite envelope: request_id and time_used are
			// "总返回该字段" (always returned); the server's recoverer would drop them
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.liteError(c, fmt.Errorf("panic: %v", v))
			}
		}()
		auth := strings.TrimSpace(r.Header.Get("Authorization"))
		code, ok := strings.CutPrefix(auth, "APPCODE ")
		code = strings.TrimSpace(code)
		if !ok {
			code = ""
		}
		t, err := s.deps.Service.AuthLite(r.Context(), code, in)
		if err != nil {
			s.liteError(c, err)
			return
		}
		release, err := s.Acquire(t)
		if err != nil {
			w.Header().Set("Connection", "close") // answer now, without waiting for the body
			s.liteError(c, err)
			return
		}
		defer release()
		c.tenant = t
		h(c)
	})
}

func (s *Server) handleGetBizToken(c *liteCall) {
	form, err := ReadForm(c.r, s.deps.MaxBody)
	if err != nil {
		s.liteError(c, err)
		return
	}
	req, err := lite.ParseCreate(form)
	if err != nil {
		s.liteError(c, err)
		return
	}
	ss, err := s.deps.Service.Create(c.r.Context(), c.tenant, req)
	if err != nil {
		s.liteError(c, err)
		return
	}
	env := c.env()
	writeJSON(c.w, http.StatusOK, lite.CreateResponse{RequestID: env.RequestID, TimeUsed: env.TimeUsed, BizToken: ss.Token})
}

func (s *Server) tokenParam(c *liteCall) (string, error) {
	form, err := ReadForm(c.r, 1<<20)
	if err != nil {
		return "", err
	}
	vals := form.Values["biz_token"]
	switch {
	case len(vals) == 0 || strings.TrimSpace(vals[0]) == "":
		return "", faceverify.Missing("biz_token")
	case len(vals) > 1 || len(vals[0]) > 256:
		return "", faceverify.Invalid("biz_token", "malformed biz_token")
	}
	return strings.TrimSpace(vals[0]), nil
}

func (s *Server) handleGetResult(c *liteCall) {
	token, err := s.tokenParam(c)
	if err != nil {
		s.liteError(c, err)
		return
	}
	ss, err := s.deps.Service.Result(c.r.Context(), c.tenant, faceverify.DialectLite, token)
	if err != nil {
		if faceverify.ErrorCode(err) == faceverify.ENOTFOUND {
			err = faceverify.Invalid("biz_token", "unknown biz_token")
		}
		s.liteError(c, err)
		return
	}
	images, err := s.deps.Service.Images(c.r.Context(), ss)
	if err != nil {
		s.liteError(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, lite.RenderResult(c.env(), ss, images))
}

func (s *Server) handleDeleteResult(c *liteCall) {
	token, err := s.tokenParam(c)
	if err != nil {
		s.liteError(c, err)
		return
	}
	if err := s.deps.Service.Delete(c.r.Context(), c.tenant, faceverify.DialectLite, token); err != nil {
		if faceverify.ErrorCode(err) == faceverify.ENOTFOUND {
			err = faceverify.Invalid("biz_token", "unknown biz_token")
		}
		s.liteError(c, err)
		return
	}
	env := c.env()
	writeJSON(c.w, http.StatusOK, map[string]any{"request_id": env.RequestID, "time_used": env.TimeUsed, "biz_token": token, "deleted": true})
}
