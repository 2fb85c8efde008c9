// Package adjudicator is the claims engine: the pipeline of DOMAIN.md
// section 6 over an immutable configuration snapshot.
//
// A claim runs through a named, ordered table of steps (steps.go), each a
// method of one adjudication. The steps of a claim, in order:
//
//	syntax          1  every field present and well formed
//	routing         1  the BIN and PCN are a route of this processor
//	duplicate       2  the claim key: an identical resubmission, a paid claim to replace
//	eligibility     3  cardholder, person code, date of birth, group, coverage
//	submission      3  the plan's timely filing limit, other coverage code and its rule for a 0.00 U&C
//	pharmacy        4  the pharmacy's network, which gives the claim its segment
//	product         5  the drug, its price, exclusions, the formulary tier
//	prescription    5  expiry, refills and quantity of the prescription as written
//	prescriber      5  the prescriber file, with the DEA schedule (when the plan validates)
//	edits           -  the edits that apply to the claim
//	limitations     6  age, gender, quantity, days supply, refills
//	clinical        7  refill too soon, step therapy, DUR, prior authorization
//	pricing         8  lesser of submitted, AWP less, MAC, U&C and gross due
//	claim cost      6  the claim's minimum and maximum cost
//	accumulators    -  the member's and family's documents for the period
//	count maximums  9  Rx count and unit benefit maximums
//	deductible     10  what remains of the deductible
//	cost share     10  copay or coinsurance
//	brand penalty   8  a brand dispensed as written over MAC
//	out of pocket  10  the cap on all the member pays
//	max dollars     9  the dollar maximum on what the plan pays
//	contributions   -  the claim's amounts into the accumulators
//	balances        -  the deductible and out-of-pocket balances after the claim
//	commit          -  paid: record, history and accumulators in one durable write
//
// A bill (B1), a rebill (B3) and a test claim differ only in their duplicate
// step and their commit step; a test claim commits nothing. A reversal (B2)
// runs syntax, routing, reversal and commit. A step stops the transaction in one way
// only, by giving the response its status (a reject, a duplicate); a Go
// error means the engine could not decide. The trace names each step's
// decisions by the step's name, and an edit's decision by the edit's kind.
//
// A paid claim's record, response and accumulator deltas are committed in
// one durable write (the Store) before the answer is returned. Claims of one
// family are serialized; everything else runs in parallel. A rejected claim
// is a successful adjudication with status R.
//
// The package knows nothing of gRPC, protobuf or Prometheus.
package adjudicator
