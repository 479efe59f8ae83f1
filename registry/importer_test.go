package registry_test

// Pure logic of the importer (streaming, refusals, resuming) with an in-memory Enrol; the
// real import with the face engine and the store is internal/admin's TestRegistryImport.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/registry"
)

type memTable struct {
	mu     sync.Mutex
	rows   map[string]string
	calls  int
	failAt int // the failAt-th call fails with a store error (0 = never)
}

func (m *memTable) enrol(ctx context.Context, name, number string, photo []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.calls == m.failAt {
		return errors.New("database is locked")
	}
	if string(photo) == "noface" {
		return &faceverify.Error{Code: faceverify.EINVALID, Message: "no face"}
	}
	m.rows[number] = name
	return nil
}

func validate(n string) error {
	if strings.HasPrefix(n, "BAD") {
		return errors.New("idcard: check character does not match (GB 11643-1999)")
	}
	return nil
}

func writeCSV(t *testing.T, n int) (csvPath, dir string) {
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "face.jpg"), []byte("face"), 0o600)
	os.WriteFile(filepath.Join(dir, "none.png"), []byte("noface"), 0o600)
	var b strings.Builder
	b.WriteString("name,idcard_number,photo\n")
	for i := 0; i < n; i++ {
		switch {
		case i%100 == 7:
			fmt.Fprintf(&b, "用户%d,BAD%d,face.jpg\n", i, i)
		case i%100 == 8:
			fmt.Fprintf(&b, "用户%d,N%d,none.png\n", i, i)
		case i%100 == 9:
			fmt.Fprintf(&b, "用户%d,N%d,../etc/passwd\n", i, i)
		case i%100 == 10:
			fmt.Fprintf(&b, "\"用户\n%d\",N%d,missing.jpg\n", i, i) // a quoted name over two lines
		default:
			fmt.Fprintf(&b, "用户%d,n%d,face.jpg\n", i, i)
		}
	}
	csvPath = filepath.Join(dir, "people.csv")
	os.WriteFile(csvPath, []byte(b.String()), 0o600)
	return csvPath, dir
}

func lastLine(t *testing.T, out string) registry.Summary {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s registry.Summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	return s
}

func TestImportRefusesAndResumes(t *testing.T) {
	csvPath, dir := writeCSV(t, 1000)
	tab := &memTable{rows: map[string]string{}, failAt: 600}
	var out, progress bytes.Buffer
	im := &registry.Importer{CSV: csvPath, Photos: dir, Workers: 3, Enrol: tab.enrol, Validate: validate,
		Refusals: &out, Progress: &progress}
	sum, err := im.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("first run: %v", err)
	}
	if sum.Complete || sum.Rows >= 700 || sum.Rows == 0 {
		t.Fatalf("first run summary: %+v", sum)
	}
	// second run resumes after the last committed row
	tab.failAt = 0
	out.Reset()
	im2 := &registry.Importer{CSV: csvPath, Photos: dir, Workers: 2, Enrol: tab.enrol, Validate: validate, Refusals: &out}
	sum2, err := im2.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sum2.Complete || sum2.Rows != 1000 || sum2.Imported != 960 || sum2.Refused != 40 || sum2.ResumedAt == 0 {
		t.Fatalf("second run: %+v", sum2)
	}
	want := map[string]int{"invalid number: check character does not match (GB 11643-1999)": 10, "no face": 10,
		"photo path leaves the photos folder": 10, "photo not found": 10}
	for k, v := range want {
		if sum2.Reasons[k] != v {
			t.Errorf("reason %q: %d, want %d (%v)", k, sum2.Reasons[k], v, sum2.Reasons)
		}
	}
	if len(tab.rows) != 960 {
		t.Fatalf("table has %d rows, want 960", len(tab.rows))
	}
	if tab.calls > 1000+600+3*8 {
		t.Fatalf("resuming redid too much: %d enrol calls", tab.calls)
	}
	// refusals carry the file line (the two-line quoted row counts two lines)
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r registry.Refusal
		json.Unmarshal([]byte(l), &r)
		if r.Reason == "photo not found" && r.Line == 0 {
			t.Fatalf("refusal without a line: %s", l)
		}
	}
	if !strings.Contains(progress.String(), "stopped (run again to resume)") {
		t.Fatalf("progress: %q", progress.String())
	}
	// a third run has nothing left to do
	sum3, err := (&registry.Importer{CSV: csvPath, Photos: dir, Enrol: tab.enrol, Validate: validate}).Run(context.Background())
	if err != nil || sum3.Rows != 1000 || !sum3.Complete {
		t.Fatalf("third run: %+v %v", sum3, err)
	}
	// --restart starts over
	sum4, err := (&registry.Importer{CSV: csvPath, Photos: dir, Restart: true, Enrol: tab.enrol, Validate: validate}).Run(context.Background())
	if err != nil || sum4.Rows != 1000 || sum4.ResumedAt != 0 {
		t.Fatalf("restart: %+v %v", sum4, err)
	}
}

func TestImportLines(t *testing.T) {
	csvPath, dir := writeCSV(t, 20)
	tab := &memTable{rows: map[string]string{}}
	var out bytes.Buffer
	if _, err := (&registry.Importer{CSV: csvPath, Photos: dir, Enrol: tab.enrol, Validate: validate, Refusals: &out}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// rows i=7..10 are lines 9..12 (+1 for the header), the quoted row spans lines 12-13
	got := map[int]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r registry.Refusal
		json.Unmarshal([]byte(l), &r)
		got[r.Line] = r.Reason
	}
	want := map[int]string{9: "invalid number", 10: "no face", 11: "photo path leaves", 12: "photo not found"}
	for line, reason := range want {
		if !strings.HasPrefix(got[line], reason) {
			t.Errorf("line %d: %q, want %q… (all: %v)", line, got[line], reason, got)
		}
	}
}

func TestImportHeader(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.csv")
	os.WriteFile(p, []byte("name,number,photo\n"), 0o600)
	_, err := (&registry.Importer{CSV: p, Photos: dir, Enrol: (&memTable{}).enrol, Validate: validate}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "idcard_number") {
		t.Fatalf("err = %v", err)
	}
}
