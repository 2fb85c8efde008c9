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

// BrandClassOf derives the brand class from a drug's multi-source code:
//
//	N  single-source brand                       → Brand Single-Source
//	O  originator brand, generics available       → Brand Multi-Source
//	M  co-licensed product, one generic source     → Generic Single-Source
//	Y  generic with several sources               → Generic Multi-Source
func BrandClassOf(multiSourceCode string) (BrandClass, error) {
	switch multiSourceCode {
	case "N":
		return BrandSingleSource, nil
	case "O":
		return BrandMultiSource, nil
	case "M":
		return GenericSingleSource, nil
	case "Y":
		return GenericMultiSource, nil
	}
	return BrandClassDefault, fmt.Errorf("multi-source code %q: want M, N, O or Y", multiSourceCode)
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
