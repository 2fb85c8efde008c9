package domain

import "testing"

func TestValidDEA(t *testing.T) {
	for s, want := range map[string]bool{
		"AB1234563": true,  // 1+3+5 + 2*(2+4+6) = 33: check digit 3
		"A91234563": true,  // a business registrant: 9 in second place
		"AB1234564": false, // wrong check digit
		"ab1234563": false, // letters are upper case
		"AB123456":  false,
		"1B1234563": false,
		"AB12345X3": false,
		"":          false,
	} {
		if got := ValidDEA(s); got != want {
			t.Errorf("ValidDEA(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestPrescriberValidate(t *testing.T) {
	ok := Prescriber{NPI: "1000000053", Range: Range{From: MustDate("2020-01-01")}, DEA: "AB1234563", DEASchedules: []string{"2", "5"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid prescriber: %v", err)
	}
	bad := Prescriber{NPI: "1000000050", DEASchedules: []string{"1"}, DEAExpires: MustDate("2027-01-01")}
	const want = `prescriber "1000000050": npi is not a valid NPI` + "\n" +
		`prescriber 1000000050: effective date is required` + "\n" +
		`prescriber 1000000050: dea_schedules and dea_expiration need a dea_number` + "\n" +
		`prescriber 1000000050: dea schedule "1" must be one of 2, 3, 4, 5`
	if err := bad.Validate(); err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
