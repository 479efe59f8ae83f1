// Package console is the review console of faceverify: server-rendered pages under
// /console/ (embedded with //go:embed, no script at all, no CDN), in Simplified Chinese and
// English. Operators sign in (cookie HttpOnly, SameSite=Strict, Secure behind TLS; a CSRF
// token on every change; failed sign-ins rate-limited), list and inspect sessions with
// personal data masked unless revealed, erase them, retry callbacks and change tenants.
// Handlers call the console use cases (verify.Console) only: every action is audited there.
package console

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/clientip"
	"github.com/faceverify/faceverify/verify"
)

//go:embed assets templates
var files embed.FS

// UseCases are the console use cases the handlers call (implemented by *verify.Console).
type UseCases interface {
	SignIn(ctx context.Context, name, password string) (string, *verify.Signed, error)
	Authenticate(ctx context.Context, cookie string) (*verify.Signed, error)
	SignOut(ctx context.Context, cookie string, sg *verify.Signed) error
	Sessions(ctx context.Context, sg *verify.Signed, q verify.ListQuery) ([]faceverify.SessionRow, error)
	Session(ctx context.Context, sg *verify.Signed, token string) (*verify.SessionView, error)
	Reveal(ctx context.Context, sg *verify.Signed, token string) (*verify.SessionView, error)
	Image(ctx context.Context, sg *verify.Signed, token, name string) ([]byte, error)
	Erase(ctx context.Context, sg *verify.Signed, token string) error
	RetryCallback(ctx context.Context, sg *verify.Signed, token string, jobID int64) error
	Audit(ctx context.Context, sg *verify.Signed, target string, beforeID int64, limit int) ([]faceverify.AuditEntry, error)
	Tenants(ctx context.Context, sg *verify.Signed) ([]*faceverify.Tenant, error)
	Tenant(ctx context.Context, sg *verify.Signed, id string, days int) (*faceverify.Tenant, []faceverify.UsageDay, error)
	ChangeTenant(ctx context.Context, sg *verify.Signed, id string, ch verify.TenantChange) (*faceverify.Tenant, error)
	RotateKeys(ctx context.Context, sg *verify.Signed, id string) (*verify.Credentials, error)
}

var _ UseCases = (*verify.Console)(nil)

// Options configure the console.
type Options struct {
	Log *slog.Logger
	// Secure marks the cookie Secure (the public URL is https); a request over TLS gets
	// it anyway.
	Secure bool
	// SignInFailures failed sign-ins per client address (and per name) within
	// SignInWindow lock further tries out until the window passes (5 in 15 min). The
	// counts are kept in this process's memory.
	SignInFailures int
	SignInWindow   time.Duration
	Now            func() time.Time // clock of the rate limiter (nil = time.Now)
	// TrustedProxies are the reverse proxies (--trusted-proxies) whose X-Forwarded-For
	// names the client address the sign-in limit counts; from any other peer the header
	// is ignored and the peer address counts.
	TrustedProxies clientip.Trusted
}

const (
	cookieName = "fv_console"
	prefix     = "/console/"
)

// Handler serves the console under /console/.
type Handler struct {
	uc    UseCases
	opt   Options
	tpl   *template.Template
	css   []byte
	mux   *http.ServeMux
	fails *failures
}

