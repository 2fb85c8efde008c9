package demo

import (
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
)

// Network IDs.
const (
	NetRetailPref = "RETAIL-PREF"  // preferred retail, in network
	NetRetail90   = "RETAIL90-NET" // 90-day retail, in network
	NetMail       = "MAIL-NET"     // mail order, in network
	NetSpecialty  = "SPECIALTY-NET"
	NetRetailOpen = "RETAIL-OPEN" // any willing retail pharmacy, out of network
	// Out-of-network networks of the other three types.
	NetRetail90Open  = "RETAIL90-OPEN"
	NetMailOpen      = "MAIL-OPEN"
	NetSpecialtyOpen = "SPECIALTY-OPEN"
)

// term is one pricing term: brand class, AWP discount and dispensing fee.
type term struct {
	class         domain.BrandClass
	discount, fee string
}

// networks returns the eight pharmacy networks with their pricing: a DEFAULT
// term that brands use and a deeper discount for the two generic classes.
func networks() []config.Network {
	table := []struct {
		id    string
		typ   domain.NetworkType
		terms []term
	}{
		{NetRetailPref, domain.Retail, []term{
			{domain.BrandClassDefault, "0.17", "1.50"},
			{domain.GenericMultiSource, "0.80", "2.00"},
			{domain.GenericSingleSource, "0.80", "2.00"},
		}},
		{NetRetail90, domain.Retail90, []term{
			{domain.BrandClassDefault, "0.20", "1.00"},
			{domain.GenericMultiSource, "0.82", "1.50"},
			{domain.GenericSingleSource, "0.82", "1.50"},
		}},
		{NetMail, domain.Mail, []term{
			{domain.BrandClassDefault, "0.22", "0.50"},
			{domain.GenericMultiSource, "0.85", "0.50"},
			{domain.GenericSingleSource, "0.85", "0.50"},
		}},
		{NetSpecialty, domain.Specialty, []term{
			{domain.BrandClassDefault, "0.18", "0.00"},
			{domain.GenericMultiSource, "0.80", "1.00"},
			{domain.GenericSingleSource, "0.80", "1.00"},
		}},
		{NetRetailOpen, domain.Retail, []term{
			{domain.BrandClassDefault, "0.12", "1.75"},
			{domain.GenericMultiSource, "0.60", "2.25"},
			{domain.GenericSingleSource, "0.60", "2.25"},
		}},
		{NetRetail90Open, domain.Retail90, []term{
			{domain.BrandClassDefault, "0.14", "1.50"},
			{domain.GenericMultiSource, "0.65", "2.00"},
			{domain.GenericSingleSource, "0.65", "2.00"},
		}},
		{NetMailOpen, domain.Mail, []term{
			{domain.BrandClassDefault, "0.15", "1.00"},
			{domain.GenericMultiSource, "0.70", "1.00"},
			{domain.GenericSingleSource, "0.70", "1.00"},
		}},
		{NetSpecialtyOpen, domain.Specialty, []term{
			{domain.BrandClassDefault, "0.10", "0.00"},
			{domain.GenericMultiSource, "0.60", "1.00"},
			{domain.GenericSingleSource, "0.60", "1.00"},
		}},
	}
	out := make([]config.Network, 0, len(table))
	for _, n := range table {
		net := domain.Network{ID: n.id, Type: n.typ}
		for _, t := range n.terms {
			net.Pricing = append(net.Pricing, domain.PricingTerm{
				BrandClass: t.class, AWPDiscount: dec(t.discount), DispensingFee: dec(t.fee),
			})
		}
		out = append(out, config.Network{Network: net})
	}
	return out
}

// contract is a pharmacy's participation in a network; to "" is open-ended.
type contract struct{ network, from, to string }

