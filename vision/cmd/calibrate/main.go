// Command calibrate regenerates vision/calib_table.go from the LFW dev images:
//
//	go run ./vision/cmd/calibrate -out vision/calib_table.go > docs/calibration.json
//
// (run from the repository root; flags: -lfw, -deepface, -models, -ort-lib, -workers).
package main

import (
	"fmt"
	"os"

	"github.com/faceverify/faceverify/vision"
)

func main() {
	if err := vision.RunCalibrate(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
