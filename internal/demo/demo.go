// Package demo builds the built-in demonstration dataset the server starts
// on when no configuration file is given: two benefit plans, eight pharmacy
// networks (each type in and out of network), 15 pharmacies, about forty
// drugs, a prescriber file of 51 prescribers and a few hundred members.
//
// The dataset is deterministic: the generated families come from a fixed
// random seed, so every call of [Config] returns the same content and the
// documented examples (the exported constants below) always hold.
package demo

import (
	"fmt"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// Fixed values that documentation and tests can rely on.
const (
	// BIN [101-A1] and PCN [104-A4] the demo claims are sent with.
	BIN = "610999"
	PCN = "RXCLAIMS"

	// PlanPPO and PlanHDHP are the two benefit plans.
	PlanPPO  = "PPO-2026"
	PlanHDHP = "HDHP-2026"

	// DemoCardholder is a family on PPO-2026 from 2026-01-01, open-ended:
	// subscriber 001 born 1980-04-12, spouse 002 born 1982-09-30 and
	// child 003 born 2012-02-14, all in group GRP100.
	DemoCardholder        = "DEMO0001"
	DemoGroup             = "GRP100"
	DemoSubscriberCode    = "001"
	DemoSubscriberDOB     = "1980-04-12"
	DemoSpouseCode        = "002"
	DemoSpouseDOB         = "1982-09-30"
	DemoChildCode         = "003"
	DemoChildDOB          = "2012-02-14"
	DemoCoverageEffective = "2026-01-01"

	// DemoPharmacyNPI is Main Street Pharmacy, in RETAIL-PREF and RETAIL90-NET.
	DemoPharmacyNPI  = "1234567893"
	DemoPharmacyName = "Main Street Pharmacy"
	// DemoPrescriberNPI is a valid NPI to use as prescriber [411-DB].
	DemoPrescriberNPI = "1245319599"

	// DemoGenericNDC is atorvastatin calcium 20 mg tablet (multi-source
	// generic, code Y): tier 1, AWP 1.20 and MAC 0.09 per tablet.
	DemoGenericNDC = "00093505698"
	// DemoBrandNDC is Lipitor 20 mg tablet (multi-source brand, code O):
	// tier 2, AWP 13.50 and MAC 0.09 per tablet.
	DemoBrandNDC = "00071015523"
	// DemoSingleSourceBrandNDC is Eliquis 5 mg tablet (single-source brand,
	// code N): tier 2, AWP 10.35 per tablet, 10.92 from 2026-07-01, no MAC.
	DemoSingleSourceBrandNDC = "00003089421"
	// DemoSpecialtyNDC is Humira Pen 40 mg/0.4 mL (code N): tier 4.
	DemoSpecialtyNDC = "00074055402"
	// DemoNonFormularyNDC is Aczone 7.5% gel: on no formulary (reject MR).
	DemoNonFormularyNDC = "00023536160"
	// DemoExcludedNDC is Wegovy, in the excluded anti-obesity class (reject 70).
	DemoExcludedNDC = "00169452514"

	// DemoMailPharmacyNPI, DemoSpecialtyPharmacyNPI, DemoOutOfNetworkNPI and
	// DemoTerminatedPharmacyNPI are the mail-order pharmacy (MAIL-NET), the
	// specialty pharmacy (SPECIALTY-NET), an independent that is only in
	// RETAIL-OPEN (out of network) and a pharmacy whose contract ended
	// 2025-12-31 (reject 40 in 2026).
	DemoMailPharmacyNPI       = "1846203978"
	DemoSpecialtyPharmacyNPI  = "1938475625"
	DemoOutOfNetworkNPI       = "1192837460"
	DemoTerminatedPharmacyNPI = "1273645196"
)

// Config returns the demo configuration bundle. Each call builds a fresh,
// identical value that the caller may modify.
func Config() *config.Config {
	return &config.Config{
		// The demo answers only for its BIN/PCN: a claim under another
		// rejects 01 (unknown BIN) or 1T (unknown PCN).
		Settings:    config.SettingsVersions{{Routes: []config.Route{{BIN: BIN, PCN: PCN}}}},
		Plans:       plans(),
		Networks:    networks(),
		Pharmacies:  pharmacies(),
		Drugs:       drugs(),
		Prescribers: prescribers(),
		Families:    families(),
	}
}

// dec parses a decimal literal of the tables.
func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// date parses a YYYY-MM-DD literal of the tables.
func date(s string) domain.Date { return domain.MustDate(s) }

// npi returns the 10-digit NPI made of base9 and its Luhn check digit,
// computed over the prefix 80840 as the NPI standard requires.
func npi(base9 string) string {
	if len(base9) != 9 {
		panic(fmt.Sprintf("demo: npi base %q must be 9 digits", base9))
	}
	sum := 24 // the contribution of the prefix 80840
	for i := 8; i >= 0; i-- {
		c := base9[i]
		if c < '0' || c > '9' {
			panic(fmt.Sprintf("demo: npi base %q must be 9 digits", base9))
		}
		d := int(c - '0')
		if (8-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return fmt.Sprintf("%s%d", base9, (10-sum%10)%10)
}
