package bench

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/demo"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// Kind is a kind of transaction in the claim mix.
type Kind int

// The kinds of the mix. Each says what the adjudicator should answer;
// the report sets that against what it did answer.
const (
	KindNew                Kind = iota // a new prescription: paid
	KindRefill                         // the next fill, on or after its due date: paid
	KindRefillTooSoon                  // the next fill before three quarters of the supply is used: 79 where a refill-too-soon edit is active
	KindReversal                       // B2 of a paid fill: accepted
	KindRebill                         // B3 of a paid fill with another quantity: paid
	KindDuplicate                      // the identical B1 again (a switch's retry): duplicate
	KindUnknownMember                  // 52
	KindWrongBirthDate                 // 09
	KindWrongPersonCode                // 53
	KindTerminatedMember               // 69
	KindNonFormulary                   // MR
	KindExcludedDrug                   // 70
	KindUnknownDrug                    // 54
	KindTerminatedPharmacy             // 40
	KindUnknownPharmacy                // 50
	KindBadQuantity                    // E7
	kindCount
)

// kindInfo names each kind, its expected answer and its share of the mix in
// per mille. About 80 % of claims pay; rejects are spread over eligibility,
// product, pharmacy and syntax, as a PBM sees them.
var kindInfo = [kindCount]struct {
	name, expect string
	weight       int
}{
	KindNew:                {"new fill", "P", 520},
	KindRefill:             {"refill on schedule", "P", 200},
	KindRefillTooSoon:      {"refill too soon", "R 79", 40},
	KindReversal:           {"reversal", "A", 50},
	KindRebill:             {"rebill", "P", 20},
	KindDuplicate:          {"duplicate retry", "D", 30},
	KindUnknownMember:      {"unknown cardholder", "R 52", 15},
	KindWrongBirthDate:     {"date of birth mismatch", "R 09", 15},
	KindWrongPersonCode:    {"person code not on family", "R 53", 5},
	KindTerminatedMember:   {"coverage terminated", "R 69", 15},
	KindNonFormulary:       {"not on formulary", "R MR", 25},
	KindExcludedDrug:       {"excluded drug", "R 70", 15},
	KindUnknownDrug:        {"unknown NDC", "R 54", 10},
	KindTerminatedPharmacy: {"pharmacy contract ended", "R 40", 15},
	KindUnknownPharmacy:    {"unknown pharmacy", "R 50", 5},
	KindBadQuantity:        {"quantity missing (syntax)", "R E7", 20},
}

func (k Kind) String() string { return kindInfo[k].name }

// Op is one transaction to send: exactly one of its requests is set.
type Op struct {
	Kind    Kind
	Bill    *pb.BillRequest
	Rebill  *pb.RebillRequest
	Reverse *pb.ReverseRequest
}

// String describes the op in one line (for tests and debugging).
func (op *Op) String() string {
	switch {
	case op.Bill != nil:
		return fmt.Sprintf("%s B1 %v", op.Kind, op.Bill.GetClaim())
	case op.Rebill != nil:
		return fmt.Sprintf("%s B3 %v", op.Kind, op.Rebill.GetClaim())
	}
	return fmt.Sprintf("%s B2 %v", op.Kind, op.Reverse.GetReversal())
}

// rx is a prescription: who, what, where, and its last fill.
type rx struct {
	m           *member
	d           drug
	npi         string
	number      string
	fill        int
	last        domain.Date
	days, qty   int
	daw         string
	refillsLeft int
}

func (r *rx) due() domain.Date { return r.last.AddDays(r.days) }

// dueHeap orders open prescriptions by the date their next fill is due.
type dueHeap []*rx

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due().Before(h[j].due()) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(*rx)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// sent is a recent fill expected to be paid, which later reversals,
// rebills and duplicate retries refer to.
type sent struct {
	claim    *pb.Claim
	days     int
	seq      uint64 // when it (or its rebill) was generated
	reversed bool
}

// Mix limits.
const (
	recentFills = 8192    // fills remembered for reversals, rebills and retries
	maxOpen     = 500_000 // prescriptions awaiting refills
)

