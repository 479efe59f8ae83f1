package httpapi

import (
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/faceverify/faceverify/docs/openapi"
)

// The API reference: the embedded OpenAPI documents (docs/openapi) and a small index page.
// Public like the APIs they describe; no script, no external resource.

var docsIndex = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>faceverify API reference</title></head>
<body><h1>faceverify API reference</h1>
<p>OpenAPI 3 documents of the three HTTP APIs. Load them in any OpenAPI viewer or client generator.</p>
<ul>
<li><a href="/docs/openapi/lite.json">FaceID Lite H5 API</a> — get_biz_token, get_result, delete_result, the notify callback (APPCODE)</li>
<li><a href="/docs/openapi/cloudauth.json">Cloudauth RPC API</a> — InitFaceVerify, DescribeFaceVerify, DeleteFaceVerifyResult (POP signature v1)</li>
<li><a href="/docs/openapi/h5.json">Page JSON API</a> — what the H5 page and the mini-program call (/h5/v1/sessions/…)</li>
</ul></body></html>
`))

func docsHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=300")
}

func (s *Server) handleDocsIndex(w http.ResponseWriter, r *http.Request) {
	docsHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	docsIndex.Execute(w, nil)
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	if !ok || !slices.Contains(openapi.Names, name) {
		http.NotFound(w, r)
		return
	}
	data, err := openapi.FS.ReadFile(name + ".json")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	docsHeaders(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(data)
}
