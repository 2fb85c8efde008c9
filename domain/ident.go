package domain

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// IsDigits reports whether s is minLen to maxLen ASCII digits.
func IsDigits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsAlnum reports whether s is minLen to maxLen ASCII letters or digits.
func IsAlnum(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// ValidNPI checks a 10-digit National Provider Identifier with its Luhn
// check digit computed over the prefix 80840.
func ValidNPI(s string) bool {
	if !IsDigits(s, 10, 10) {
		return false
	}
	sum := 24 // the contribution of the prefix 80840
	for i := 8; i >= 0; i-- {
		d := int(s[i] - '0')
		if (8-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10-sum%10)%10 == int(s[9]-'0')
}

// ValidAttributeName reports whether s is a customer-defined attribute name:
// 1 to 40 lower-case letters, digits or '_', starting with a letter.
func ValidAttributeName(s string) bool {
	if len(s) == 0 || len(s) > 40 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// ValidateAttributes checks customer-defined attribute names and values and
// reports every problem (as Problems), in name order.
func ValidateAttributes(attrs map[string]string) error {
	var ps Problems
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if !ValidAttributeName(k) {
			ps.Addf("", "attribute %q: names are 1 to 40 lower-case letters, digits or '_', starting with a letter", k)
		} else if len(attrs[k]) > 100 {
			ps.Addf("", "attribute %s: value longer than 100 characters", k)
		}
	}
	return ps.Err()
}

// term returns the network's pricing term for a brand class, falling back to DEFAULT.
func (n *Network) Term(bc BrandClass) *PricingTerm {
	var def *PricingTerm
	for i := range n.Pricing {
		switch n.Pricing[i].BrandClass {
		case bc:
			return &n.Pricing[i]
		case BrandClassDefault:
			def = &n.Pricing[i]
		}
	}
	return def
}

// maxQuoted bounds how much of a value an error message repeats.
const maxQuoted = 40

// Quote quotes s for an error message, as %q does, but repeats at most
// its first 40 bytes: a message never echoes an unbounded input back.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}
