package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/cloudauth"
	"github.com/faceverify/faceverify/verify"
)

// Cloudauth serves the Alibaba Cloud Cloudauth RPC endpoint (POST / and GET /, actions
// InitFaceVerify and DescribeFaceVerify, POP signatures v1 and V3) and the signed picture
// URLs of DescribeFaceVerify (routes in routes.go). It decodes through dialect/cloudauth,
// calls the verify use cases (authentication included) and renders; it decides nothing
// itself.
type Cloudauth struct {
	Service    UseCases
	Log        *slog.Logger
	PublicURL  string // base of CertifyUrl and pictureUrl
	PictureKey []byte // signs pictureUrl (derived from the key ring by the wiring)
	MaxBody    int64  // request body limit (20 MB)
	// HTTPCallbackHosts may receive a plain-http CallbackUrl (--cloudauth-http-callback-hosts).
	HTTPCallbackHosts []string
	// Acquire takes a per-tenant in-flight slot (Server.Acquire); nil = no limit.
	Acquire func(*faceverify.Tenant) (func(), error)
}

func (c *Cloudauth) log() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

func (c *Cloudauth) fail(w http.ResponseWriter, r *http.Request, reqID string, err error) {
	status, body := cloudauth.ErrorResponse(err, reqID, r.Host)
	if status >= 500 || body.Code == cloudauth.CodeInternal {
		c.log().Error("cloudauth request failed", "request_id", reqID, "err", err)
	}
	writeJSON(w, status, body)
}

// readBody reads the raw body (at most max bytes) and, for a form body, its parameters.
func readRPCBody(r *http.Request, max int64) ([]byte, url.Values, error) {
	if r.Method == http.MethodGet || r.Body == nil {
		return nil, nil, nil
	}
	if r.ContentLength > max {
		return nil, nil, faceverify.Errorf(faceverify.ETOOLARGE, "request body over %d bytes", max)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, max))
	if err != nil {
		if tooLarge(err) {
			return nil, nil, faceverify.Errorf(faceverify.ETOOLARGE, "request body too large")
		}
		return nil, nil, cloudauth.NewPopError("InvalidParameter", "unreadable body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return body, nil, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, nil, cloudauth.NewPopError("InvalidParameter", "the body must be application/x-www-form-urlencoded")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, nil, cloudauth.NewPopError("InvalidParameter", "malformed form body")
	}
	return body, form, nil
}

func (c *Cloudauth) handleRPC(w http.ResponseWriter, r *http.Request) {
	reqID := cloudauth.NewRequestID()
	ctx := r.Context()
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		c.fail(w, r, reqID, cloudauth.NewPopError("InvalidParameter", "malformed query string"))
		return
	}
	max := c.MaxBody
	if max <= 0 {
		max = 20 << 20
	}
	body, form, err := readRPCBody(r, max)
	if err != nil {
		c.fail(w, r, reqID, err)
		return
	}
	auth, err := cloudauth.ParseAuth(cloudauth.Incoming{Method: r.Method, Path: r.URL.Path, Query: query, Form: form,
		Header: r.Header, Host: r.Host, Body: body})
	if err != nil {
		c.fail(w, r, reqID, err)
		return
	}
	t, err := c.Service.AuthCloudauth(ctx, verify.SignedCall{KeyID: auth.AccessKeyID, Nonce: auth.Nonce, At: auth.Timestamp, Verify: auth.Verify})
	if err != nil {
		c.fail(w, r, reqID, err)
		return
	}
	if err := cloudauth.CheckEnvelope(auth); err != nil {
		c.fail(w, r, reqID, err)
		return
	}
	if c.Acquire != nil {
		release, err := c.Acquire(t)
		if err != nil {
			c.fail(w, r, reqID, err)
			return
		}
		defer release()
	}
	switch auth.Action {
	case cloudauth.ActionInit:
		c.initFaceVerify(ctx, w, r, reqID, t, auth.Params)
	case cloudauth.ActionDescribe:
		c.describeFaceVerify(ctx, w, r, reqID, t, auth.Params)
	case cloudauth.ActionDelete:
		c.deleteFaceVerifyResult(ctx, w, r, reqID, t, auth.Params)
	}
}

// deleteFaceVerifyResult erases a session of tenant t: images, templates, personal data.
func (c *Cloudauth) deleteFaceVerifyResult(ctx context.Context, w http.ResponseWriter, r *http.Request, reqID string, t *faceverify.Tenant, p url.Values) {
	id, err := cloudauth.ParseDelete(p)
	if err == nil {
		err = c.Service.Delete(ctx, t, faceverify.DialectCloudauth, id)
	}
	if err != nil {
		c.fail(w, r, reqID, err)
		return
	}
	writeJSON(w, http.StatusOK, cloudauth.RenderDelete(reqID, id))
}

func (c *Cloudauth) initFaceVerify(ctx context.Context, w http.ResponseWriter, r *http.Request, reqID string, t *faceverify.Tenant, p url.Values) {
	req, err := cloudauth.ParseInit(p, t, cloudauth.InitPolicy{MaxImage: c.Service.Limits().ImageBytes, HTTPCallbackHosts: c.HTTPCallbackHosts})
	if err != nil {
		c.log().Info("InitFaceVerify refused", "request_id", reqID, "param", faceverify.ErrorKey(err))
		c.fail(w, r, reqID, err)
		return
	}
	ss, err := c.Service.Create(ctx, t, req)
	if err != nil {
		var fe *faceverify.Error
		if errors.As(err, &fe) && fe.Code == faceverify.EINVALID && strings.HasPrefix(fe.Key, "image_ref") {
			err = faceverify.Invalid("FaceContrastPicture", fe.Message)
		}
		c.fail(w, r, reqID, err)
		return
	}
	writeJSON(w, http.StatusOK, cloudauth.RenderInit(reqID, c.PublicURL, ss))
}

func (c *Cloudauth) describeFaceVerify(ctx context.Context, w http.ResponseWriter, r *http.Request, reqID string, t *faceverify.Tenant, p url.Values) {
	id, err := cloudauth.ParseDescribe(p, t)
	if err != nil {
		c.fail(w, r, reqID, err)
		return
	}
	ss, err := c.Service.Result(ctx, t, faceverify.DialectCloudauth, id)
	if err != nil {
		c.fail(w, r, reqID, err)
		return
	}
	var pic *cloudauth.Picture
	if ss.Images["image_best"] != "" {
		pic = cloudauth.SignedPicture(c.PublicURL, c.PictureKey, t, ss.Token, c.Service.Now())
	}
	out, err := cloudauth.RenderDescribe(reqID, ss, pic)
	if err != nil {
		c.fail(w, r, reqID, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handlePicture serves the best live frame behind a signed, expiring URL.
func (c *Cloudauth) handlePicture(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".jpeg")
	notFound := func() { http.Error(w, "not found", http.StatusNotFound) }
	if !ok || !cloudauth.CheckPicture(c.PictureKey, id, r.URL.Query(), c.Service.Now()) {
		http.Error(w, "forbidden: the picture URL is invalid or expired", http.StatusForbidden)
		return
	}
	data, err := c.Service.BestImage(r.Context(), id)
	if err != nil {
		if faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
			c.log().Error("picture not served", "err", err)
		}
		notFound()
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(data)
}
