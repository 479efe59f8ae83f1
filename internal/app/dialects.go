package app

// Dialect wiring: extra routes, callback renderers and return URLs per dialect. (Owned by
// the Cloudauth work: the RPC endpoint, signed picture URLs and the GET callback go here.)

import (
	"net/http"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/notify"
)

// dialectRoutes returns routes beyond the Lite API, by ServeMux pattern.
func (a *App) dialectRoutes() map[string]http.Handler { return nil }

// notifyRenderers returns callback renderers beyond Lite's.
func (a *App) notifyRenderers() map[faceverify.Dialect]notify.Renderer { return nil }

// returnURL is where the page sends the user when the session is over.
func (a *App) returnURL(s *faceverify.Session) string { return lite.ReturnURL(s) }