// Generator draws the claim mix from a population. It is deterministic for
// a seed and not safe for concurrent use. Calendar: ops are dated by the
// current phase (see SetPhase), every one on the phase's single day by
// default.
type Generator struct {
	pop *Population
	rng *rand.Rand
	// window is how many ops a fill must be older than before a reversal,
	// rebill or retry refers to it, so the fill has been answered even
	// with that many calls in flight.
	window      uint64
	seq, rxSeq  uint64
	from        domain.Date
	perDay      float64
	phaseStart  uint64
	open        dueHeap
	recent      []sent
	covered     []int // members covered today
	termed      []int // members whose coverage ended
	generic     []drug
	brand       []drug
	prescribers []string
	cumulative  [kindCount]int
}

// NewGenerator returns a generator over pop; window should be at least the
// number of calls in flight.
func NewGenerator(pop *Population, seed uint64, window int) *Generator {
	g := &Generator{pop: pop, rng: rand.New(rand.NewPCG(seed, 0x6d6978)), window: uint64(max(window, 1)), rxSeq: 1_000_000, from: pop.Today}
	for i := range pop.members {
		if pop.members[i].termination.IsZero() {
			g.covered = append(g.covered, i)
		} else {
			g.termed = append(g.termed, i)
		}
	}
	for _, d := range pop.maintenance {
		if d.brand {
			g.brand = append(g.brand, d)
		} else {
			g.generic = append(g.generic, d)
		}
	}
	for i := range 50 {
		g.prescribers = append(g.prescribers, demo.NPI(fmt.Sprintf("2%08d", i)))
	}
	total := 0
	for k := range kindCount {
		total += kindInfo[k].weight
		g.cumulative[k] = total
	}
	return g
}

// SetPhase dates the next ops from `from` on, perDay ops a day (0: all on
// from). Dates never pass the population's today.
func (g *Generator) SetPhase(from domain.Date, perDay float64) {
	g.from, g.perDay, g.phaseStart = from, perDay, g.seq
}

func (g *Generator) today() domain.Date {
	d := g.from
	if g.perDay > 0 {
		d = d.AddDays(int(float64(g.seq-g.phaseStart) / g.perDay))
	}
	if d.After(g.pop.Today) {
		d = g.pop.Today
	}
	return d
}

// Next returns the next op of the mix.
func (g *Generator) Next() *Op {
	g.seq++
	x := g.rng.IntN(g.cumulative[kindCount-1])
	k := KindNew
	for x >= g.cumulative[k] {
		k++
	}
	if op := g.make(k); op != nil {
		return op
	}
	return g.newFill() // nothing to refer to yet
}

// make makes an op of kind k, or nil when it has nothing to refer to yet.
func (g *Generator) make(k Kind) *Op {
	day := g.today()
	switch k {
	case KindNew:
		return g.newFill()
	case KindRefill:
		return g.refill(day)
	case KindRefillTooSoon:
		return g.refillTooSoon(day)
	case KindReversal:
		return g.reversal()
	case KindRebill:
		return g.rebill()
	case KindDuplicate:
		s := g.pickRecent(nil)
		if s == nil {
			return nil
		}
		return &Op{Kind: k, Bill: &pb.BillRequest{Claim: s.claim}}
	}
	return g.reject(k, day)
}

// refill bills the prescription due first, if it is due by day.
func (g *Generator) refill(day domain.Date) *Op {
	if len(g.open) == 0 || g.open[0].due().After(day) {
		return nil
	}
	r := heap.Pop(&g.open).(*rx)
	r.fill++
	r.last = day
	r.refillsLeft--
	op := g.bill(KindRefill, g.claim(r, day))
	if r.refillsLeft > 0 {
		heap.Push(&g.open, r)
	}
	return op
}

// refillTooSoon bills the next fill of a recent one before three quarters
// of its supply is used up.
func (g *Generator) refillTooSoon(day domain.Date) *Op {
	s := g.pickRecent(func(s *sent) bool {
		last, _ := domain.ParseDate(s.claim.DateOfService)
		return last.AddDays(s.days*3/4).After(day) && s.claim.FillNumber < 99
	})
	if s == nil {
		return nil
	}
	c := proto.Clone(s.claim).(*pb.Claim)
	c.FillNumber++
	c.DateOfService = day.String()
	return &Op{Kind: KindRefillTooSoon, Bill: &pb.BillRequest{Claim: c}}
}

