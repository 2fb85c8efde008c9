package adjudicator

// ValidNPI reports whether s is a 10-digit National Provider Identifier
// with a correct Luhn check digit (computed over the prefix 80840).
func ValidNPI(s string) bool { return validNPI(s) }
