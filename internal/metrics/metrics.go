// Package metrics defines the service's Prometheus metrics on an injected
// registerer. Labels carry only bounded values (transaction codes, statuses,
// NCPDP reject codes, cache names): never a member, claim, NDC or NPI.
package metrics

import (
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rxclaims/rxclaims/internal/store"
)

// Namespace prefixes every metric of the service.
const Namespace = "rxclaims"

// Metrics are the adjudicator's own metrics.
type Metrics struct {
	claims       *prometheus.CounterVec
	rejects      *prometheus.CounterVec
	flags        *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	commit       prometheus.Histogram
	configLoaded prometheus.Gauge
	denied       *prometheus.CounterVec
}

// New creates the metrics and registers them with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "claims_total",
			Help: "Transactions answered, by NCPDP transaction code and transaction status.",
		}, []string{"transaction", "status"}),
		rejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "rejects_total",
			Help: "NCPDP reject codes returned, by transaction code and reject code.",
		}, []string{"transaction", "code"}),
		flags: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "claim_flags_total",
			Help: "Adjudications flagged for the plan to see, by transaction code and flag (NO_COST_SHARE: no cost-share line covered the claim).",
		}, []string{"transaction", "flag"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "adjudication_duration_seconds",
			Help:    "Time to adjudicate a transaction inside the engine, including the durable commit.",
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"transaction"}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "store_commit_duration_seconds",
			Help:    "Time of one synced Pebble batch commit.",
			Buckets: []float64{.0001, .0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1},
		}),
		configLoaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "config_loaded_timestamp_seconds",
			Help: "Unix time the current configuration snapshot was loaded.",
		}),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "calls_denied_total",
			Help: "Calls refused for a missing role, by full gRPC method and the role it needs.",
		}, []string{"method", "role"}),
	}
	reg.MustRegister(m.claims, m.rejects, m.duration, m.commit, m.configLoaded, m.denied, m.flags)
	return m
}

// ObserveClaim records one answered transaction.
func (m *Metrics) ObserveClaim(tx, status string, rejects []string, d time.Duration) {
	m.claims.WithLabelValues(tx, status).Inc()
	for _, c := range rejects {
		m.rejects.WithLabelValues(tx, c).Inc()
	}
	m.duration.WithLabelValues(tx).Observe(d.Seconds())
}

// Denied records a call refused for a missing role. The method is one of
// the server's (the role table bounds the labels).
func (m *Metrics) Denied(method, role string) { m.denied.WithLabelValues(method, role).Inc() }

// ObserveFlags records the flags of one adjudication (bounded values).
func (m *Metrics) ObserveFlags(tx string, flags []string) {
	for _, f := range flags {
		m.flags.WithLabelValues(tx, f).Inc()
	}
}

// ObserveCommit records one synced store commit.
func (m *Metrics) ObserveCommit(d time.Duration) { m.commit.Observe(d.Seconds()) }

// ConfigLoaded records when a configuration snapshot was installed.
func (m *Metrics) ConfigLoaded(t time.Time) { m.configLoaded.Set(float64(t.UnixNano()) / 1e9) }

// StoreSource is what the store collector reads.
type StoreSource interface {
	CacheStats() []store.CacheStats
	Metrics() *pebble.Metrics
}

// RegisterStore registers a collector of cache and Pebble figures.
func RegisterStore(reg prometheus.Registerer, s StoreSource) {
	reg.MustRegister(&storeCollector{src: s})
}

var (
	descCacheHits   = prometheus.NewDesc(Namespace+"_cache_hits_total", "Cache hits.", []string{"cache"}, nil)
	descCacheMisses = prometheus.NewDesc(Namespace+"_cache_misses_total", "Cache misses.", []string{"cache"}, nil)
	descCacheSize   = prometheus.NewDesc(Namespace+"_cache_entries", "Entries in the cache.", []string{"cache"}, nil)
	descDisk        = prometheus.NewDesc(Namespace+"_store_disk_usage_bytes", "Disk space used by the Pebble store.", nil, nil)
	descReadAmp     = prometheus.NewDesc(Namespace+"_store_read_amplification", "Pebble read amplification.", nil, nil)
	descCompactions = prometheus.NewDesc(Namespace+"_store_compactions_total", "Pebble compactions.", nil, nil)
	descWAL         = prometheus.NewDesc(Namespace+"_store_wal_bytes_written_total", "Bytes written to the write-ahead log.", nil, nil)
	descMemtable    = prometheus.NewDesc(Namespace+"_store_memtable_size_bytes", "Bytes held in memtables.", nil, nil)
	// Pebble's block cache (SST data, index and filter blocks): a miss is
	// a read from disk or the page cache, a checksum and a decompression.
	descBlockHits   = prometheus.NewDesc(Namespace+"_store_block_cache_hits_total", "Pebble block cache hits.", nil, nil)
	descBlockMisses = prometheus.NewDesc(Namespace+"_store_block_cache_misses_total", "Pebble block cache misses.", nil, nil)
	descBlockSize   = prometheus.NewDesc(Namespace+"_store_block_cache_size_bytes", "Bytes of blocks held in Pebble's block cache.", nil, nil)
)

type storeCollector struct{ src StoreSource }

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCacheHits, descCacheMisses, descCacheSize, descDisk, descReadAmp, descCompactions, descWAL, descMemtable, descBlockHits, descBlockMisses, descBlockSize} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.src.CacheStats() {
		ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(s.Hits), s.Name)
		ch <- prometheus.MustNewConstMetric(descCacheMisses, prometheus.CounterValue, float64(s.Misses), s.Name)
		ch <- prometheus.MustNewConstMetric(descCacheSize, prometheus.GaugeValue, float64(s.Entries), s.Name)
	}
	m := c.src.Metrics()
	ch <- prometheus.MustNewConstMetric(descDisk, prometheus.GaugeValue, float64(m.DiskSpaceUsage()))
	ch <- prometheus.MustNewConstMetric(descReadAmp, prometheus.GaugeValue, float64(m.ReadAmp()))
	ch <- prometheus.MustNewConstMetric(descCompactions, prometheus.CounterValue, float64(m.Compact.Count))
	ch <- prometheus.MustNewConstMetric(descWAL, prometheus.CounterValue, float64(m.WAL.BytesWritten))
	ch <- prometheus.MustNewConstMetric(descMemtable, prometheus.GaugeValue, float64(m.MemTable.Size))
	ch <- prometheus.MustNewConstMetric(descBlockHits, prometheus.CounterValue, float64(m.BlockCache.Hits))
	ch <- prometheus.MustNewConstMetric(descBlockMisses, prometheus.CounterValue, float64(m.BlockCache.Misses))
	ch <- prometheus.MustNewConstMetric(descBlockSize, prometheus.GaugeValue, float64(m.BlockCache.Size))
}
