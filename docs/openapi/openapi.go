// Package openapi holds the OpenAPI 3 documents of faceverify's three HTTP APIs — FaceID
// Lite (lite.json), Cloudauth RPC (cloudauth.json) and the page JSON API (h5.json) — embedded
// so that the server can publish them (httpapi: /docs/openapi/*.json). The JSON files are
// the source; their test validates them and every dialect golden file against them. It must
// not import anything of the service.
package openapi

import "embed"

// FS holds lite.json, cloudauth.json and h5.json.
//
//go:embed *.json
var FS embed.FS

// Names are the documents, in the order the index page lists them.
var Names = []string{"lite", "cloudauth", "h5"}
