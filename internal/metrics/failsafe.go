package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rxclaims/rxclaims/internal/store"
)

// Load is what the bound on claims in flight records (internal/server).
type Load struct {
	shed, late *prometheus.CounterVec
}

// NewLoad registers the claims-in-flight metrics with reg: inFlight is
// read at each scrape, limit is the bound.
func NewLoad(reg prometheus.Registerer, inFlight func() float64, limit int) *Load {
	l := &Load{
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "claims_shed_total",
			Help: "ClaimsService calls answered ResourceExhausted at once, without any work, because the claims in flight were at their bound; by gRPC method. Most are shed as their headers arrive, before the gRPC server metrics see them.",
		}, []string{"method"}),
		late: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "claims_answered_late_total",
			Help: "ClaimsService calls answered after their caller's deadline or cancellation (a claim whose deadline expired during its commit is committed; the caller saw DeadlineExceeded); by gRPC method.",
		}, []string{"method"}),
	}
	reg.MustRegister(l.shed, l.late,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "claims_in_flight",
			Help: "ClaimsService calls being handled now.",
		}, inFlight),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "claims_in_flight_limit",
			Help: "The bound on ClaimsService calls in flight (--max-claims-in-flight).",
		}, func() float64 { return float64(limit) }))
	return l
}

// Shed counts a call shed by the bound.
func (l *Load) Shed(method string) { l.shed.WithLabelValues(method).Inc() }

// Late counts a call answered after its caller gave up.
func (l *Load) Late(method string) { l.late.WithLabelValues(method).Inc() }

// HealthSource is what the store-health collector reads.
type HealthSource interface {
	HealthStats() store.HealthStats
}

// RegisterStoreHealth registers the store's failure state and counters.
func RegisterStoreHealth(reg prometheus.Registerer, s HealthSource) {
	reg.MustRegister(&healthCollector{src: s})
}

var (
	descStoreFailed      = prometheus.NewDesc(Namespace+"_store_failed", "1 once the store has had a storage failure (claims are answered Unavailable until restart), else 0.", nil, nil)
	descBackgroundErrors = prometheus.NewDesc(Namespace+"_store_background_errors_total", "Pebble background errors (failed flushes and compactions); the first fails the store.", nil, nil)
	descDiskSlow         = prometheus.NewDesc(Namespace+"_store_disk_slow_total", "Disk operations of the store slower than 5 s.", nil, nil)
	descWriteStalls      = prometheus.NewDesc(Namespace+"_store_write_stalls_total", "Pebble write stalls: commits waiting for flushes or compactions.", nil, nil)
)

type healthCollector struct{ src HealthSource }

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStoreFailed, descBackgroundErrors, descDiskSlow, descWriteStalls} {
		ch <- d
	}
}

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.src.HealthStats()
	failed := 0.0
	if h.Failed {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(descStoreFailed, prometheus.GaugeValue, failed)
	ch <- prometheus.MustNewConstMetric(descBackgroundErrors, prometheus.CounterValue, float64(h.BackgroundErrors))
	ch <- prometheus.MustNewConstMetric(descDiskSlow, prometheus.CounterValue, float64(h.DiskSlow))
	ch <- prometheus.MustNewConstMetric(descWriteStalls, prometheus.CounterValue, float64(h.WriteStalls))
}
