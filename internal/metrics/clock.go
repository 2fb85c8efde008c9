package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ClockSource reports the ID clock's skew figures (adjudicator.ClockStats):
// how far the ID the last one had to stay above was ahead of the clock,
// and the IDs issued when that was beyond the bound.
type ClockSource func() (behind time.Duration, beyond uint64)

// RegisterIDClock registers the claim ID clock's skew metrics, read from
// src at each scrape. bound is the skew IDs stay in order across.
func RegisterIDClock(reg prometheus.Registerer, src ClockSource, bound time.Duration) {
	reg.MustRegister(&clockCollector{src: src, bound: bound})
}

var (
	descClockBehind = prometheus.NewDesc(Namespace+"_id_clock_behind_seconds",
		"How far the ID the last claim ID had to stay above (this instance's last ID, or the last ID another instance recorded under the claim's family) was ahead of this instance's clock: the clock's lag behind the instance furthest ahead, or a step back of the clock; 0 when the clock was ahead.", nil, nil)
	descClockBeyond = prometheus.NewDesc(Namespace+"_id_clock_skew_exceeded_total",
		"Claim IDs issued on a clock further behind than the bound (rxclaims_id_clock_bound_seconds): they follow the clock, and a replay of their families may order claims otherwise than they were committed.", nil, nil)
	descClockBound = prometheus.NewDesc(Namespace+"_id_clock_bound_seconds",
		"The clock skew between instances (or step back of a clock) that claim IDs are kept in commit order across.", nil, nil)
)

type clockCollector struct {
	src   ClockSource
	bound time.Duration
}

func (c *clockCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descClockBehind
	ch <- descClockBeyond
	ch <- descClockBound
}

func (c *clockCollector) Collect(ch chan<- prometheus.Metric) {
	behind, beyond := c.src()
	ch <- prometheus.MustNewConstMetric(descClockBehind, prometheus.GaugeValue, behind.Seconds())
	ch <- prometheus.MustNewConstMetric(descClockBeyond, prometheus.CounterValue, float64(beyond))
	ch <- prometheus.MustNewConstMetric(descClockBound, prometheus.GaugeValue, c.bound.Seconds())
}
