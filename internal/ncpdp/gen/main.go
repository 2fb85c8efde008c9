// Command gen writes tables_gen.go of package ncpdp from the NCPDP code
// tables in internal/ncpdp/tables. It is run by go generate (see ../doc.go):
//
//	go generate ./internal/ncpdp
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rxclaims/rxclaims/internal/ncpdp/internal/codegen"
)

func main() {
	src := flag.String("src", "", "`DIR` holding the NCPDP .tsv tables")
	out := flag.String("out", "", "Go `FILE` to write")
	flag.Parse()
	if *src == "" || *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -src DIR -out FILE")
		flag.PrintDefaults()
		os.Exit(2)
	}
	code, err := codegen.Generate(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
