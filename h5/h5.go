// Package h5 is the end user's verification page: one HTML document, one script and one
// style sheet, embedded in the binary (no CDN, works offline), in Simplified Chinese and
// English. The page drives the JSON page API of package httpapi (/h5/v1/sessions/{token});
// it holds no state of its own besides the user's consent for this tab, and decides nothing.
//
// Routes (registered in httpapi/routes.go): GET /lite/v1/do/{token} and
// GET /cloudauth/v1/do/{token} serve the page; GET /h5/{file} serves its assets, including
// /h5/metainfo.js, which business pages may include to call window.getMetaInfo().
package h5

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// Options configure the page handler.
type Options struct {
	// Lang picks "zh" or "en" for a request (the page API uses the same rule); nil = Lang.
	Lang func(*http.Request) string
	// APIBase is the path prefix of the page API; "" = "/h5/v1/sessions/".
	APIBase string
}

type asset struct {
	body  []byte
	ctype string
	etag  string
}

type handler struct {
	opt    Options
	files  map[string]asset // by name below assets/ ("app.js")
	page   *template.Template
	verTag string // short content hash of the assets, busts caches on upgrade
}

// Handler returns the page handler.
func Handler(opt Options) http.Handler {
	if opt.Lang == nil {
		opt.Lang = Lang
	}
	if opt.APIBase == "" {
		opt.APIBase = "/h5/v1/sessions/"
	}
	h := &handler{opt: opt, files: map[string]asset{}}
	all := sha256.New()
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		all.Write(sum[:])
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.files[strings.TrimPrefix(p, "assets/")] = asset{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic(err) // embedded at build time: cannot fail at run time
	}
	h.verTag = hex.EncodeToString(all.Sum(nil)[:6])
	h.page = template.Must(template.New("index").Parse(string(h.files["index.html"].body)))
	return h
}

// Lang picks "zh" or "en" from ?lang= or Accept-Language (default zh); the page API uses it too.
func Lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		if strings.HasPrefix(strings.ToLower(l), "en") {
			return "en"
		}
		return "zh"
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.Split(part, ";")[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return "zh"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "zh"
}

// Weight returns the bytes of script and style the page loads (uncompressed).
func Weight() (js, css int) {
	h := Handler(Options{}).(*handler)
	for name, a := range h.files {
		switch path.Ext(name) {
		case ".js":
			js += len(a.body)
		case ".css":
			css += len(a.body)
		}
	}
	return js, css
}

// security headers shared by the page and its assets
func secure(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer") // the token is in the page URL
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, "/h5/"); ok {
		h.serveAsset(w, r, name)
		return
	}
	h.servePage(w, r)
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := h.files[name]
	if !ok || name == "index.html" {
		http.NotFound(w, r)
		return
	}
	secure(w)
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", a.etag)
	// versioned URLs (?v=) may be cached for long; metainfo.js is included by business pages
	// without a version and is revalidated
	if r.URL.Query().Get("v") == h.verTag {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}

type pageData struct {
	Lang, HTMLLang, Token, API, Ver string
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	lang := h.opt.Lang(r)
	d := pageData{Lang: lang, HTMLLang: "zh-CN", Token: token, API: h.opt.APIBase, Ver: h.verTag}
	if lang == "en" {
		d.HTMLLang = "en"
	}
	var buf bytes.Buffer
	if err := h.page.Execute(&buf, d); err != nil {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	secure(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
		"img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; "+
		"base-uri 'none'; form-action 'none'")
	hd.Set("Permissions-Policy", "camera=(self), microphone=(self)")
	hd.Set("Vary", "Accept-Language")
	w.Write(buf.Bytes())
}
