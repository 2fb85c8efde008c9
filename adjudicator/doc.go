// Package adjudicator is the claims engine: the pipeline of DOMAIN.md
// section 6 over an immutable configuration snapshot.
//
// A claim is syntax-checked, checked for duplicates, then for eligibility,
// pharmacy and network, product, priced lesser-of, and cost-shared against
// the member's and family's accumulators. A paid claim's record, response and
// accumulator deltas are committed in one durable write (the Store) before
// the answer is returned. Claims of one family are serialized; everything
// else runs in parallel. A rejected claim is a successful adjudication with
// status R; a Go error means the engine could not decide.
//
// The package knows nothing of gRPC, protobuf or Prometheus.
package adjudicator