// reversal reverses a recent fill.
func (g *Generator) reversal() *Op {
	s := g.pickRecent(nil)
	if s == nil {
		return nil
	}
	s.reversed = true
	c := s.claim
	return &Op{Kind: KindReversal, Reverse: &pb.ReverseRequest{Reversal: &pb.Reversal{
		Bin: c.Bin, ProcessorControlNumber: c.ProcessorControlNumber, PharmacyNpi: c.PharmacyNpi,
		RxNumber: c.RxNumber, FillNumber: c.FillNumber, DateOfService: c.DateOfService,
	}}}
}

// rebill sends a recent fill again with a corrected quantity.
func (g *Generator) rebill() *Op {
	s := g.pickRecent(nil)
	if s == nil {
		return nil
	}
	c := proto.Clone(s.claim).(*pb.Claim)
	// The pharmacy corrects the quantity: one unit less (one more for a single unit).
	qty, _ := decimal.NewFromString(c.QuantityDispensed)
	corrected := qty.Sub(decimal.NewFromInt(1))
	if !corrected.IsPositive() {
		corrected = qty.Add(decimal.NewFromInt(1))
	}
	ratio := corrected.Div(qty)
	c.QuantityDispensed = corrected.String()
	for _, f := range []*string{&c.IngredientCostSubmitted, &c.UsualAndCustomaryCharge, &c.GrossAmountDue} {
		v, _ := decimal.NewFromString(*f)
		*f = v.Mul(ratio).StringFixed(2)
	}
	s.claim, s.seq = c, g.seq
	return &Op{Kind: KindRebill, Rebill: &pb.RebillRequest{Claim: c}}
}

// reject makes a claim that would pay, with one thing wrong: the member,
// the drug, the pharmacy or the quantity, as kind k says.
func (g *Generator) reject(k Kind, day domain.Date) *Op {
	r := g.newRx(day)
	switch k {
	case KindTerminatedMember:
		if len(g.termed) == 0 {
			return nil
		}
		m := &g.pop.members[g.termed[g.rng.IntN(len(g.termed))]]
		r.m = m
		if day = m.termination.AddDays(1 + g.rng.IntN(10)); day.After(g.pop.Today) {
			day = g.pop.Today
		}
	case KindNonFormulary:
		r.d = drug{ndc: g.pop.nonFormulary[g.rng.IntN(len(g.pop.nonFormulary))], awp: decimal.NewFromInt(9)}
	case KindExcludedDrug:
		r.d = drug{ndc: g.pop.excluded[g.rng.IntN(len(g.pop.excluded))], awp: decimal.NewFromInt(2)}
	case KindUnknownDrug:
		r.d.ndc = "11111111111"
	case KindTerminatedPharmacy:
		r.npi = g.pick(terminated)
	case KindUnknownPharmacy:
		r.npi = demo.NPI(fmt.Sprintf("4%08d", g.rng.IntN(1e8)))
	}
	c := g.claim(r, day)
	switch k {
	case KindUnknownMember:
		c.CardholderId = fmt.Sprintf("ZZ%08d", g.rng.IntN(1e8))
	case KindWrongBirthDate:
		c.DateOfBirth = r.m.dob.AddDays(-1 - g.rng.IntN(300)).String()
	case KindWrongPersonCode:
		c.PersonCode = "009"
	case KindBadQuantity:
		c.QuantityDispensed = ""
	}
	return &Op{Kind: k, Bill: &pb.BillRequest{Claim: c}}
}

// newFill starts a prescription, fills it and, for maintenance drugs,
// schedules its refills.
func (g *Generator) newFill() *Op {
	day := g.today()
	r := g.newRx(day)
	op := g.bill(KindNew, g.claim(r, day))
	if r.refillsLeft > 0 && len(g.open) < maxOpen {
		heap.Push(&g.open, r)
	}
	return op
}

