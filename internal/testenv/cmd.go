package testenv

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Sh runs the tool name with args to its end and returns what it printed (standard output
// and error together); a failure fails t with the command line and that output.
func Sh(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// BuildFaceverify builds the faceverify binary (./cmd/faceverify) into dir and returns its
// path; the error carries the compiler's output.
func BuildFaceverify(dir string) (string, error) {
	bin := filepath.Join(dir, "faceverify")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/faceverify")
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// Faceverify builds the faceverify binary into a temporary directory of t and returns its
// path, failing t when it does not build.
func Faceverify(t testing.TB) string {
	t.Helper()
	bin, err := BuildFaceverify(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
