// Command gencorpus writes the liveness test corpus to a directory (default: the cache
// directory the tests use) and prints its manifest.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/faceverify/faceverify/internal/livecorpus"
)

func main() {
	out := flag.String("out", livecorpus.Dir(), "output directory")
	ds := flag.String("datasets", filepath.Join("..", "shared", "datasets"), "shared datasets directory")
	flag.Parse()
	cs, err := livecorpus.Ensure(*out, *ds)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	e := json.NewEncoder(os.Stdout)
	e.SetIndent("", " ")
	e.Encode(cs)
}
