package domain

import "slices"

// DEA controlled substance schedules a drug or a prescriber's registration
// carries: "2" for C-II to "5" for C-V. Schedule I drugs have no accepted
// medical use and are not dispensed, so "1" is no valid value.
var DEASchedules = []string{"2", "3", "4", "5"}

// ValidDEASchedule reports whether s is one of DEASchedules.
func ValidDEASchedule(s string) bool { return slices.Contains(DEASchedules, s) }

// Prescriber is a prescriber on the plan's prescriber file: who may write
// the prescriptions the plan pays for (DOMAIN.md section 6, step 5b).
type Prescriber struct {
	NPI  string `json:"npi"`
	Name string `json:"name,omitempty"`
	// Range is when the prescriber is active on file (licensed, enrolled);
	// outside it a claim rejects 42.
	Range `yaml:",inline"`
	// Excluded marks a prescriber the plan does not cover (a sanction or
	// exclusion list): claims reject 71.
	Excluded bool `json:"excluded,omitempty"`
	// DEA is the prescriber's DEA registration, when on file: its number,
	// the schedules it allows and the last day it is active (zero: no end).
	DEA          string   `json:"dea_number,omitempty"`
	DEASchedules []string `json:"dea_schedules,omitempty"`
	DEAExpires   Date     `json:"dea_expiration,omitempty"`
}

// Validate checks a prescriber and reports every problem (as Problems).
func (p *Prescriber) Validate() error {
	var ps Problems
	if !ValidNPI(p.NPI) {
		ps.Addf("", "prescriber %q: npi is not a valid NPI", p.NPI)
	}
	ps.Wrap("", "prescriber "+p.NPI, p.Range.Validate())
	if p.DEA != "" && !ValidDEA(p.DEA) {
		ps.Addf("", "prescriber %s: dea_number %q is not a valid DEA number (2 letters, 7 digits, check digit)", p.NPI, p.DEA)
	}
	if p.DEA == "" && (len(p.DEASchedules) > 0 || !p.DEAExpires.IsZero()) {
		ps.Addf("", "prescriber %s: dea_schedules and dea_expiration need a dea_number", p.NPI)
	}
	for _, s := range p.DEASchedules {
		if !ValidDEASchedule(s) {
			ps.Addf("", "prescriber %s: dea schedule %q must be one of 2, 3, 4, 5", p.NPI, s)
		}
	}
	return ps.Err()
}

// ValidDEA checks a DEA registration number: two letters (the registrant
// type and, for most, the registrant's last-name initial; the second may
// be 9 for a business) and seven digits, the last a check digit: the sum
// of the first, third and fifth digits plus twice the sum of the second,
// fourth and sixth ends in it.
func ValidDEA(s string) bool {
	if len(s) != 9 || !isUpper(s[0]) || !(isUpper(s[1]) || s[1] == '9') || !IsDigits(s[2:], 7, 7) {
		return false
	}
	d := func(i int) int { return int(s[2+i] - '0') }
	sum := d(0) + d(2) + d(4) + 2*(d(1)+d(3)+d(5))
	return sum%10 == d(6)
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }
