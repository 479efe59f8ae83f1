package admin_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/registry"
)

// BenchmarkImport runs `admin registry import` on 300 LFW rows (read in place) per
// iteration (--restart) and reports the import's own rate (the summary's rows_per_second,
// which excludes loading the models) and the CPU time per row, which does not depend on
// how busy the machine is.
func BenchmarkImport(b *testing.B) {
	testenv.ModelDir(b)
	ds := testenv.Datasets(b, "faces", "lfw-dev")
	dir := b.TempDir()
	photos := filepath.Join(dir, "photos")
	os.MkdirAll(photos, 0o700)
	os.Symlink(filepath.Join(ds, "faces"), filepath.Join(photos, "faces"))
	lfw := lfwImages(b, filepath.Join(ds, "faces", "lfw-dev"), 300)
	var sb strings.Builder
	sb.WriteString("name,idcard_number,photo\n")
	for i, p := range lfw {
		fmt.Fprintf(&sb, "用户%d,%s,faces/lfw-dev/%s\n", i, number(i), p)
	}
	csvPath := filepath.Join(dir, "people.csv")
	os.WriteFile(csvPath, []byte(sb.String()), 0o600)
	data := filepath.Join(dir, "data")
	var rate, cpuPerRow float64
	for i := 0; i < b.N; i++ {
		var out strings.Builder
		var ru0, ru1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		err := runBench(csvPath, photos, data, &out)
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		if err != nil {
			b.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var sum registry.Summary
		json.Unmarshal([]byte(lines[len(lines)-1]), &sum)
		if sum.Rows != len(lfw) {
			b.Fatalf("summary %q", lines[len(lines)-1])
		}
		rate += sum.RowsPerSecond
		cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()) - time.Duration(ru0.Utime.Nano()+ru0.Stime.Nano())
		cpuPerRow += float64(cpu.Milliseconds()) / float64(sum.Rows)
	}
	b.ReportMetric(rate/float64(b.N), "rows/s")
	b.ReportMetric(cpuPerRow/float64(b.N), "cpu-ms/row(incl.model-load)")
}
