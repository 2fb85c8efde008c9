package demo

import (
	"fmt"

	"github.com/rxclaims/rxclaims/domain"
)

// DemoPrescriberDEA is the DEA registration of DemoPrescriberNPI, which
// allows schedules II to V.
const DemoPrescriberDEA = "AB1234563"

// prescribers is the demo prescriber file: the documented prescriber and
// the 50 prescribers the bench's claim mix sends (NPIs 2000000000 to
// 2000000049 with their check digits), all active from 2020 on, so a plan
// that turns prescriber_validation ON still pays the documented claims.
// Every tenth generated prescriber has a DEA registration for III to V.
func prescribers() []domain.Prescriber {
	out := []domain.Prescriber{{NPI: DemoPrescriberNPI, Name: "Dr. Demo Prescriber", Range: domain.Range{From: date("2020-01-01")},
		DEA: DemoPrescriberDEA, DEASchedules: []string{"2", "3", "4", "5"}}}
	for i := range 50 {
		p := domain.Prescriber{NPI: NPI(fmt.Sprintf("2%08d", i)), Name: fmt.Sprintf("Prescriber %02d", i), Range: domain.Range{From: date("2020-01-01")}}
		if i%10 == 0 {
			p.DEA, p.DEASchedules = deaNumber("BP", 1000000+i), []string{"3", "4", "5"}
		}
		out = append(out, p)
	}
	return out
}

// deaNumber builds a DEA number from two letters and the first six digits
// of n, with its check digit.
func deaNumber(letters string, n int) string {
	s := fmt.Sprintf("%06d", n%1000000)
	d := func(i int) int { return int(s[i] - '0') }
	return fmt.Sprintf("%s%s%d", letters, s, (d(0)+d(2)+d(4)+2*(d(1)+d(3)+d(5)))%10)
}
