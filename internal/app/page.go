package app

// The end user's page. (Owned by the H5 work: returns the embedded page handler.)

import (
	"net/http"

	"github.com/faceverify/faceverify/h5"
)

// pageHandler serves GET /lite/v1/do/{token}, GET /cloudauth/v1/do/{token} and /h5/ assets;
// nil = no page.
func (a *App) pageHandler() http.Handler { return h5.Handler(h5.Options{}) }
