package adjudicator

// Identifier checks shared with the loader, which validates the same
// fields before they reach the engine.

// ValidNPI reports whether s is a 10-digit National Provider Identifier
// with a correct Luhn check digit (computed over the prefix 80840).
func ValidNPI(s string) bool { return validNPI(s) }

// IsDigits reports whether s is minLen to maxLen ASCII digits.
func IsDigits(s string, minLen, maxLen int) bool { return isDigits(s, minLen, maxLen) }

// IsAlnum reports whether s is minLen to maxLen ASCII letters or digits.
func IsAlnum(s string, minLen, maxLen int) bool { return isAlnum(s, minLen, maxLen) }
