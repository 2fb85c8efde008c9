package records

// traceDictionary holds the strings a trace's second binary form
// (trace.go) writes as a number: the engine's step names and formats, and
// argument texts that are constants of the code (edit kinds, brand
// classes, network segments). A stored record's number must name the same
// string in every later build: append only, never change, remove or
// reorder an entry (testdata/trace_dictionary.txt pins them,
// TestTraceDictionary). The first 64 take one byte, the next 8,128 two.
//
// TestScenarios (adjudicator) fails on a step name or format the
// worksheets' stored traces use that is not here: append it.
var traceDictionary = []string{
	// The steps and formats of the bench mix's claims, and argument texts
	// of the code they repeat: one byte each.
	"syntax",
	"duplicate",
	"eligibility",
	"pharmacy",
	"product",
	"edits",
	"refill too soon",
	"pricing",
	"deductible",
	"cost share",
	"out of pocket",
	"reversal",
	"brand penalty",
	"%s %s",
	"all fields valid",
	"covered %s to %s",
	"network %s",
	"%s: tier %d, %s",
	"ingredient %s + fee %s = allowed %s (basis %s; AWP less %s%% = %s)",
	"%s remaining, %s applied",
	"%s on %s: copay %s, coinsurance %s",
	"%s remaining",
	"no paid claim under this key",
	"no earlier fill in class %s",
	"%s; earliest %s",
	"claim %s reversed; its %d accumulator contributions removed",
	"rebill replaces paid claim %s",
	"DAW %s on a multi-source brand: ingredient exceeds %s (%s) by %s",
	"%s remaining; member share capped",
	"member pays %s for the brand over MAC",
	"open",
	"selected (default rule, PBM)",
	"REFILL_TOO_SOON",
	"DEDUCTIBLE",
	"COST_SHARE",
	"OUT_OF_POCKET",
	"GENERIC_MULTI_SOURCE",
	"BRAND_MULTI_SOURCE",
	"BRAND_SINGLE_SOURCE",
	"GENERIC_SINGLE_SOURCE",
	"RETAIL/IN",
	"RETAIL90/IN",
	"MAIL/IN",
	"SPECIALTY/IN",
	"RETAIL/OUT",
	"RETAIL90/OUT",
	"MAIL/OUT",
	"SPECIALTY/OUT",
	// The other steps and formats of the scenario worksheets' claims, the
	// other step names the engine may give, and the other edit kinds.
	"%s",
	"%s remaining of %s; member pays the excess %s",
	"%s remaining of %s; plan pays %s",
	"%s used + %s within %s",
	"%s: the primary payer did not cover the claim; the plan pays it",
	"%s; overridden by %s",
	"%s; overridden by DUR/PPS %s/%s/%s",
	"%s; the network's fee %s applies",
	"AWP discount from %s",
	"AWP discount: %s; %s applies",
	"AWP less %s%%, MAC %s",
	"MAC %s per unit from %s",
	"a %s claim does not count toward it: %s remains",
	"claim %s reversed by retro job %s; its %d accumulator contributions removed",
	"copay from %s on %s: copay %s",
	"days supply",
	"days supply %d allowed",
	"dispensing fee",
	"dispensing fee %s from %s",
	"dur drug interaction",
	"flag %s: %s; %s",
	"ingredient basis",
	"max dollars",
	"max rx count",
	"network %s, terms version %d",
	"no %s conflict with active therapy",
	"not on the MAC list: %s",
	"plan version %d, in force %s to %s",
	"prerequisite %s filled %s, within %d days",
	"prescriber",
	"prescriber %s active on file",
	"prescriber %s active on file; DEA registration allows C-%s",
	"prescription",
	"prior authorization",
	"quantity",
	"quantity %s on %d earlier fill(s) and this one, of %s allowed (%s prescribed, %d refill(s))",
	"quantity %s within limits",
	"retro reversal",
	"retroactive re-adjudication of claim %s, which its retro job reversed",
	"settings",
	"step therapy",
	"submission",
	"tier %d instead of %d by %s",
	"too soon (earliest %s) but overridden by %s",
	"too soon (earliest %s) but overridden by clarification code %s",
	"usual & customary 0.00 ignored: the lesser-of leaves it out",
	"accumulators",
	"age",
	"balances",
	"claim cost",
	"clinical",
	"commit",
	"contributions",
	"count maximums",
	"dur therapeutic duplication",
	"gender",
	"limitations",
	"max units",
	"refills",
	"routing",
	"INGREDIENT_BASIS",
	"DISPENSING_FEE",
	"CLAIM_COST",
	"QUANTITY",
	"DAYS_SUPPLY",
	"AGE",
	"GENDER",
	"REFILLS",
	"MAX_RX_COUNT",
	"MAX_DOLLARS",
	"MAX_UNITS",
	"STEP_THERAPY",
	"PRIOR_AUTHORIZATION",
	"DUR_DRUG_INTERACTION",
	"DUR_THERAPEUTIC_DUPLICATION",
}

// traceDictionaryIndex is the number of each entry of traceDictionary.
var traceDictionaryIndex = func() map[string]uint32 {
	m := make(map[string]uint32, len(traceDictionary))
	for i, s := range traceDictionary {
		if _, ok := m[s]; !ok {
			m[s] = uint32(i)
		}
	}
	return m
}()

// InTraceDictionary reports whether a trace stores s as a number of its
// dictionary rather than as its text.
func InTraceDictionary(s string) bool {
	_, ok := traceDictionaryIndex[s]
	return ok
}
