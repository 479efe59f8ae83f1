// Command vision runs the vision CLI runners directly (compare, antispoof, calibrate) for
// development; the product binary is cmd/faceverify.
package main

import (
	"fmt"
	"os"

	"github.com/faceverify/faceverify/vision"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: vision compare|antispoof|calibrate [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "compare":
		err = vision.RunCompare(os.Args[2:], os.Stdout)
	case "antispoof":
		err = vision.RunAntispoof(os.Args[2:], os.Stdout)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
