package demo

// NPI returns the 10-digit NPI made of base9 (nine digits) and its Luhn
// check digit, for callers that generate pharmacies or prescribers. It
// panics when base9 is not nine digits.
func NPI(base9 string) string { return npi(base9) }
