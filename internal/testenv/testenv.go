// Package testenv locates what tests need on this machine: the repository root, the
// dependencies installed by scripts/setup.sh (ONNX Runtime, models) and the shared
// datasets. Under CI (CI=true) a missing dependency or dataset fails the test loudly;
// elsewhere it skips with a hint.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot returns the directory holding go.mod.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// InCI reports whether the tests run under CI.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing fails t under CI and skips it elsewhere: what is not installed at path; hint says
// how to get it.
func Missing(t testing.TB, what, path, hint string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s missing at %s (CI=true): %s", what, path, hint)
	}
	t.Skipf("%s missing at %s: %s", what, path, hint)
}

// Need fails (CI) or skips t unless path exists: what is missing there; hint says how to
// get it. It returns path.
func Need(t testing.TB, path, what, hint string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, what, path, hint)
	}
	return path
}

// DepsDir returns $FACEVERIFY_DEPS or <repo>/.deps without checking it exists.
func DepsDir() string {
	if d := os.Getenv("FACEVERIFY_DEPS"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), ".deps")
}

// Deps returns the dependency directory, failing/skipping if set-up has not run.
func Deps(t testing.TB) string {
	t.Helper()
	d := DepsDir()
	if _, err := os.Stat(d); err != nil {
		Missing(t, "dependencies", d, "run `make setup`")
	}
	return d
}

// ModelDir returns the directory of the face models.
func ModelDir(t testing.TB) string {
	t.Helper()
	d := filepath.Join(DepsDir(), "models")
	if v := os.Getenv("FACEVERIFY_MODELS"); v != "" {
		d = v
	}
	if _, err := os.Stat(filepath.Join(d, "fr_detect.onnx")); err != nil {
		Missing(t, "face models", d, "run `make setup`")
	}
	return d
}

// ORTLib returns the path of the ONNX Runtime shared library.
func ORTLib(t testing.TB) string {
	t.Helper()
	p := filepath.Join(DepsDir(), "lib", "libonnxruntime.so.1")
	if v := os.Getenv("FACEVERIFY_ORT_LIB"); v != "" {
		p = v
	}
	if _, err := os.Stat(p); err != nil {
		Missing(t, "ONNX Runtime library", p, "run `make setup`")
	}
	return p
}

// DatasetsDir returns $FACEVERIFY_DATASETS or <repo>/../shared/datasets without checking.
func DatasetsDir() string {
	if d := os.Getenv("FACEVERIFY_DATASETS"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "..", "shared", "datasets")
}

// Datasets returns the shared datasets directory; sub, if given, must exist below it.
func Datasets(t testing.TB, sub ...string) string {
	t.Helper()
	d := DatasetsDir()
	p := filepath.Join(append([]string{d}, sub...)...)
	if _, err := os.Stat(p); err != nil {
		Missing(t, "dataset", p, "set FACEVERIFY_DATASETS to the shared datasets folder")
	}
	return d
}

// Tool fails/skips unless the named executable is on PATH.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := lookPath(name)
	if err != nil {
		Missing(t, "tool "+name, "$PATH", "run `make setup`")
	}
	return p
}