// pharmacies returns the demo pharmacies. All NPIs carry a computed check
// digit; the first one is the documented 1234567893.
func pharmacies() []domain.Pharmacy {
	const since = "2020-01-01"
	table := []struct {
		base9, name string
		contracts   []contract
	}{
		{"123456789", DemoPharmacyName, []contract{{NetRetailPref, since, ""}, {NetRetail90, since, ""}}},
		{"132870451", "CareWell Pharmacy #1107", []contract{{NetRetailPref, since, ""}, {NetRetail90, since, ""}}},
		{"138291074", "CareWell Pharmacy #1123", []contract{{NetRetailPref, since, ""}, {NetRetail90, since, ""}}},
		{"141702563", "FreshMart Pharmacy #0088", []contract{{NetRetailPref, since, ""}, {NetRetail90, since, ""}}},
		{"155903218", "Valley Drug", []contract{{NetRetailPref, since, ""}}},
		{"162048837", "Riverside Apothecary", []contract{{NetRetailPref, since, ""}}},
		{"136475820", "Hilltop Family Pharmacy", []contract{{NetRetailPref, since, ""}}},
		// Out of network until it joined the preferred network in 2024.
		{"170385926", "Lakeside Pharmacy", []contract{{NetRetailOpen, since, "2023-12-31"}, {NetRetailPref, "2024-01-01", ""}}},
		{"184620397", "RxDirect Mail Service Pharmacy", []contract{{NetMail, since, ""}}},
		{"193847562", "Summit Specialty Pharmacy", []contract{{NetSpecialty, since, ""}}},
		{"104938271", "BioCare Specialty Rx", []contract{{NetSpecialty, since, ""}}},
		// An independent that only takes the plans out of network.
		{"119283746", "Corner Drug", []contract{{NetRetailOpen, since, ""}, {NetRetail90Open, since, ""}}},
		{"147362958", "MedsByPost Mail Pharmacy", []contract{{NetMailOpen, since, ""}}},
		{"158293647", "Apex Specialty Infusion", []contract{{NetSpecialtyOpen, since, ""}}},
		// Its only contract ended 2025-12-31: claims in 2026 reject 40.
		{"127364519", "Oakwood Pharmacy", []contract{{NetRetailPref, since, "2025-12-31"}}},
	}
	out := make([]domain.Pharmacy, 0, len(table))
	for _, p := range table {
		ph := domain.Pharmacy{NPI: npi(p.base9), Name: p.name}
		for _, c := range p.contracts {
			r := domain.Range{From: date(c.from)}
			if c.to != "" {
				r.To = date(c.to)
			}
			ph.Participations = append(ph.Participations, domain.Participation{Network: c.network, Range: r})
		}
		out = append(out, ph)
	}
	return out
}

// Price dates: every drug is priced from 2025-01-01; a few brands take a
// price increase on 2026-07-01.
const (
	priceEffective = "2025-01-01"
	priceIncrease  = "2026-07-01"
)