// New returns the console handler.
func New(uc UseCases, opt Options) *Handler {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.SignInFailures == 0 {
		opt.SignInFailures = 5
	}
	if opt.SignInWindow == 0 {
		opt.SignInWindow = 15 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	h := &Handler{uc: uc, opt: opt, mux: http.NewServeMux(), fails: &failures{at: map[string][]time.Time{}}}
	h.tpl = template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/*.html"))
	h.css, _ = files.ReadFile("assets/console.css")
	m := h.mux
	m.HandleFunc("GET /console/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, prefix+"sessions", http.StatusSeeOther)
	})
	m.HandleFunc("GET /console/assets/console.css", h.handleCSS)
	m.HandleFunc("GET /console/lang", h.handleLang)
	m.HandleFunc("GET /console/login", h.handleLoginPage)
	m.HandleFunc("POST /console/login", h.handleLogin)
	m.HandleFunc("POST /console/logout", h.change(h.handleLogout))
	m.HandleFunc("GET /console/sessions", h.signed(h.handleList))
	m.HandleFunc("GET /console/sessions/{token}", h.signed(h.handleDetail))
	m.HandleFunc("POST /console/sessions/{token}/reveal", h.change(h.handleReveal))
	m.HandleFunc("GET /console/sessions/{token}/images/{name}", h.signed(h.handleImage))
	m.HandleFunc("POST /console/sessions/{token}/erase", h.change(h.handleErase))
	m.HandleFunc("POST /console/sessions/{token}/callbacks/{job}/retry", h.change(h.handleRetry))
	m.HandleFunc("GET /console/tenants", h.signed(h.handleTenants))
	m.HandleFunc("GET /console/tenants/{id}", h.signed(h.handleTenant))
	m.HandleFunc("POST /console/tenants/{id}", h.change(h.handleTenantChange))
	m.HandleFunc("GET /console/audit", h.signed(h.handleAudit))
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, nil, http.StatusNotFound)
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "+
		"frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin") // no-referrer would make form posts send Origin: null
	hd.Set("Cache-Control", "no-store")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.opt.Log.Error("console: panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
			h.errorPage(w, r, nil, http.StatusInternalServerError)
		}
	}()
	h.mux.ServeHTTP(w, r)
}

// ---- authentication --------------------------------------------------------------------

type ctxKey struct{}

func signedIn(r *http.Request) *verify.Signed {
	sg, _ := r.Context().Value(ctxKey{}).(*verify.Signed)
	return sg
}

// signed requires a valid sign-in; without one the sign-in page answers 401.
func (h *Handler) signed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		if err != nil {
			h.loginPage(w, r, http.StatusUnauthorized, "signed_out")
			return
		}
		sg, err := h.uc.Authenticate(r.Context(), c.Value)
		if faceverify.ErrorCode(err) == faceverify.EUNAUTHORIZED {
			h.clearCookie(w, r)
			h.loginPage(w, r, http.StatusUnauthorized, "signed_out")
			return
		}
		if err != nil {
			h.fail503(w, r, err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sg)))
	}
}

// change requires a sign-in, a same-origin request and the sign-in's CSRF token.
func (h *Handler) change(next http.HandlerFunc) http.HandlerFunc {
	return h.signed(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			h.errorPage(w, r, signedIn(r), http.StatusBadRequest)
			return
		}
		if !sameOrigin(r) || verify.CheckCSRF(signedIn(r), r.PostForm.Get("csrf")) != nil {
			h.errorPage(w, r, signedIn(r), http.StatusForbidden)
			return
		}
		next(w, r)
	})
}

// sameOrigin refuses a change whose Origin header (browsers send it on POST) names
// another host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (h *Handler) secure(r *http.Request) bool { return h.opt.Secure || r.TLS != nil }

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: prefix, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
}

func (h *Handler) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	h.loginPage(w, r, http.StatusOK, "")
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "login", page{Msg: msg})
}

// clientAddr is the rate-limit key of the request's client: the peer, or behind a
// trusted proxy the address X-Forwarded-For gives (an IPv6 client by its /64).
func (h *Handler) clientAddr(r *http.Request) string { return h.opt.TrustedProxies.KeyFor(r) }

func (h *Handler) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.loginPage(w, r, http.StatusBadRequest, "wrong_password")
		return
	}
	if !sameOrigin(r) {
		h.errorPage(w, r, nil, http.StatusForbidden)
		return
	}
	name, pw := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("password")
	now := h.opt.Now()
	keys := []string{"addr:" + h.clientAddr(r), "name:" + strings.ToLower(name)}
	if h.fails.limited(keys, now, h.opt.SignInFailures, h.opt.SignInWindow) {
		h.loginPage(w, r, http.StatusTooManyRequests, "rate_limited")
		return
	}
	cookie, sg, err := h.uc.SignIn(r.Context(), name, pw)
	switch faceverify.ErrorCode(err) {
	case "":
	case faceverify.EUNAUTHORIZED:
		h.fails.add(keys, now)
		h.loginPage(w, r, http.StatusUnauthorized, "wrong_password")
		return
	default:
		h.fail503(w, r, err)
		return
	}
	h.fails.reset(keys[1])
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: cookie, Path: prefix, Expires: sg.Expires, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
	http.Redirect(w, r, prefix+"sessions", http.StatusSeeOther)
}

func (h *Handler) handleLogout(w http.ResponseWriter, r *http.Request) {
	c, _ := r.Cookie(cookieName)
	if err := h.uc.SignOut(r.Context(), c.Value, signedIn(r)); err != nil {
		h.fail503(w, r, err)
		return
	}
	h.clearCookie(w, r)
	http.Redirect(w, r, prefix+"login", http.StatusSeeOther)
}

// failures counts failed sign-ins per key (client address, name) in a sliding window.
type failures struct {
	mu sync.Mutex
	at map[string][]time.Time
}

func (f *failures) limited(keys []string, now time.Time, n int, window time.Duration) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := false
	for _, k := range keys {
		kept := f.at[k][:0]
		for _, t := range f.at[k] {
			if now.Sub(t) < window {
				kept = append(kept, t)
			}
		}
		if len(kept) == 0 {
			delete(f.at, k)
		} else {
			f.at[k] = kept
		}
		if len(kept) >= n {
			out = true
		}
	}
	return out
}

func (f *failures) add(keys []string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.at) > 100_000 { // bounded memory under a spray of names
		f.at = map[string][]time.Time{}
	}
	for _, k := range keys {
		f.at[k] = append(f.at[k], now)
	}
}

func (f *failures) reset(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.at, key)
}

// ---- pages -----------------------------------------------------------------------------

type page struct {
	Lang, Path, Msg, Notice string
	Signed                  *verify.Signed
	Status                  int
	Data                    any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Lang, p.Path, p.Status = lang(r), r.URL.RequestURI(), status
	if p.Signed == nil {
		p.Signed = signedIn(r)
	}
	var buf bytes.Buffer
	if err := h.tpl.ExecuteTemplate(&buf, name, p); err != nil {
		h.opt.Log.Error("console: template", "page", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("console error\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, sg *verify.Signed, status int) {
	h.render(w, r, status, "error", page{Signed: sg, Msg: "e_" + strconv.Itoa(status)})
}

// fail503 logs a store failure and shows the generic error page (never the error text).
func (h *Handler) fail503(w http.ResponseWriter, r *http.Request, err error) {
	h.opt.Log.Error("console: use case failed", "path", r.URL.Path, "err", err)
	h.errorPage(w, r, signedIn(r), http.StatusServiceUnavailable)
}

// fail maps a use case error to its page: bad input 400, unknown 404, wrong state 409,
// anything else (the store) 503.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch faceverify.ErrorCode(err) {
	case faceverify.EINVALID, faceverify.EMISSING:
		h.errorPage(w, r, signedIn(r), http.StatusBadRequest)
	case faceverify.ENOTFOUND:
		h.errorPage(w, r, signedIn(r), http.StatusNotFound)
	case faceverify.ESTATE, faceverify.ECONFLICT:
		h.errorPage(w, r, signedIn(r), http.StatusConflict)
	case faceverify.EUNAUTHORIZED:
		h.errorPage(w, r, signedIn(r), http.StatusForbidden)
	default:
		h.fail503(w, r, err)
	}
}

func (h *Handler) handleCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(h.css)
}

// handleLang sets the language cookie and goes back to a console page.
func (h *Handler) handleLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("to")
	if l != "en" && l != "zh" {
		h.errorPage(w, r, nil, http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "fv_console_lang", Value: l, Path: prefix, MaxAge: 365 * 86400,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r), HttpOnly: true})
	back := r.URL.Query().Get("back")
	if !strings.HasPrefix(back, prefix) || strings.HasPrefix(back, "//") || strings.Contains(back, "\\") {
		back = prefix + "sessions"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// ---- sessions --------------------------------------------------------------------------

type listData struct {
	Q       url.Values
	Rows    []faceverify.SessionRow
	Next    string // query of the next page ("" = last page)
	States  []faceverify.State
	Tenants []*faceverify.Tenant
	Names   map[string]string // tenant id → name
	Codes   []int
}

func (h *Handler) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq := verify.ListQuery{TenantID: q.Get("tenant"), Dialect: q.Get("dialect"), State: q.Get("state"),
		ExternalRef: strings.TrimSpace(q.Get("ref")), Before: q.Get("before")}
	bad := false
	if v := q.Get("code"); v != "" {
		n, err := strconv.Atoi(v)
		bad = bad || err != nil
		lq.ResultCode = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		bad = bad || err != nil || n < 1
		lq.Limit = n
	}
	for _, d := range []struct {
		key string
		dst *time.Time
		add time.Duration
	}{{"from", &lq.From, 0}, {"to", &lq.To, 24 * time.Hour}} {
		if v := q.Get(d.key); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, time.UTC)
			bad = bad || err != nil
			*d.dst = t.Add(d.add)
		}
	}
	if bad {
		h.errorPage(w, r, signedIn(r), http.StatusBadRequest)
		return
	}
	rows, err := h.uc.Sessions(r.Context(), signedIn(r), lq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tenants, err := h.uc.Tenants(r.Context(), signedIn(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := listData{Q: q, Rows: rows, States: verify.States, Tenants: tenants, Codes: resultCodes(), Names: map[string]string{}}
	for _, t := range tenants {
		d.Names[t.ID] = t.Name
	}
	limit := lq.Limit
	if limit == 0 {
		limit = 50
	}
	if len(rows) == limit {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("before", verify.Cursor(rows[len(rows)-1]))
		d.Next = nq.Encode()
	}
	notice := ""
	if q.Get("erased") == "1" {
		notice = "erased"
	}
	h.render(w, r, http.StatusOK, "sessions", page{Data: d, Notice: notice})
}

func resultCodes() []int {
	seen := map[int]bool{}
	var out []int
	for _, r := range faceverify.Results {
		if !seen[r.Code] {
			seen[r.Code] = true
			out = append(out, r.Code)
		}
	}
	sort.Ints(out)
	return out
}

type scoreRow struct {
	Key, Value, Group string
	Hot               bool
}

// scoreGroup is one check's scores: the row of the detail page's score table.
type scoreGroup struct {
	Name  string
	Hot   bool // this check decides the attempt's result
	Items []scoreRow
}

func groupScores(rows []scoreRow) []scoreGroup {
	var out []scoreGroup
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Name != r.Group {
			out = append(out, scoreGroup{Name: r.Group})
		}
		g := &out[len(out)-1]
		g.Items = append(g.Items, r)
		g.Hot = g.Hot || r.Hot
	}
	return out
}

type compRow struct {
	Name                              string
	Similarity, Confidence, Threshold float64
	Passed                            bool
	Thresholds                        string
}

type detailData struct {
	V           *verify.SessionView
	Result      faceverify.Result
	Why         string
	Liveness    *faceverify.Liveness // of the verdict, or the last failed attempt
	Scores      []scoreGroup
	Comparisons []compRow
	Audit       []faceverify.AuditEntry
}

func (h *Handler) handleDetail(w http.ResponseWriter, r *http.Request) {
	v, err := h.uc.Session(r.Context(), signedIn(r), r.PathValue("token"))
	h.detail(w, r, v, err, r.URL.Query().Get("retried") == "1")
}

func (h *Handler) handleReveal(w http.ResponseWriter, r *http.Request) {
	v, err := h.uc.Reveal(r.Context(), signedIn(r), r.PathValue("token"))
	h.detail(w, r, v, err, false)
}

func (h *Handler) detail(w http.ResponseWriter, r *http.Request, v *verify.SessionView, err error, retried bool) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := lang(r)
	ss := v.Session
	d := detailData{V: v, Result: ss.Result()}
	d.Why = resultText(l, d.Result.Message)
	if ss.Verdict != nil && ss.Verdict.Liveness != nil {
		d.Liveness = ss.Verdict.Liveness
	} else if ss.LastAttempt != nil {
		d.Liveness = ss.LastAttempt
	}
	if d.Liveness != nil {
		d.Scores = groupScores(scoreRows(l, d.Liveness))
	}
	if ss.Verdict != nil {
		names := make([]string, 0, len(ss.Verdict.Verification))
		for n := range ss.Verdict.Verification {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := ss.Verdict.Verification[n]
			var thr []string
			for _, k := range []string{"1e-3", "1e-4", "1e-5", "1e-6"} {
				if x, ok := c.Thresholds[k]; ok {
					thr = append(thr, fmt.Sprintf("%s: %.2f", k, x))
				}
			}
			d.Comparisons = append(d.Comparisons, compRow{n, c.Similarity, c.Confidence, c.Threshold, c.Passed, strings.Join(thr, " · ")})
		}
	}
	d.Audit, err = h.uc.Audit(r.Context(), signedIn(r), ss.Token, 0, 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	notice := ""
	if retried {
		notice = "retried"
	}
	h.render(w, r, http.StatusOK, "detail", page{Data: d, Notice: notice})
}

func scoreRows(l string, rep *faceverify.Liveness) []scoreRow {
	keys := make([]string, 0, len(rep.Scores))
	for k := range rep.Scores {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []scoreRow
	for _, k := range keys {
		row := scoreRow{Key: k, Value: strconv.FormatFloat(rep.Scores[k], 'f', -1, 64)}
		for _, g := range scoreGroups {
			if hasPrefix(k, g.Prefix) {
				row.Group = g.Name[0]
				if l == "en" {
					row.Group = g.Name[1]
				}
				for _, m := range g.Decides {
					row.Hot = row.Hot || m == rep.Result.Message
				}
				break
			}
		}
		out = append(out, row)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Group < out[b].Group })
	return out
}

func hasPrefix(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (h *Handler) handleImage(w http.ResponseWriter, r *http.Request) {
	img, err := h.uc.Image(r.Context(), signedIn(r), r.PathValue("token"), r.PathValue("name"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ct := http.DetectContentType(img)
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(img)
}

func (h *Handler) handleErase(w http.ResponseWriter, r *http.Request) {
	if r.PostForm.Get("confirm") != "yes" {
		h.errorPage(w, r, signedIn(r), http.StatusBadRequest)
		return
	}
	if err := h.uc.Erase(r.Context(), signedIn(r), r.PathValue("token")); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, prefix+"sessions?erased=1", http.StatusSeeOther)
}

func (h *Handler) handleRetry(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("job"), 10, 64)
	if err != nil || id <= 0 {
		h.errorPage(w, r, signedIn(r), http.StatusNotFound)
		return
	}
	tok := r.PathValue("token")
	if err := h.uc.RetryCallback(r.Context(), signedIn(r), tok, id); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, prefix+"sessions/"+url.PathEscape(tok)+"?retried=1", http.StatusSeeOther)
}

// ---- tenants ---------------------------------------------------------------------------

func (h *Handler) handleTenants(w http.ResponseWriter, r *http.Request) {
	ts, err := h.uc.Tenants(r.Context(), signedIn(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "tenants", page{Data: ts})
}

type usageRow struct {
	Day      string
	Total    int
	PassRate string
	ByCode   string
}

type tenantData struct {
	T     *faceverify.Tenant
	Usage []usageRow
	Keys  *verify.Credentials // just rotated: shown once
	Audit []faceverify.AuditEntry
}

func usageRows(us []faceverify.UsageDay) []usageRow {
	var out []usageRow
	idx := map[string]int{}
	codes := map[string]map[int]int{}
	for _, u := range us {
		day := u.Day.Format("2006-01-02")
		i, ok := idx[day]
		if !ok {
			i = len(out)
			idx[day] = i
			out = append(out, usageRow{Day: day})
			codes[day] = map[int]int{}
		}
		out[i].Total += u.Count
		codes[day][u.ResultCode] += u.Count
	}
	for i := range out {
		c := codes[out[i].Day]
		ks := make([]int, 0, len(c))
		for k := range c {
			ks = append(ks, k)
		}
		sort.Ints(ks)
		var parts []string
		for _, k := range ks {
			label := strconv.Itoa(k)
			if k == 0 {
				label = "…"
			}
			parts = append(parts, fmt.Sprintf("%s×%d", label, c[k]))
		}
		out[i].ByCode = strings.Join(parts, "  ")
		if out[i].Total > 0 {
			out[i].PassRate = fmt.Sprintf("%.1f%%", 100*float64(c[1000])/float64(out[i].Total))
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func (h *Handler) handleTenant(w http.ResponseWriter, r *http.Request) {
	h.tenant(w, r, nil)
}

func (h *Handler) tenant(w http.ResponseWriter, r *http.Request, keys *verify.Credentials) {
	id := r.PathValue("id")
	t, us, err := h.uc.Tenant(r.Context(), signedIn(r), id, 30)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	au, err := h.uc.Audit(r.Context(), signedIn(r), "tenant:"+id, 0, 20)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "tenant", page{Data: tenantData{T: t, Usage: usageRows(us), Keys: keys, Audit: au}})
}

// switches are the tenant page's on/off buttons: the action that sets each setting and
// the one that clears it (the words of `admin app update --disable-key`, … with '_').
var switches = []struct {
	set, clear string
	field      func(*verify.TenantChange) **bool
}{
	{"disable", "enable", func(c *verify.TenantChange) **bool { return &c.Disabled }},
	{"disable_key", "enable_key", func(c *verify.TenantChange) **bool { return &c.KeyDisabled }},
	{"lip_sync_off", "lip_sync_on", func(c *verify.TenantChange) **bool { return &c.LipSyncOff }},
}

// setSwitch makes ch set or clear the setting that action names; false for any other action.
func setSwitch(ch *verify.TenantChange, action string) bool {
	for _, sw := range switches {
		if action == sw.set || action == sw.clear {
			v := action == sw.set
			*sw.field(ch) = &v
			return true
		}
	}
	return false
}

func (h *Handler) handleTenantChange(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var ch verify.TenantChange
	switch action := r.PostForm.Get("action"); {
	case setSwitch(&ch, action):
	case action == "limits": // quota and concurrency, as `admin app update --quota N --concurrency N`
		var ok bool
		if ch.Quota, ch.Concurrency, ok = limits(r.PostForm.Get("quota"), r.PostForm.Get("concurrency")); !ok {
			h.errorPage(w, r, signedIn(r), http.StatusBadRequest)
			return
		}
	case action == "rotate_keys":
		keys, err := h.uc.RotateKeys(r.Context(), signedIn(r), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.tenant(w, r, keys)
		return
	default:
		h.errorPage(w, r, signedIn(r), http.StatusBadRequest)
		return
	}
	if _, err := h.uc.ChangeTenant(r.Context(), signedIn(r), id, ch); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, prefix+"tenants/"+url.PathEscape(id), http.StatusSeeOther)
}

// MaxConcurrency is the largest per-tenant concurrency the console accepts.
const MaxConcurrency = 100_000

// limits parses the quota (-1 = unlimited) and concurrency (0 = server default) fields of
// the tenant page; an empty field is left as it is. ok is false for anything but a
// whole number in range (the use case checks the lower bounds again).
func limits(quota, concurrency string) (q *int64, c *int, ok bool) {
	quota, concurrency = strings.TrimSpace(quota), strings.TrimSpace(concurrency)
	if quota == "" && concurrency == "" {
		return nil, nil, false
	}
	if quota != "" {
		n, err := strconv.ParseInt(quota, 10, 64)
		if err != nil || n < -1 {
			return nil, nil, false
		}
		q = &n
	}
	if concurrency != "" {
		n, err := strconv.Atoi(concurrency)
		if err != nil || n < 0 || n > MaxConcurrency {
			return nil, nil, false
		}
		c = &n
	}
	return q, c, true
}

// ---- audit -----------------------------------------------------------------------------

type auditData struct {
	Entries []faceverify.AuditEntry
	Target  string
	Next    string
}

func (h *Handler) handleAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			h.errorPage(w, r, signedIn(r), http.StatusBadRequest)
			return
		}
		before = n
	}
	const limit = 100
	es, err := h.uc.Audit(r.Context(), signedIn(r), q.Get("target"), before, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := auditData{Entries: es, Target: q.Get("target")}
	if len(es) == limit {
		d.Next = url.Values{"target": {d.Target}, "before": {strconv.FormatInt(es[len(es)-1].ID, 10)}}.Encode()
	}
	h.render(w, r, http.StatusOK, "audit", page{Data: d})
}

// ---- template functions ----------------------------------------------------------------

var funcs = template.FuncMap{
	"t": t,
	"when": func(at time.Time) string {
		if at.IsZero() {
			return "—"
		}
		return at.UTC().Format("2006-01-02 15:04:05")
	},
	"esc":  url.PathEscape,
	"pct":  func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
	"sim":  func(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) },
	"lang": func(l string) string { return map[string]string{"en": "zh", "zh": "en"}[l] },
	"short": func(s string) string {
		if len(s) <= 20 {
			return s
		}
		return s[:12] + "…" + s[len(s)-6:]
	},
	"retryable": func(j verify.JobView) bool {
		return j.Kind == faceverify.JobNotify && (j.State == faceverify.JobFailed || j.State == faceverify.JobQueued)
	},
	"sel": func(a, b string) bool { return a == b },
	"hasHistory": func(ev []verify.Event) bool {
		for _, e := range ev {
			if e.Change != nil {
				return true
			}
		}
		return false
	},
	"actor": func(l, a string) string {
		if name, ok := strings.CutPrefix(a, faceverify.ActorOperator); ok {
			return t(l, "actor_operator") + " " + name
		}
		return t(l, "actor_"+a)
	},
	"itoa": strconv.Itoa,
	"list": func(s ...string) []string { return s },
	"htmlLang": func(l string) string {
		if l == "en" {
			return "en"
		}
		return "zh-CN"
	},
}
