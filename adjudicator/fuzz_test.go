package adjudicator_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/store"
)

// fuzzClaim is one fuzz input: an operation and every claim field.
type fuzzClaim struct {
	op                                                uint8 // %4: bill, rebill, reverse, bill then reverse
	bin, pcn, group, cardholder, person, dob, gender  string
	dos, rx                                           string
	fill                                              int
	ndc, qty                                          string
	days                                              int
	daw, ingredient, fee, uc, gross, pharmacy, prescr string
	scc, dur, pa                                      string // scc: comma list; dur: ";" list of reason/professional/result
	rxf                                               string // "written;refills;quantity prescribed;other coverage code"
}

func split(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

func (in fuzzClaim) claim() *adjudicator.Claim {
	c := &adjudicator.Claim{
		BIN: in.bin, PCN: in.pcn, GroupID: in.group, CardholderID: in.cardholder, PersonCode: in.person,
		DateOfBirth: in.dob, PatientGender: in.gender, DateOfService: in.dos, RxNumber: in.rx, FillNumber: in.fill,
		ProductID: in.ndc, Quantity: in.qty, DaysSupply: in.days, DAW: in.daw, IngredientCostSubmitted: in.ingredient,
		DispensingFeeSubmitted: in.fee, UsualAndCustomary: in.uc, GrossAmountDue: in.gross, PharmacyNPI: in.pharmacy,
		PrescriberNPI: in.prescr, SubmissionClarificationCodes: split(in.scc, ","), PriorAuthorizationNumber: in.pa,
	}
	rxf := append(strings.SplitN(in.rxf, ";", 4), "", "", "", "")
	c.DatePrescriptionWritten, c.RefillsAuthorized, c.QuantityPrescribed, c.OtherCoverageCode = rxf[0], rxf[1], rxf[2], rxf[3]
	for _, d := range split(in.dur, ";") {
		parts := strings.SplitN(d, "/", 3)
		parts = append(parts, "", "")
		c.DUR = append(c.DUR, adjudicator.DURService{Reason: parts[0], Professional: parts[1], Result: parts[2]})
	}
	return c
}

func (in fuzzClaim) reversal() *adjudicator.Reversal {
	return &adjudicator.Reversal{BIN: in.bin, PCN: in.pcn, CardholderID: in.cardholder, PharmacyNPI: in.pharmacy,
		RxNumber: in.rx, FillNumber: in.fill, DateOfService: in.dos, ProductID: in.ndc}
}

// The envelope limits documented on adjudicator.Claim: a string longer than
// 64 bytes or more than 20 repetitions is not a claim at all.
const (
	maxField       = 64
	maxRepetitions = 20
)

func claimEnvelopeBad(c *adjudicator.Claim) bool {
	for _, s := range []string{c.BIN, c.PCN, c.GroupID, c.CardholderID, c.PersonCode, c.DateOfBirth, c.PatientGender,
		c.DateOfService, c.RxNumber, c.ProductID, c.Quantity, c.DAW, c.IngredientCostSubmitted, c.DispensingFeeSubmitted,
		c.UsualAndCustomary, c.GrossAmountDue, c.PharmacyNPI, c.PrescriberNPI, c.PriorAuthorizationNumber,
		c.DatePrescriptionWritten, c.RefillsAuthorized, c.QuantityPrescribed, c.OtherCoverageCode} {
		if badText(s) {
			return true
		}
	}
	if len(c.SubmissionClarificationCodes) > maxRepetitions || len(c.DUR) > maxRepetitions {
		return true
	}
	for _, s := range c.SubmissionClarificationCodes {
		if badText(s) {
			return true
		}
	}
	for _, d := range c.DUR {
		if badText(d.Reason) || badText(d.Professional) || badText(d.Result) {
			return true
		}
	}
	return false
}

// badText: a field the envelope refuses, too long or not UTF-8 (the
// store could not encode it).
func badText(s string) bool { return len(s) > maxField || !utf8.ValidString(s) }

func reversalEnvelopeBad(r *adjudicator.Reversal) bool {
	for _, s := range []string{r.BIN, r.PCN, r.CardholderID, r.PharmacyNPI, r.RxNumber, r.DateOfService, r.ProductID} {
		if badText(s) {
			return true
		}
	}
	return false
}

// docState is every stored accumulator document plus what the engine's
// benefit inquiry reports for SMITH01/001 (which reads through the cache).
type docState map[string]string

func snapshotDocs(t *testing.T, e *adjudicator.Engine, st *store.Store) docState {
	t.Helper()
	s := docState{}
	add := func(key string, d *accumulators.Doc) {
		var parts []string
		for _, en := range d.Entries {
			parts = append(parts, fmt.Sprintf("%s|%s|%s=%s", en.Kind, en.Level, en.Segment, en.Amount.StringFixed(4)))
		}
		slices.Sort(parts)
		s[key] = strings.Join(parts, " ")
	}
	if err := st.ForEachDocument(func(d store.StoredDocument) error {
		add(fmt.Sprintf("disk %s %s %s", d.Scope, d.ID, d.Period), d.Doc)
		return nil
	}); err != nil {
		t.Fatalf("ForEachDocument: %v", err)
	}
	for _, asOf := range []string{"2026-06-01"} {
		b, err := e.Benefits(context.Background(), &adjudicator.BenefitsQuery{
			CardholderID: "SMITH01", PersonCode: "001", DateOfBirth: "1980-01-01", AsOf: asOf})
		if err != nil {
			t.Fatalf("Benefits: %v", err)
		}
		add("benefits member "+asOf, b.Member)
		add("benefits family "+asOf, b.Family)
		// Balances never go negative, and deductible and out-of-pocket
		// accumulate no further than their limits.
		for name, a := range map[string]adjudicator.Amounts{
			"individual deductible": b.IndividualDeductible, "family deductible": b.FamilyDeductible,
			"individual out of pocket": b.IndividualOutOfPocket, "family out of pocket": b.FamilyOutOfPocket,
		} {
			if a.Accumulated.IsNegative() || (a.Limit.Valid && a.Accumulated.GreaterThan(a.Limit.Decimal)) {
				t.Fatalf("%s: %s accumulated of a %v limit", name, a.Accumulated, a.Limit)
			}
		}
		if b.PlanPaid.IsNegative() || b.RxCount < 0 {
			t.Fatalf("plan paid %s, Rx count %d", b.PlanPaid, b.RxCount)
		}
	}
	return s
}

func diffDocs(a, b docState) string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, fmt.Sprintf("%s:\n  before %q\n  after  %q", k, v, b[k]))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok && v != "" {
			out = append(out, fmt.Sprintf("%s: new %q", k, v))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

func checkResponse(t *testing.T, what string, resp *adjudicator.Response, statuses ...adjudicator.Status) {
	t.Helper()
	if resp == nil {
		t.Fatalf("%s: nil response and nil error", what)
	}
	if err := resp.Check(); err != nil {
		t.Fatalf("%s: response breaks an invariant: %v\n%+v", what, err, resp)
	}
	if !slices.Contains(statuses, resp.Status) {
		t.Fatalf("%s: status %q, want one of %v", what, resp.Status, statuses)
	}
	if resp.Status == adjudicator.Rejected && (len(resp.Rejects) < 1 || len(resp.Rejects) > 5) {
		t.Fatalf("%s: status R with %d reject codes %v", what, len(resp.Rejects), resp.Rejects)
	}
	for _, c := range resp.Rejects {
		if _, ok := ncpdp.LookupReject(string(c)); !ok {
			t.Fatalf("%s: reject code %q is not an NCPDP code", what, c)
		}
	}
	if resp.ClaimID == "" {
		t.Fatalf("%s: no claim ID", what)
	}
	if resp.Message == "" {
		t.Fatalf("%s: no message", what)
	}
	for _, s := range resp.Trace {
		if !slices.Contains(traceStepNames, s.Step) {
			t.Fatalf("%s: the trace names a step %q that is neither a pipeline step nor an edit kind", what, s.Step)
		}
	}
}

var traceStepNames = adjudicator.TraceStepNames()

// fuzzEngine is an engine over the ppo bundle on a fresh store.
func fuzzEngine(f *testing.F) (*adjudicator.Engine, *store.Store) {
	data, err := os.ReadFile(filepath.Join(scenario.Dir(), "bundles", "ppo.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	cfg, err := config.Parse(data)
	if err == nil {
		err = adjudicator.Validate(cfg)
	}
	if err != nil {
		f.Fatal(err)
	}
	clock := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
	return scenario.NewEngine(f, cfg, f.TempDir(), func() time.Time { return clock })
}

// fuzzSeeds are claims that reach every step: paid, duplicate, rebilled,
// reversed, rejected at each step, over the envelope, and malformed.
func fuzzSeeds() []fuzzClaim {
	valid := fuzzClaim{
		bin: "610999", pcn: "RXCLAIMS", cardholder: "SMITH01", person: "001", dob: "1980-01-01",
		dos: "2026-04-01", rx: "800001", ndc: "00093505698", qty: "30", days: 30,
		ingredient: "20.00", uc: "30.00", gross: "30.00", pharmacy: "1234567893", prescr: "1000000053",
	}
	with := func(change func(*fuzzClaim)) fuzzClaim { c := valid; change(&c); return c }
	humira := func(rx string) fuzzClaim {
		return with(func(c *fuzzClaim) {
			c.rx, c.ndc, c.pharmacy = rx, "00074433902", "1000000020"
			c.ingredient, c.uc, c.gross = "9000.00", "9000.00", "9000.00"
		})
	}
	return []fuzzClaim{
		valid,
		with(func(c *fuzzClaim) { c.qty = "31" }),                                                  // same key, different content: 83
		with(func(c *fuzzClaim) { c.op = 1 }),                                                      // rebill of the paid claim
		with(func(c *fuzzClaim) { c.op = 2 }),                                                      // reverse it
		with(func(c *fuzzClaim) { c.op = 2 }),                                                      // repeated reversal
		with(func(c *fuzzClaim) { c.op = 3; c.rx = "800002"; c.daw = "2"; c.ndc = "00071015523" }), // bill then reverse a brand
		with(func(c *fuzzClaim) { c.op = 3; c.rx = "800003"; c.pharmacy = "1000000038"; c.days = 90 }),
		with(func(c *fuzzClaim) {
			c.rx = "800004"
			c.person = "2"
			c.dob = "1982-02-02"
			c.ndc = "00074433902"
			c.pharmacy = "1000000020"
			c.ingredient = "9000.00"
			c.uc = "9000.00"
			c.gross = "9000.00"
		}),
		humira("800011"), humira("800012"), humira("800013"), // 300 + 200 reach the 500.00 out-of-pocket maximum; then 0
		with(func(c *fuzzClaim) { c.rx = "800007"; c.cardholder = "NOBODY" }),   // 52
		with(func(c *fuzzClaim) { c.rx = "800008"; c.dob = "1969-12-31" }),      // 09
		with(func(c *fuzzClaim) { c.rx = "800009"; c.person = "4" }),            // 53
		with(func(c *fuzzClaim) { c.rx = "800010"; c.pharmacy = "1000000046" }), // contract ended: 40
		with(func(c *fuzzClaim) { c.dos = "2027-01-01" }),                       // post-dated
		with(func(c *fuzzClaim) { c.rx = "800005"; c.ndc = "00006007131" }),     // excluded
		with(func(c *fuzzClaim) { c.rx = "800006"; c.scc = "1,2,3,4"; c.dur = "XX/YY/ZZ;DD/M0/1A" }),
		with(func(c *fuzzClaim) { c.pharmacy = strings.Repeat("1", 65) }),            // envelope: ErrInvalid
		with(func(c *fuzzClaim) { c.op = 2; c.rx = strings.Repeat("9", 65) }),        // envelope on a reversal
		with(func(c *fuzzClaim) { c.scc = strings.Repeat("1,", 20) + "1" }),          // 21 repetitions: one too many
		with(func(c *fuzzClaim) { c.rx = "800020"; c.rxf = "2026-03-01;2;60;1" }),    // prescription fields that pass
		with(func(c *fuzzClaim) { c.rx = "800021"; c.fill = 3; c.rxf = ";2;;" }),     // 7W
		with(func(c *fuzzClaim) { c.rx = "800022"; c.rxf = "2025-01-01;;;" }),        // M4
		with(func(c *fuzzClaim) { c.rx = "800023"; c.rxf = "2026-04-02;x;0;9" }),     // AB, 29, ET, 13
		with(func(c *fuzzClaim) { c.rx = "800024"; c.qty = "45"; c.rxf = ";0;30;" }), // 9G
		with(func(c *fuzzClaim) { c.op = 2; c.rx = "899998" }),                       // reversal of nothing paid: 84
		with(func(c *fuzzClaim) { c.op = 1; c.rx = "899999" }),                       // rebill with nothing paid: 84
		with(func(c *fuzzClaim) {
			c.qty = "-1"
			c.ingredient = "1e3"
			c.uc = ".5"
			c.gross = "5."
			c.fill = -7
			c.days = 1 << 40
		}),
		{},
		{op: 2},
	}
}

func FuzzBill(f *testing.F) {
	engine, st := fuzzEngine(f)
	for _, s := range fuzzSeeds() {
		f.Add(s.op, s.bin, s.pcn, s.group, s.cardholder, s.person, s.dob, s.gender, s.dos, s.rx, s.fill,
			s.ndc, s.qty, s.days, s.daw, s.ingredient, s.fee, s.uc, s.gross, s.pharmacy, s.prescr, s.scc, s.dur, s.pa, s.rxf)
	}
	f.Fuzz(func(t *testing.T, op uint8, bin, pcn, group, cardholder, person, dob, gender, dos, rx string, fill int,
		ndc, qty string, days int, daw, ingredient, fee, uc, gross, pharmacy, prescr, scc, dur, pa, rxf string) {
		in := fuzzClaim{op, bin, pcn, group, cardholder, person, dob, gender, dos, rx, fill, ndc, qty, days,
			daw, ingredient, fee, uc, gross, pharmacy, prescr, scc, dur, pa, rxf}
		fz := &fuzzer{t: t, ctx: context.Background(), engine: engine, st: st, claim: in.claim(), rev: in.reversal()}
		fz.run(in.op)
	})
}

// fuzzer runs one fuzz input's operation and checks its answers.
type fuzzer struct {
	t      *testing.T
	ctx    context.Context
	engine *adjudicator.Engine
	st     *store.Store
	claim  *adjudicator.Claim
	rev    *adjudicator.Reversal
}

// run does the operation op%4: bill, rebill, reverse, or bill then reverse,
// which must restore the accumulators.
func (fz *fuzzer) run(op uint8) {
	switch op % 4 {
	case 0:
		fz.bill(adjudicator.TxBill)
	case 1:
		fz.bill(adjudicator.TxRebill)
	case 2:
		fz.reverse()
	case 3:
		before := snapshotDocs(fz.t, fz.engine, fz.st)
		if fz.bill(adjudicator.TxBill) != adjudicator.Paid {
			return
		}
		if s := fz.reverse(); s != adjudicator.Accepted {
			fz.t.Fatalf("reversal of the claim just paid: status %s", s)
		}
		if d := diffDocs(before, snapshotDocs(fz.t, fz.engine, fz.st)); d != "" {
			fz.t.Fatalf("paying then reversing did not restore the accumulators:\n%s", d)
		}
	}
}

// bill runs a B1 or B3 and checks it; it reports the status, or "" on an error.
func (fz *fuzzer) bill(tx string) adjudicator.Status {
	t := fz.t
	before := snapshotDocs(t, fz.engine, fz.st)
	var resp *adjudicator.Response
	var err error
	if tx == adjudicator.TxRebill {
		resp, err = fz.engine.Rebill(fz.ctx, fz.claim)
	} else {
		resp, err = fz.engine.Bill(fz.ctx, fz.claim)
	}
	bad := claimEnvelopeBad(fz.claim)
	switch {
	case err != nil && !errors.Is(err, adjudicator.ErrInvalid):
		t.Fatalf("%s: error that is not ErrInvalid: %v", tx, err)
	case err != nil && !bad:
		t.Fatalf("%s: ErrInvalid for a claim within the envelope limits: %v", tx, err)
	case err == nil && bad:
		t.Fatalf("%s: a claim over the envelope limits was adjudicated: %+v", tx, resp)
	case err != nil && resp != nil:
		t.Fatalf("%s: both a response and an error", tx)
	}
	if err == nil {
		checkResponse(t, tx, resp, adjudicator.Paid, adjudicator.Rejected, adjudicator.Duplicate)
	}
	if err != nil || resp.Status != adjudicator.Paid {
		if d := diffDocs(before, snapshotDocs(t, fz.engine, fz.st)); d != "" {
			t.Fatalf("%s: accumulators changed after a %s answer (err %v):\n%s", tx, statusOf(resp), err, d)
		}
	}
	if err != nil {
		return ""
	}
	return resp.Status
}

// reverse runs a B2 and checks it; it reports the status, or "" on an error.
func (fz *fuzzer) reverse() adjudicator.Status {
	t := fz.t
	before := snapshotDocs(t, fz.engine, fz.st)
	resp, err := fz.engine.Reverse(fz.ctx, fz.rev)
	bad := reversalEnvelopeBad(fz.rev)
	switch {
	case err != nil && !errors.Is(err, adjudicator.ErrInvalid):
		t.Fatalf("B2: error that is not ErrInvalid: %v", err)
	case err != nil && !bad:
		t.Fatalf("B2: ErrInvalid for a reversal within the envelope limits: %v", err)
	case err == nil && bad:
		t.Fatalf("B2: a reversal over the envelope limits was processed: %+v", resp)
	}
	if err != nil {
		return ""
	}
	checkResponse(t, "B2", resp, adjudicator.Accepted, adjudicator.Rejected)
	if resp.Status == adjudicator.Rejected {
		if d := diffDocs(before, snapshotDocs(t, fz.engine, fz.st)); d != "" {
			t.Fatalf("B2: accumulators changed after a rejected reversal:\n%s", d)
		}
	}
	return resp.Status
}

func statusOf(r *adjudicator.Response) string {
	if r == nil {
		return "no"
	}
	return string(r.Status)
}
