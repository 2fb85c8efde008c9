package domain

import "fmt"

// BrandClass is one of the four brand classes of a drug, or Default, the
// setting that applies when no class-specific setting exists.
type BrandClass uint8

// The brand classes.
const (
	BrandClassDefault BrandClass = iota
	BrandMultiSource
	BrandSingleSource
	GenericMultiSource
	GenericSingleSource
)

var brandClassNames = [...]string{"DEFAULT", "BRAND_MULTI_SOURCE", "BRAND_SINGLE_SOURCE", "GENERIC_MULTI_SOURCE", "GENERIC_SINGLE_SOURCE"}

// The brand/generic indicator of a drug record: what the compendium says the
// product is marketed as.
const (
	Brand   = "B"
	Generic = "G"
)

// BrandClassOf derives the brand class from a drug's multi-source code
// (the compendium's MONY code) and its brand/generic indicator. The code
// says how many sources the product has: M (a co-licensed product) and N
// (a single-source product) have one, O (the originator of a product with
// generics) and Y (a generic) several. The indicator says whether it is a
// brand (B) or a generic (G); empty takes the code's own meaning, where M,
// N and O are brands and Y is a generic:
//
//	code  indicator  class
//	M, N  B or empty Brand Single-Source
//	M, N  G          Generic Single-Source
//	O, Y  B          Brand Multi-Source (O empty too)
//	O, Y  G          Generic Multi-Source (Y empty too)
//
// Generic Single-Source therefore needs the indicator: the code alone
// never says it.
func BrandClassOf(multiSourceCode, brandGeneric string) (BrandClass, error) {
	var single bool
	switch multiSourceCode {
	case "M", "N":
		single = true
	case "O", "Y":
	default:
		return BrandClassDefault, fmt.Errorf("multi-source code %q: want M, N, O or Y", multiSourceCode)
	}
	brand := multiSourceCode != "Y"
	switch brandGeneric {
	case "":
	case Brand:
		brand = true
	case Generic:
		brand = false
	default:
		return BrandClassDefault, fmt.Errorf("brand/generic indicator %q: want B, G or empty", brandGeneric)
	}
	switch {
	case brand && single:
		return BrandSingleSource, nil
	case brand:
		return BrandMultiSource, nil
	case single:
		return GenericSingleSource, nil
	}
	return GenericMultiSource, nil
}

// IsBrand reports whether c is one of the two brand classes.
func (c BrandClass) IsBrand() bool { return c == BrandMultiSource || c == BrandSingleSource }

func (c BrandClass) String() string {
	if int(c) < len(brandClassNames) {
		return brandClassNames[c]
	}
	return fmt.Sprintf("BrandClass(%d)", c)
}

// MarshalText implements encoding.TextMarshaler.
func (c BrandClass) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is DEFAULT.
func (c *BrandClass) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*c = BrandClassDefault
		return nil
	}
	for i, n := range brandClassNames {
		if n == string(b) {
			*c = BrandClass(i)
			return nil
		}
	}
	return fmt.Errorf("brand class %q: want one of %v", b, brandClassNames)
}
