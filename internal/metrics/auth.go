package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rxclaims/rxclaims/internal/authn"
)

// AuthMetrics count the calls and connections refused for want of
// authentication. Nil counts nothing.
type AuthMetrics struct {
	refused *prometheus.CounterVec
}

// NewAuth creates the authentication metrics and registers them with reg.
func NewAuth(reg prometheus.Registerer) *AuthMetrics {
	m := &AuthMetrics{refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "unauthenticated_total",
		Help: "Calls refused with Unauthenticated and TLS handshakes that failed, by reason " +
			"(no_credentials, bad_token, bad_certificate, handshake).",
	}, []string{"reason"})}
	for _, r := range []string{authn.ReasonNoCredentials, authn.ReasonBadToken, authn.ReasonBadCert, authn.ReasonHandshake} {
		m.refused.WithLabelValues(r)
	}
	reg.MustRegister(m.refused)
	return m
}

// Refused counts one refusal.
func (m *AuthMetrics) Refused(reason string) {
	if m != nil {
		m.refused.WithLabelValues(reason).Inc()
	}
}
