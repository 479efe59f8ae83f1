package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestDeliveryOutcome(t *testing.T) {
	cases := []struct {
		detail string
		err    error
		want   string
	}{
		{"HTTP 200", nil, "delivered"},
		{"HTTP 204", nil, "delivered"},
		{"HTTP 302", errors.New("x"), "http_3xx"},
		{"HTTP 404", errors.New("x"), "http_4xx"},
		{"HTTP 503", errors.New("x"), "http_5xx"},
		{"transport error", errors.New("dial"), "transport_error"},
		{"refused", errors.New("private"), "refused"},
		{"nothing to send", nil, "skipped"},
		{"session erased", nil, "erased"},
		{"", errors.New("render"), "error"},
	}
	for _, c := range cases {
		if got := DeliveryOutcome(c.detail, c.err); got != c.want {
			t.Errorf("%q %v: %s, want %s", c.detail, c.err, got, c.want)
		}
	}
}

// fakeEngine returns fixed reports (unit test of the decorator's pure logic).
type fakeEngine struct{ err error }

func (f fakeEngine) ReferenceFace(ctx context.Context, img []byte) ([]float32, error) {
	return nil, faceverify.Errorf(faceverify.EINVALID, "no face")
}
func (f fakeEngine) CheckVideo(ctx context.Context, path, challenge string, opt faceverify.LivenessOptions) (*faceverify.Liveness, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &faceverify.Liveness{Timings: map[string]float64{"decode": 120, "faces": 300, "speech": 80, "total": 510, "person_name": 1}}, nil
}
func (f fakeEngine) ReadIDCard(ctx context.Context, side string, img []byte, threshold float64) (*faceverify.IDCardRead, error) {
	return &faceverify.IDCardRead{}, nil
}
func (f fakeEngine) Compare(live, ref []float32, far string) faceverify.Comparison {
	return faceverify.Comparison{Similarity: 0.9}
}

func TestEngineStages(t *testing.T) {
	m := New()
	if m.Engine(nil) != nil {
		t.Fatal("a nil engine must stay nil (verify checks for it)")
	}
	e := m.Engine(fakeEngine{})
	if _, err := e.CheckVideo(context.Background(), "v.mp4", "1234", faceverify.LivenessOptions{}); err != nil {
		t.Fatal(err)
	}
	e.ReadIDCard(context.Background(), "front", nil, 0)
	if c := e.Compare(nil, nil, "1e-4"); c.Similarity != 0.9 {
		t.Fatalf("compare result changed: %+v", c)
	}
	if _, err := e.ReferenceFace(context.Background(), nil); faceverify.ErrorCode(err) != faceverify.EINVALID {
		t.Fatalf("reference error changed: %v", err)
	}
	counts := stageCounts(t, m)
	for _, st := range []string{"decode", "faces", "speech", "liveness", "ocr", "compare", "reference"} {
		if counts[st] != 1 {
			t.Errorf("stage %s observed %d times, want 1", st, counts[st])
		}
	}
	if len(counts) != 7 {
		t.Errorf("unexpected stages %v (an unknown timing key must not become a label)", counts)
	}
	if v := testutil.ToFloat64(m.engineErrs.WithLabelValues("reference")); v != 0 {
		t.Errorf("a user-caused reference error counted as an engine failure")
	}
	boom := errors.New("onnx failed")
	if _, err := m.Engine(fakeEngine{err: boom}).CheckVideo(context.Background(), "v.mp4", "1234", faceverify.LivenessOptions{}); err != boom {
		t.Fatalf("error changed: %v", err)
	}
	if v := testutil.ToFloat64(m.engineErrs.WithLabelValues("liveness")); v != 1 {
		t.Errorf("engine failures = %v, want 1", v)
	}
}

func stageCounts(t *testing.T, m *Metrics) map[string]uint64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, f := range fams {
		if f.GetName() != "faceverify_stage_duration_seconds" {
			continue
		}
		for _, mm := range f.GetMetric() {
			out[mm.GetLabel()[0].GetValue()] = mm.GetHistogram().GetSampleCount()
		}
	}
	return out
}

func TestHTTPRoutePattern(t *testing.T) {
	m := New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /h5/v1/sessions/{token}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	h := m.HTTP(mux)
	for _, p := range []string{"/h5/v1/sessions/SECRET1", "/h5/v1/sessions/SECRET2", "/nope/SECRET3"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	if v := testutil.ToFloat64(m.requests.WithLabelValues("GET /h5/v1/sessions/{token}", "GET", "418")); v != 2 {
		t.Errorf("pattern count = %v, want 2", v)
	}
	if v := testutil.ToFloat64(m.requests.WithLabelValues("unmatched", "GET", "404")); v != 1 {
		t.Errorf("unmatched count = %v, want 1", v)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if strings.Contains(rec.Body.String(), "SECRET") {
		t.Error("a path segment leaked into the metrics")
	}
}
