package app

// Dialect wiring: Cloudauth endpoint options, callback renderers and return URLs per dialect. (Owned by
// the Cloudauth work: the RPC endpoint, signed picture URLs and the GET callback go here.)

import (
	"net/http"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/cloudauth"
	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/httpapi"
	"github.com/faceverify/faceverify/notify"
)

// cloudauthOptions configure the Cloudauth RPC endpoint (POST / and GET /) and its signed
// picture URLs (the routes are in httpapi/routes.go).
func (a *App) cloudauthOptions() httpapi.CloudauthOptions {
	return httpapi.CloudauthOptions{
		PublicURL: a.Config.PublicURL,
		// a plain-http CallbackUrl is accepted only for these hosts (local testing)
		HTTPCallbackHosts: a.Config.CloudauthHTTPCallbackHosts,
		// the picture URL key is derived from the key ring, so every instance sharing the
		// keys accepts the URLs and rotating the index key revokes them
		PictureKey: []byte(a.Box.Index("faceverify/cloudauth/picture-url/v1")),
	}
}

// notifyRenderers returns callback renderers beyond Lite's: Cloudauth calls CallbackUrl
// with GET and certifyId, passed (SubCode) and callbackToken appended, only when the
// verification completed (not on cancel or expiry).
func (a *App) notifyRenderers() map[faceverify.Dialect]notify.Renderer {
	return map[faceverify.Dialect]notify.Renderer{
		faceverify.DialectCloudauth: func(t *faceverify.Tenant, s *faceverify.Session) (*notify.Request, error) {
			u := cloudauth.CallbackURL(s)
			if u == "" {
				return nil, nil
			}
			return &notify.Request{Method: http.MethodGet, URL: u}, nil
		},
	}
}

// returnURL is where the page sends the user when the session is over.
func (a *App) returnURL(s *faceverify.Session) string {
	if s.Dialect == faceverify.DialectCloudauth {
		return cloudauth.ReturnURL(s)
	}
	return lite.ReturnURL(s)
}
