// Package metrics is the Prometheus adapter of faceverify: it owns the collectors and the
// /metrics handler, and decorates the HTTP handler, the Engine and the Store so that the
// rest of the code does not know metrics exist. Labels carry only enumerated values (route
// patterns, status codes, result codes, dialects, stage names, outcome classes): never a
// token, a name, an ID number, a host or a URL. It must not change any behaviour of what it
// wraps: every decorated call returns exactly what the inner call returned.
package metrics

import (
	"context"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const ns = "faceverify"

// Metrics holds the collectors of one process on its own registry.
type Metrics struct {
	Registry *prometheus.Registry

	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	inflight   prometheus.Gauge
	verdicts   *prometheus.CounterVec
	stages     *prometheus.HistogramVec
	engineErrs *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	jobRuns    *prometheus.CounterVec

	mu    sync.Mutex
	pools []poolFunc
}

type poolFunc struct {
	name string
	fn   func() (inUse, size int)
}

// stageBuckets spans a 1 ms comparison to a 60 s video decode (seconds).
var stageBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// New returns the collectors registered on a fresh registry, with the Go runtime, process
// and build-info collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "http_requests_total",
			Help: "HTTP requests by route pattern, method and status code."}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "http_request_duration_seconds",
			Help: "HTTP request latency by route pattern and method.", Buckets: stageBuckets}, []string{"route", "method"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "http_requests_in_flight",
			Help: "HTTP requests being served."}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "verdicts_total",
			Help: "Sessions ended, by dialect, final state and result code/message."}, []string{"dialect", "state", "code", "message"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "stage_duration_seconds",
			Help:    "Pipeline stage latency (decode, faces, speech, samples, liveness total, ocr, reference, compare).",
			Buckets: stageBuckets}, []string{"stage"}),
		engineErrs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "engine_errors_total",
			Help: "Internal engine failures by operation."}, []string{"op"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "callback_deliveries_total",
			Help: "Callback delivery attempts by outcome (delivered, http_4xx, http_5xx, transport_error, refused, skipped, erased, error)."},
			[]string{"outcome"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "job_runs_total",
			Help: "Job handler runs by kind and outcome (ok, error)."}, []string{"kind", "outcome"}),
	}
	r.MustRegister(m.requests, m.latency, m.inflight, m.verdicts, m.stages, m.engineErrs, m.deliveries, m.jobRuns)
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(), buildInfo())
	r.MustRegister(&collector{descs: []*prometheus.Desc{poolInUseDesc, poolSizeDesc}, collect: m.collectPools})
	return m
}

// buildInfo is faceverify_build_info{version,revision,goversion} = 1.
func buildInfo() prometheus.Collector {
	version, revision, gover := "(devel)", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		gover = bi.GoVersion
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "build_info",
		Help:        "Build of the running binary (always 1).",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": gover}})
	g.Set(1)
	return g
}

// Handler serves the registry in the Prometheus text (or negotiated) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// HTTP counts and times every request of next by the ServeMux pattern that matched
// ("unmatched" when none did: the raw path is never a label).
func (m *Metrics) HTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		m.inflight.Inc()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			m.inflight.Dec()
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			method := r.Method
			switch method {
			case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete,
				http.MethodPatch, http.MethodOptions:
			default:
				method = "other"
			}
			code := rec.code
			if code == 0 {
				code = http.StatusOK
			}
			m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
			m.latency.WithLabelValues(route, method).Observe(time.Since(t0).Seconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush forwards to the underlying writer when it can flush.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Delivery records one callback delivery attempt: detail and err as notify.Sender.Notify
// returned them (the detail is "HTTP 200", "transport error", "refused", …; only its class
// becomes a label).
func (m *Metrics) Delivery(detail string, err error) {
	m.deliveries.WithLabelValues(DeliveryOutcome(detail, err)).Inc()
}

// DeliveryOutcome classifies a delivery attempt.
func DeliveryOutcome(detail string, err error) string {
	switch {
	case detail == "session erased":
		return "erased"
	case detail == "nothing to send":
		return "skipped"
	case detail == "refused":
		return "refused"
	case detail == "transport error":
		return "transport_error"
	case len(detail) == 8 && detail[:5] == "HTTP ":
		switch detail[5] {
		case '2':
			if err == nil {
				return "delivered"
			}
		case '3':
			return "http_3xx"
		case '4':
			return "http_4xx"
		case '5':
			return "http_5xx"
		}
	}
	if err == nil {
		return "delivered"
	}
	return "error"
}

// JobRun records one run of a job handler.
func (m *Metrics) JobRun(kind string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.jobRuns.WithLabelValues(kind, outcome).Inc()
}

// Pool reports a bounded pool (e.g. the engine's inference pool) as
// faceverify_pool_in_use{pool} and faceverify_pool_size{pool}, read at scrape time.
func (m *Metrics) Pool(name string, fn func() (inUse, size int)) {
	m.mu.Lock()
	m.pools = append(m.pools, poolFunc{name, fn})
	m.mu.Unlock()
}

var (
	poolInUseDesc = prometheus.NewDesc(ns+"_pool_in_use", "Slots of a bounded pool in use.", []string{"pool"}, nil)
	poolSizeDesc  = prometheus.NewDesc(ns+"_pool_size", "Slots of a bounded pool.", []string{"pool"}, nil)
)

func (m *Metrics) collectPools(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	pools := append([]poolFunc(nil), m.pools...)
	m.mu.Unlock()
	for _, p := range pools {
		inUse, size := p.fn()
		ch <- prometheus.MustNewConstMetric(poolInUseDesc, prometheus.GaugeValue, float64(inUse), p.name)
		ch <- prometheus.MustNewConstMetric(poolSizeDesc, prometheus.GaugeValue, float64(size), p.name)
	}
}

var (
	queueDepthDesc = prometheus.NewDesc(ns+"_jobs", "Jobs by kind and state.", []string{"kind", "state"}, nil)
	queueAgeDesc   = prometheus.NewDesc(ns+"_job_oldest_age_seconds",
		"Age of the oldest queued or running job by kind and state.", []string{"kind", "state"}, nil)
	queueErrDesc = prometheus.NewDesc(ns+"_jobs_scrape_error", "1 when the queue figures could not be read.", nil, nil)
)

// Queue reports the job queue, read from c at scrape time (with a 2 s limit): depth by kind
// and state, and the age of the oldest queued (since due) and running (since claimed) job.
func (m *Metrics) Queue(c faceverify.JobCounter, now func() time.Time) {
	m.Registry.MustRegister(&collector{descs: []*prometheus.Desc{queueDepthDesc, queueAgeDesc, queueErrDesc}, collect: func(ch chan<- prometheus.Metric) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		st, err := c.JobCounts(ctx)
		failed := 0.0
		if err != nil {
			failed = 1
		}
		ch <- prometheus.MustNewConstMetric(queueErrDesc, prometheus.GaugeValue, failed)
		t := now()
		for _, s := range st {
			ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(s.Count), s.Kind, s.State)
			if s.State == "queued" || s.State == "running" {
				age := 0.0
				if s.Count > 0 && !s.Oldest.IsZero() && t.After(s.Oldest) {
					age = t.Sub(s.Oldest).Seconds()
				}
				ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, age, s.Kind, s.State)
			}
		}
	}})
}

// collector is a scrape-time collector with fixed descriptors.
type collector struct {
	descs   []*prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }
