package loader

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rxclaims/rxclaims/loader/parse"
)

// metrics are the loader's Prometheus metrics. Labels are bounded: file
// kind and outcome only, never a group, file or member.
type metrics struct {
	files    *prometheus.CounterVec
	recordsN prometheus.Counter
	rate     prometheus.Gauge
	syncs    *prometheus.CounterVec
	lastSync prometheus.Gauge
	syncDur  prometheus.Histogram

	inboxFiles    *prometheus.GaugeVec
	inboxStalled  *prometheus.GaugeVec
	blockedGroups prometheus.Gauge

	windowStart time.Time
	windowN     int
}

func newMetrics(reg prometheus.Registerer, l *Loader) *metrics {
	m := &metrics{
		files: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rxclaims_loader_files_total", Help: "Files finished, by kind and outcome.",
		}, []string{"kind", "outcome"}),
		recordsN: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rxclaims_loader_records_total", Help: "Records applied (validated and committed).",
		}),
		rate: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rxclaims_loader_records_per_second", Help: "Records applied per second over the last chunk window.",
		}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rxclaims_loader_sync_batches_total", Help: "Outbox batches sent to the adjudicator, by result.",
		}, []string{"result"}),
		lastSync: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rxclaims_loader_last_sync_timestamp_seconds", Help: "Unix time of the last batch the adjudicator acknowledged.",
		}),
		syncDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "rxclaims_loader_sync_batch_duration_seconds", Help: "Time to send one outbox batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
		}),
		inboxFiles: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rxclaims_loader_inbox_files",
			Help: "Files in the inbox at the last scan, by state: loading (records still arriving), no_header (its header line has not arrived), unknown (a name the loader does not take).",
		}, []string{"state"}),
		inboxStalled: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rxclaims_loader_inbox_stalled_seconds",
			Help: "The longest a file of the state has gone without progress (loading: since its last record arrived; no_header, unknown: since it last changed); 0 with no such file.",
		}, []string{"state"}),
		blockedGroups: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rxclaims_loader_blocked_groups",
			Help: "Groups whose intake is stopped by an error on one of their files (the log names the file); other groups go on.",
		}),
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rxclaims_loader_outbox_batches", Help: "Outbox batches waiting to be sent.",
	}, func() float64 {
		s, err := l.SyncState()
		if err != nil {
			return -1
		}
		return float64(s.Pending)
	})
	for _, o := range []string{OutcomeCompleted, OutcomePartial, OutcomeRejected, OutcomeDuplicate, OutcomeRewound} {
		for _, k := range []parse.Kind{parse.KindFamily, parse.KindDrug, parse.KindPharmacy, parse.KindNetwork, parse.KindSchedule, parse.KindPrescriber, parse.KindPriorAuth} {
			m.files.WithLabelValues(string(k), o)
		}
	}
	m.syncs.WithLabelValues("ok")
	m.syncs.WithLabelValues("error")
	m.inbox(inboxStats{})
	if reg != nil {
		reg.MustRegister(m.files, m.recordsN, m.rate, m.syncs, m.lastSync, m.syncDur, pending,
			m.inboxFiles, m.inboxStalled, m.blockedGroups)
	}
	return m
}

func (m *metrics) file(f *FileStatus) {
	kind := string(f.Kind)
	if kind == "" {
		kind = "unknown"
	}
	m.files.WithLabelValues(kind, f.Outcome).Inc()
}

// records counts applied records and updates the rate over windows of at
// least a second.
func (m *metrics) records(n int) {
	m.recordsN.Add(float64(n))
	now := time.Now()
	if m.windowStart.IsZero() {
		m.windowStart = now
	}
	m.windowN += n
	if d := now.Sub(m.windowStart); d >= time.Second {
		m.rate.Set(float64(m.windowN) / d.Seconds())
		m.windowStart, m.windowN = now, 0
	}
}

func (m *metrics) synced(d time.Duration) {
	m.syncs.WithLabelValues("ok").Inc()
	m.syncDur.Observe(d.Seconds())
	m.lastSync.Set(float64(time.Now().UnixNano()) / 1e9)
}

// inbox sets the inbox gauges from a scan's counts.
func (m *metrics) inbox(s inboxStats) {
	for _, st := range []string{inboxLoading, inboxNoHeader, inboxUnknown} {
		m.inboxFiles.WithLabelValues(st).Set(float64(s.files[st]))
		m.inboxStalled.WithLabelValues(st).Set(s.stalled[st].Seconds())
	}
}

func (m *metrics) syncFailed() { m.syncs.WithLabelValues("error").Inc() }