// newRx draws a prescription for a covered member: a maintenance drug
// (generic 85 % of the time) most often, an antibiotic sometimes, a
// specialty drug rarely; 30 or 90 days; the pharmacy by drug and supply,
// out of network now and then.
func (g *Generator) newRx(day domain.Date) *rx {
	g.rxSeq++
	r := &rx{
		m:      &g.pop.members[g.covered[g.rng.IntN(len(g.covered))]],
		number: strconv.FormatUint(g.rxSeq, 10),
		last:   day,
		daw:    "0",
	}
	out := g.rng.IntN(100) < 6
	switch x := g.rng.IntN(100); {
	case x < 2:
		r.d, r.days, r.qty, r.refillsLeft = g.pop.specialty[g.rng.IntN(len(g.pop.specialty))], 28, 2, 11
		r.npi = g.pick(network(out, specialtyIn, specialtyOut))
		return r
	case x < 14:
		r.d, r.days, r.qty = g.pop.acute[g.rng.IntN(len(g.pop.acute))], 10, 20
		r.npi = g.pick(network(out, retailIn, retailOut))
		return r
	}
	if g.rng.IntN(100) < 15 && len(g.brand) > 0 {
		r.d = g.brand[g.rng.IntN(len(g.brand))]
		r.daw = [...]string{"0", "0", "0", "0", "0", "0", "0", "1", "1", "2"}[g.rng.IntN(10)]
	} else {
		r.d = g.generic[g.rng.IntN(len(g.generic))]
	}
	r.refillsLeft = 11
	r.days, r.qty = 30, 30
	kind := network(out, retailIn, retailOut)
	if g.rng.IntN(100) < 10 {
		kind = retailOnlyIn
	}
	if g.rng.IntN(100) < 30 {
		r.days, r.qty, r.refillsLeft = 90, 90, 3
		if g.rng.IntN(100) < 40 {
			kind = network(out, mailIn, mailOut)
		} else if kind == retailOnlyIn {
			kind = retailIn
		}
	}
	r.npi = g.pick(kind)
	return r
}

// network picks the in- or out-of-network kind.
func network(out bool, in, outOfNetwork pharmacyKind) pharmacyKind {
	if out {
		return outOfNetwork
	}
	return in
}

func (g *Generator) pick(k pharmacyKind) string {
	list := g.pop.pharmacies[k]
	return list[g.rng.IntN(len(list))]
}

// claim builds the B1 of r's current fill dated day. The pharmacy submits
// AWP as its ingredient cost and a usual-and-customary price above it, so
// the lesser-of rules decide the price.
func (g *Generator) claim(r *rx, day domain.Date) *pb.Claim {
	awp := r.d.awp.Mul(decimal.NewFromInt(int64(r.qty)))
	uc := awp.Mul(decimal.New(11, -1)).Add(decimal.NewFromInt(5))
	return &pb.Claim{
		Bin: demo.BIN, ProcessorControlNumber: demo.PCN, GroupId: r.m.group,
		CardholderId: r.m.cardholder, PersonCode: r.m.personCode, DateOfBirth: r.m.dob.String(),
		DateOfService: day.String(), RxNumber: r.number, FillNumber: int32(r.fill), ProductId: r.d.ndc,
		QuantityDispensed: strconv.Itoa(r.qty), DaysSupply: int32(r.days), DawCode: r.daw,
		IngredientCostSubmitted: awp.StringFixed(2), UsualAndCustomaryCharge: uc.StringFixed(2), GrossAmountDue: uc.StringFixed(2),
		PharmacyNpi: r.npi, PrescriberNpi: g.prescribers[g.rng.IntN(len(g.prescribers))],
	}
}

// bill wraps a claim expected to pay and remembers it for later reversals,
// rebills and retries.
func (g *Generator) bill(k Kind, c *pb.Claim) *Op {
	s := sent{claim: c, days: int(c.DaysSupply), seq: g.seq}
	if len(g.recent) < recentFills {
		g.recent = append(g.recent, s)
	} else {
		g.recent[g.seq%recentFills] = s
	}
	return &Op{Kind: k, Bill: &pb.BillRequest{Claim: c}}
}

// pickRecent returns a remembered fill old enough to have been answered,
// not reversed and passing ok, trying a few at random; nil if none.
func (g *Generator) pickRecent(ok func(*sent) bool) *sent {
	for range 8 {
		if len(g.recent) == 0 {
			return nil
		}
		s := &g.recent[g.rng.IntN(len(g.recent))]
		if s.seq+g.window <= g.seq && !s.reversed && (ok == nil || ok(s)) {
			return s
		}
	}
	return nil
}
