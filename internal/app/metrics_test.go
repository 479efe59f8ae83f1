package app_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testenv"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetrics runs the real service with --metrics-addr, drives a FaceID Lite session to a
// cancelled verdict with a callback, scrapes the metrics listener and parses the text format.
func TestMetrics(t *testing.T) {
	var callbacks atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		callbacks.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()
	s := apitest.Start(t, apitest.Options{Flags: []string{"--metrics-addr", "127.0.0.1:0"}})

	const name, number = "张三", "11010519491231002X"
	form := url.Values{
		"return_url": {"https://biz.example/return"}, "notify_url": {recv.URL + "/notify"},
		"liveness_type": {"video_number"}, "idcard_name": {name}, "idcard_number": {number},
	}
	token := s.BizToken(t, form)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/lite/v1/get_result?biz_token="+url.QueryEscape(token), nil)
	req.Header.Set("Authorization", "APPCODE "+s.Tenant.AppCode)
	if st := apitest.Do(t, req, nil); st != 200 {
		t.Fatalf("get_result: %d", st)
	}
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/lite/v1/get_result?biz_token=x", nil)
	req.Header.Set("Authorization", "APPCODE wrong")
	apitest.Do(t, req, nil) // 401/403, counted under its pattern
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+token+"/cancel", nil)
	var view map[string]any
	if st := apitest.Do(t, req, &view); st != 200 || view["state"] != "cancelled" {
		t.Fatalf("cancel: %d %+v", st, view)
	}
	// the public listener never serves the metrics
	for _, p := range []string{"/metrics", "/no/such/route"} {
		resp, err := http.Get(s.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("public %s: %d, want 404", p, resp.StatusCode)
		}
	}

	addr := s.App.MetricsAddr()
	if addr == "" || addr == strings.TrimPrefix(s.URL, "http://") {
		t.Fatalf("metrics address %q", addr)
	}
	var fams map[string]*dto.MetricFamily
	var raw string
	deadline := time.Now().Add(30 * time.Second)
	for {
		raw, fams = scrape(t, "http://"+addr+"/metrics")
		if testing.Verbose() {
			defer func() { t.Log(raw) }()
		}
		if value(fams, "faceverify_callback_deliveries_total", map[string]string{"outcome": "delivered"}) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivered callback in the metrics (receiver saw %d):\n%s", callbacks.Load(), raw)
		}
		time.Sleep(100 * time.Millisecond)
	}

	checks := []struct {
		family string
		labels map[string]string
		min    float64
	}{
		{"faceverify_http_requests_total", map[string]string{"route": "POST /lite/v1/get_biz_token", "method": "POST", "code": "200"}, 1},
		{"faceverify_http_requests_total", map[string]string{"route": "GET /lite/v1/get_result", "code": "200"}, 1},
		{"faceverify_http_requests_total", map[string]string{"route": "POST /h5/v1/sessions/{token}/cancel", "code": "200"}, 1},
		{"faceverify_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}, 2},
		{"faceverify_http_request_duration_seconds", map[string]string{"route": "POST /lite/v1/get_biz_token"}, 1},
		{"faceverify_verdicts_total", map[string]string{"dialect": "lite", "state": "cancelled"}, 1},
		{"faceverify_job_runs_total", nil, 0},
		{"faceverify_jobs_scrape_error", nil, 0},
		{"faceverify_build_info", nil, 1},
		{"go_goroutines", nil, 1},
	}
	for _, c := range checks {
		if _, ok := fams[c.family]; !ok && c.min > 0 {
			t.Errorf("family %s missing", c.family)
			continue
		}
		if c.min > 0 {
			if v := value(fams, c.family, c.labels); v < c.min {
				t.Errorf("%s%v = %v, want >= %v", c.family, c.labels, v, c.min)
			}
		}
	}
	if v := value(fams, "faceverify_jobs_scrape_error", nil); v != 0 {
		t.Errorf("queue figures could not be read")
	}
	if fams["faceverify_http_request_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("latency is not a histogram")
	}
	// no personal data or credential in any label or sample line
	for _, secret := range []string{token, name, number, s.Tenant.AppCode, recv.URL, "127.0.0.1"} {
		if strings.Contains(raw, secret) {
			t.Errorf("metrics expose %q", secret)
		}
	}
	for f, mf := range fams {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if len(lp.GetValue()) > 64 {
					t.Errorf("%s: long label %s=%q", f, lp.GetName(), lp.GetValue())
				}
			}
		}
	}
}

func scrape(t *testing.T, u string) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	status, body := testenv.Get(t, u)
	if status != 200 {
		t.Fatalf("scrape: %d %s", status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	return string(body), fams
}

// value sums the samples of family whose labels include want (counter, gauge, or a
// histogram's sample count).
func value(fams map[string]*dto.MetricFamily, family string, want map[string]string) float64 {
	mf, ok := fams[family]
	if !ok {
		return 0
	}
	sum := 0.0
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}
