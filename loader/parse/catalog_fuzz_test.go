package parse

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// The catalog, schedule and prior authorization row checks never panic.

func FuzzParseCatalogRows(f *testing.F) {
	f.Add("ndc,name,therapeutic_class,multi_source_code,awp,mac,effective\n00093-5056-98,A,1,Y,7.5,0.1,2026-01-01\n", 0)
	f.Add("ndc,name,multi_source_code,brand_generic,generic_ndc,awp,effective\n00378180001,L,M,G,00378-1800-02,0.5,2026-01-01\n", 0)
	f.Add("npi,name,network,network_type,classification,contract_id,effective,end\n1234567893,P,R,RETAIL,IN,C,2026-01-01,2025-01-01\n", 1)
	f.Add("network,network_type,brand_class,awp_discount,dispensing_fee\nN,MAIL,BRAND_MULTI_SOURCE,0.2,1\n", 2)
	f.Add("schedule,kind,name,conditions,amount,percent,absolute,effective,end\nF,RATE,,network_type=RETAIL|MAIL;days_supply=34..;drug_class=39*,1.5,,,2026-01-01,\n", 3)
	f.Add("schedule,kind,conditions,percent,effective\nA,ADJUSTMENT,pharmacy.chain=X;=;a=b=c,-8,2026-01-01\n", 3)
	f.Add("ndc,name,multi_source_code,awp,effective,dea_schedule\n00406055201,O,Y,1,2026-01-01,C2\n", 0)
	f.Add("npi,name,effective,end,excluded,dea_number,dea_schedules,dea_expiration\n1000000053,D,2020-01-01,,Y,AB1234563,2;C3; 4 ;;,2027-01-01\n", 4)
	f.Add("npi,effective,dea_number,dea_schedules\n1000000053,2020-01-01,A91234563,1\n", 4)
	f.Add("cardholder_id,person_code,number,type,ndc,class_prefix,effective,termination,max_quantity,max_fills\nC1,001,QL1,QUANTITY,,3940,2026-01-01,,90,3\n", 5)
	f.Fuzz(func(t *testing.T, body string, kind int) {
		kinds := []struct {
			columns []string
			check   func([]string) error
		}{
			{DrugColumns, func(v []string) error { _, _, err := DrugRow(v); return err }},
			{PharmacyColumns, func(v []string) error { _, _, _, err := PharmacyRow(v); return err }},
			{NetworkColumns, func(v []string) error { _, err := NetworkRow(v); return err }},
			{ScheduleColumns, func(v []string) error { _, err := ScheduleRow(v); return err }},
			{PrescriberColumns, func(v []string) error { _, err := PrescriberRow(v); return err }},
			{PriorAuthColumns, func(v []string) error { _, err := PriorAuthRow(v); return err }},
		}
		p := kinds[(kind%len(kinds)+len(kinds))%len(kinds)]
		rows, _, err := NewRows(strings.NewReader("#rxclaims kind=drug expected=1\n"+body), CSV, p.columns)
		if err != nil {
			return
		}
		for range 100 {
			vals, err := rows.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err == nil {
				_ = p.check(vals)
			}
		}
	})
}