// drugs returns the catalog. Therapeutic classes are GPI-style 14-digit
// codes (2-digit group, 4-digit class, 8-digit drug name); a brand and its
// generic share the code and the MAC. Prices are per billing unit (tablet,
// capsule, mL, gram, blister or pen). mac "" means no MAC; newAWP, when
// set, is the AWP from 2026-07-01 on.
func drugs() []domain.Drug {
	table := []struct {
		ndc, name, gpi, msc string
		awp, mac, newAWP    string
	}{
		// Statins.
		{DemoGenericNDC, "Atorvastatin Calcium 20 mg Tablet", "39400010100320", "Y", "1.20", "0.09", ""},
		{DemoBrandNDC, "Lipitor 20 mg Tablet", "39400010100320", "O", "13.50", "0.09", ""},
		{"00093505898", "Atorvastatin Calcium 40 mg Tablet", "39400010100330", "Y", "1.45", "0.12", ""},
		{"00006074031", "Zocor 20 mg Tablet", "39400075000320", "O", "7.85", "0.05", ""},
		{"00093715310", "Simvastatin 20 mg Tablet", "39400075000320", "Y", "0.95", "0.05", ""},
		{"00310075190", "Crestor 10 mg Tablet", "39400060100320", "O", "11.90", "0.08", ""},
		{"68180051309", "Rosuvastatin Calcium 10 mg Tablet", "39400060100320", "Y", "2.10", "0.08", ""},
		// Blood pressure.
		{"00069152066", "Norvasc 5 mg Tablet", "34000003100310", "O", "5.10", "0.03", ""},
		{"00093716798", "Amlodipine Besylate 5 mg Tablet", "34000003100310", "Y", "0.55", "0.03", ""},
		{"68180098101", "Lisinopril 10 mg Tablet", "36100030000315", "Y", "0.42", "0.03", ""},
		{"00781570192", "Losartan Potassium 50 mg Tablet", "36150040200330", "Y", "1.10", "0.06", ""},
		{"00378459701", "Metoprolol Succinate ER 50 mg Tablet", "33200030057530", "Y", "0.95", "0.12", ""},
		{"16729018201", "Hydrochlorothiazide 25 mg Tablet", "37600040000310", "Y", "0.30", "0.02", ""},
		// Thyroid.
		{"00074455290", "Synthroid 50 mcg Tablet", "28100010100310", "O", "1.95", "0.25", ""},
		{"00378180301", "Levothyroxine Sodium 50 mcg Tablet", "28100010100310", "M", "0.85", "0.25", ""},
		// Diabetes.
		{"00087606010", "Glucophage 500 mg Tablet", "27250050000320", "O", "3.20", "0.04", ""},
		{"00093104801", "Metformin HCl 500 mg Tablet", "27250050000320", "Y", "0.25", "0.04", ""},
		{"00093726701", "Metformin HCl ER 500 mg Tablet", "27250050007520", "Y", "0.60", "0.08", ""},
		{"00006027731", "Januvia 100 mg Tablet", "27550070100330", "N", "21.80", "", ""},
		{"00597015230", "Jardiance 10 mg Tablet", "27700050000320", "N", "23.40", "", "24.50"},
		{"00088221905", "Lantus SoloStar 100 unit/mL Pen", "27104003002020", "N", "34.15", "", ""},
		{"00169413212", "Ozempic 2 mg/3 mL Pen", "27172080002020", "N", "333.46", "", ""},
		// Anticoagulants.
		{DemoSingleSourceBrandNDC, "Eliquis 5 mg Tablet", "83370010000330", "N", "10.35", "", "10.92"},
		{"50458057930", "Xarelto 20 mg Tablet", "83370060000340", "N", "19.60", "", ""},
		{"00093171401", "Warfarin Sodium 5 mg Tablet", "83200030200315", "Y", "0.40", "0.06", ""},
		// Acid reducers.
		{"62175011843", "Omeprazole DR 20 mg Capsule", "49270060006520", "Y", "0.65", "0.05", ""},
		{"00186504031", "Nexium 40 mg DR Capsule", "49270025106530", "O", "12.20", "0.15", ""},
		{"00093521398", "Esomeprazole Magnesium DR 40 mg Capsule", "49270025106530", "Y", "1.90", "0.15", ""},
		// Antidepressants.
		{"16729000101", "Sertraline HCl 50 mg Tablet", "58160060100310", "Y", "0.55", "0.04", ""},
		{"00049496066", "Zoloft 50 mg Tablet", "58160060100310", "O", "12.60", "0.04", ""},
		{"00093585001", "Escitalopram Oxalate 10 mg Tablet", "58160034100320", "Y", "0.80", "0.05", ""},
		{"64764072030", "Trintellix 10 mg Tablet", "58180090100320", "N", "17.90", "", ""},
		// Respiratory.
		{"00093317431", "Albuterol Sulfate HFA 90 mcg/actuation Inhaler", "44201010103420", "Y", "3.40", "1.70", ""},
		{"00173069700", "Advair Diskus 250/50 mcg Inhalation Powder", "44209902708020", "O", "9.70", "2.90", ""},
		{"00378932032", "Fluticasone-Salmeterol 250/50 mcg Inhalation Powder", "44209902708020", "Y", "4.10", "2.90", ""},
		{"00093742656", "Montelukast Sodium 10 mg Tablet", "44505050100320", "Y", "0.95", "0.05", ""},
		// Anti-infectives.
		{"00093310905", "Amoxicillin 500 mg Capsule", "01200010100115", "Y", "0.20", "0.06", ""},
		{"00093714719", "Azithromycin 250 mg Tablet", "03400010000315", "Y", "1.55", "0.35", ""},
		// Pain and neurology.
		{"00228263611", "Gabapentin 300 mg Capsule", "72600030000120", "Y", "0.48", "0.04", ""},
		{"00904585261", "Ibuprofen 800 mg Tablet", "66100020000340", "Y", "0.30", "0.06", ""},
		// Specialty: TNF inhibitors.
		{DemoSpecialtyNDC, "Humira Pen 40 mg/0.4 mL", "66270015008130", "N", "4153.50", "", "4361.18"},
		{"58406003204", "Enbrel SureClick 50 mg/mL Autoinjector", "66290030006420", "N", "2239.36", "", ""},
		// Anti-obesity: excluded by both plans.
		{"00185064010", "Phentermine HCl 37.5 mg Tablet", "61250060100310", "Y", "1.35", "0.12", ""},
		{DemoExcludedNDC, "Wegovy 2.4 mg/0.75 mL Pen", "61253560002030", "N", "450.00", "", ""},
		// Dermatology: on no formulary.
		{DemoNonFormularyNDC, "Aczone 7.5% Gel", "90050020004020", "N", "9.35", "", ""},
	}
	out := make([]domain.Drug, 0, len(table))
	for _, d := range table {
		p := domain.DrugPrice{Effective: date(priceEffective), AWP: dec(d.awp)}
		if d.mac != "" {
			p.MAC = dec(d.mac)
		}
		drug := domain.Drug{NDC: d.ndc, Name: d.name, TherapeuticClass: d.gpi, MultiSourceCode: d.msc, Prices: []domain.DrugPrice{p}}
		if d.msc == "M" { // the co-licensed generic: Generic Single-Source
			drug.BrandGeneric = domain.Generic
		}
		if d.newAWP != "" {
			p.Effective, p.AWP = date(priceIncrease), dec(d.newAWP)
			drug.Prices = append(drug.Prices, p)
		}
		out = append(out, drug)
	}
	return out
}
