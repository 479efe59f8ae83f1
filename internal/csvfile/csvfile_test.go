package csvfile

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "labels.csv")
	if err := os.WriteFile(p, []byte("path,label\na.jpg,live\n\"b,c.jpg\",spoof\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"path", "label"}, {"a.jpg", "live"}, {"b,c.jpg", "spoof"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Read = %q, want %q", got, want)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.csv")); !os.IsNotExist(err) {
		t.Fatalf("missing file: err = %v, want not-exist", err)
	}
	if err := os.WriteFile(p, []byte("a,b\n1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(p); err == nil {
		t.Fatal("ragged rows: want an error")
	}
}
