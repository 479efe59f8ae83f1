package httpapi

import "github.com/faceverify/faceverify/verify"

// routes registers every route of the service. Keep them all here.
func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", s.handleHealthz)
	m.HandleFunc("GET /readyz", s.handleReadyz)

	// API reference: OpenAPI documents of the three APIs (docs.go)
	m.HandleFunc("GET /docs/{$}", s.handleDocsIndex)
	m.HandleFunc("GET /docs/openapi/{file}", s.handleOpenAPI) // lite.json, cloudauth.json, h5.json

	// FaceID Lite (business backend, Authorization: APPCODE …)
	m.Handle("POST /lite/v1/get_biz_token", s.lite(verify.ToCreate, s.handleGetBizToken))
	m.Handle("GET /lite/v1/get_result", s.lite(verify.ToRead, s.handleGetResult))
	m.Handle("POST /lite/v1/get_result", s.lite(verify.ToRead, s.handleGetResult))
	m.Handle("POST /lite/v1/delete_result", s.lite(verify.ToRead, s.handleDeleteResult))

	// The page (end user's browser; the token in the path is the credential)
	if s.deps.Page != nil {
		m.Handle("GET /lite/v1/do/{token}", s.deps.Page)
		m.Handle("GET /cloudauth/v1/do/{token}", s.deps.Page)
		m.Handle("GET /h5/", s.deps.Page) // static assets of the page
	}
	m.HandleFunc("GET /h5/v1/sessions/{token}", s.handleH5Session)
	m.Handle("POST /h5/v1/sessions/{token}/idcard", s.limitUploads(s.handleH5IDCard)) // limits.go
	m.Handle("POST /h5/v1/sessions/{token}/video", s.limitUploads(s.handleH5Video))
	m.HandleFunc("POST /h5/v1/sessions/{token}/cancel", s.handleH5Cancel)

	// The review console (package console: its own routes below /console/; nil when it is
	// served on --admin-addr)
	if s.deps.Console != nil {
		m.Handle("/console/", s.deps.Console)
	}

	// Cloudauth RPC (business backend, POP signatures; cloudauth.go) and the signed picture
	// URLs of DescribeFaceVerify
	m.HandleFunc("POST /{$}", s.ca.handleRPC)
	m.HandleFunc("GET /{$}", s.ca.handleRPC)
	m.HandleFunc("GET /cloudauth/v1/picture/{file}", s.ca.handlePicture)
}
