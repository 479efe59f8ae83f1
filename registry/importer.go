package registry

// Bulk import into the embedded table (`faceverify admin registry import`): a CSV with the
// header name,idcard_number,photo (photo relative to the photos folder) is streamed row by
// row, each row enrolled through the use case (which finds the one face and keeps photo
// and template), rows that cannot be enrolled are refused with their reason, and a state
// file records how far the import got so a second run resumes after the last row that
// was committed.

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/faceverify/faceverify"
)

// Importer imports a CSV into the embedded table.
type Importer struct {
	CSV     string // the CSV file
	Photos  string // folder the photo column is relative to
	State   string // state file ("" = CSV + ".import-state")
	Restart bool   // ignore an existing state file
	Workers int    // rows enrolled concurrently (1); rows of one number stay in order

	// Enrol stores one identity (verify.Service.Enrol): an EINVALID *faceverify.Error
	// refuses the row with its message as the reason; any other error stops the import.
	Enrol func(ctx context.Context, name, number string, photo []byte) error
	// Validate checks an ID number; its error message is the reason a row is refused.
	Validate func(number string) error
	MaxPhoto int64 // larger photos are refused (10 MiB)

	Progress      io.Writer     // progress lines (stderr); nil = none
	ProgressEvery time.Duration // 2 s
	Refusals      io.Writer     // one JSON line per refused row (stdout); nil = none
	Now           func() time.Time
}

// Summary is the outcome of an import (cumulative over resumed runs).
type Summary struct {
	Imported      int            `json:"imported"`
	Refused       int            `json:"refused"`
	Rows          int            `json:"rows"`
	Reasons       map[string]int `json:"reasons"`
	ResumedAt     int            `json:"resumed_after_line,omitempty"` // the state file's line this run started after
	Complete      bool           `json:"complete"`
	Seconds       float64        `json:"seconds"`         // this run
	RowsPerSecond float64        `json:"rows_per_second"` // this run
}

// Refusal is one refused row.
type Refusal struct {
	Line   int    `json:"line"`
	Photo  string `json:"photo,omitempty"`
	Reason string `json:"reason"`
}

// importState is the state file.
type importState struct {
	Head     string         `json:"head_sha256"` // hash of the CSV's first 4 KiB: a different file does not resume
	Offset   int64          `json:"offset"`      // byte offset after the last committed row
	Line     int            `json:"line"`        // its last line
	Imported int            `json:"imported"`
	Refused  int            `json:"refused"`
	Rows     int            `json:"rows"`
	Reasons  map[string]int `json:"reasons"`
	Complete bool           `json:"complete"`
}

type row struct {
	seq          int
	line         int   // line of the row in the file
	endLine      int   // last line of the row
	end          int64 // byte offset after the row
	name, number string
	photo        string
}

type rowResult struct {
	row    row
	reason string // "" = imported
	err    error  // stops the import
}

// Run imports until the end of the file, ctx ends or Enrol fails for a reason that is
// not the row's; the state file is written as it goes, so Run can be called again.
func (im *Importer) Run(ctx context.Context) (*Summary, error) {
	if im.Enrol == nil || im.Validate == nil {
		return nil, errors.New("registry import: Enrol and Validate are required")
	}
	now := im.Now
	if now == nil {
		now = time.Now
	}
	if im.State == "" {
		im.State = im.CSV + ".import-state"
	}
	if im.MaxPhoto <= 0 {
		im.MaxPhoto = 10 << 20
	}
	if im.Workers <= 0 {
		im.Workers = 1
	}
	every := im.ProgressEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	f, err := os.Open(im.CSV)
	if err != nil {
		return nil, fmt.Errorf("registry import: %w", err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	hh := sha256.Sum256(head[:n])
	st := &importState{Head: hex.EncodeToString(hh[:]), Reasons: map[string]int{}}
	if !im.Restart {
		if old, err := readState(im.State); err == nil && old.Head == st.Head {
			st = old
		} else if err == nil {
			return nil, fmt.Errorf("registry import: state file %s belongs to another CSV (use --restart)", im.State)
		}
	}
	resumedAt := st.Line
	// header
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	hr := csv.NewReader(f)
	hr.ReuseRecord = true
	header, err := hr.Read()
	if err != nil {
		return nil, fmt.Errorf("registry import: reading the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(strings.ToLower(strings.TrimSpace(h)), "\ufeff")] = i
	}
	for _, k := range []string{"name", "idcard_number", "photo"} {
		if _, ok := col[k]; !ok {
			return nil, fmt.Errorf("registry import: the header must name the columns name,idcard_number,photo (missing %s)", k)
		}
	}
	headerEnd, headerLines := hr.InputOffset(), 1
	if l, _ := hr.FieldPos(len(header) - 1); l > 1 {
		headerLines = l
	}
	if st.Offset < headerEnd {
		st.Offset, st.Line = headerEnd, headerLines
	}
	if _, err := f.Seek(st.Offset, io.SeekStart); err != nil {
		return nil, err
	}
	if err := writeState(im.State, st); err != nil {
		return nil, fmt.Errorf("registry import: cannot write the state file (choose one with --import-state): %w", err)
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	baseOffset, baseLine := st.Offset, st.Line

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	shards := make([]chan row, im.Workers)
	results := make(chan rowResult, 64)
	var wg sync.WaitGroup
	for i := range shards {
		shards[i] = make(chan row, 8)
		wg.Add(1)
		go func(in <-chan row) {
			defer wg.Done()
			for rw := range in {
				reason, err := im.one(ctx, rw)
				results <- rowResult{row: rw, reason: reason, err: err}
			}
		}(shards[i])
	}
	// reader: streams rows to the shard of their number
	readErr := make(chan error, 1)
	go func() {
		defer func() {
			for _, s := range shards {
				close(s)
			}
		}()
		seq := 0
		for {
			rec, err := r.Read()
			if err == io.EOF {
				readErr <- nil
				return
			}
			line, _ := r.FieldPos(0)
			endLine := line
			if len(rec) > 0 {
				endLine, _ = r.FieldPos(len(rec) - 1)
			}
			rw := row{seq: seq, line: baseLine + line, endLine: baseLine + endLine, end: baseOffset + r.InputOffset()}
			seq++
			if err != nil {
				rw.photo = "\x00" + err.Error() // a malformed row is refused, not fatal
			} else {
				get := func(k string) string {
					if i := col[k]; i < len(rec) {
						return strings.TrimSpace(rec[i])
					}
					return ""
				}
				rw.name, rw.number, rw.photo = get("name"), strings.ToUpper(get("idcard_number")), get("photo")
			}
			h := fnv.New32a()
			h.Write([]byte(rw.number))
			select {
			case shards[int(h.Sum32())%len(shards)] <- rw:
			case <-ctx.Done():
				readErr <- ctx.Err()
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	start := now()
	lastProgress, lastSave := start, start
	done := map[int]rowResult{} // finished rows not yet contiguous
	next := 0                   // next seq to commit to the state
	thisRun := 0
	var stop error
	for res := range results {
		if res.err != nil {
			if stop == nil {
				stop = res.err
				cancel()
			}
			continue
		}
		if stop != nil {
			continue
		}
		done[res.row.seq] = res
		if res.reason != "" && im.Refusals != nil {
			photo := res.row.photo
			if strings.HasPrefix(photo, "\x00") {
				photo = ""
			}
			writeJSONLine(im.Refusals, Refusal{Line: res.row.line, Photo: photo, Reason: res.reason})
		}
		for {
			d, ok := done[next]
			if !ok {
				break
			}
			delete(done, next)
			next++
			thisRun++
			st.Rows++
			if d.reason == "" {
				st.Imported++
			} else {
				st.Refused++
				st.Reasons[d.reason]++
			}
			st.Offset, st.Line = d.row.end, d.row.endLine
		}
		t := now()
		if t.Sub(lastSave) >= time.Second {
			if err := writeState(im.State, st); err != nil { // a resume would not know where to go on
				stop = fmt.Errorf("saving the import state: %w", err)
				cancel()
				continue
			}
			lastSave = t
		}
		if im.Progress != nil && t.Sub(lastProgress) >= every {
			fmt.Fprintf(im.Progress, "registry import: line %d: %d imported, %d refused, %.1f rows/s\n",
				st.Line, st.Imported, st.Refused, float64(thisRun)/t.Sub(start).Seconds())
			lastProgress = t
		}
	}
	rerr := <-readErr
	if stop == nil && rerr != nil && ctx.Err() == nil {
		stop = rerr
	}
	if stop == nil && ctx.Err() != nil {
		stop = ctx.Err()
	}
	st.Complete = stop == nil
	if err := writeState(im.State, st); err != nil && stop == nil {
		stop = err
	}
	secs := now().Sub(start).Seconds()
	sum := &Summary{Imported: st.Imported, Refused: st.Refused, Rows: st.Rows, Reasons: st.Reasons,
		ResumedAt: resumedAt, Complete: st.Complete, Seconds: secs}
	if secs > 0 {
		sum.RowsPerSecond = float64(thisRun) / secs
	}
	if im.Progress != nil {
		fmt.Fprintf(im.Progress, "registry import: line %d: %d imported, %d refused, %.1f rows/s, %s\n",
			st.Line, st.Imported, st.Refused, sum.RowsPerSecond, map[bool]string{true: "complete", false: "stopped (run again to resume)"}[st.Complete])
	}
	return sum, stop
}

// one enrols a row; it returns the refusal reason, or an error that stops the import.
func (im *Importer) one(ctx context.Context, rw row) (string, error) {
	if strings.HasPrefix(rw.photo, "\x00") {
		return "malformed CSV row: " + strings.TrimPrefix(rw.photo[1:], "record on "), nil
	}
	switch {
	case rw.name == "":
		return "missing name", nil
	case rw.number == "":
		return "missing idcard_number", nil
	case rw.photo == "":
		return "missing photo", nil
	}
	if err := im.Validate(rw.number); err != nil {
		return "invalid number: " + strings.TrimPrefix(err.Error(), "idcard: "), nil
	}
	rel := filepath.FromSlash(rw.photo)
	if !filepath.IsLocal(rel) {
		return "photo path leaves the photos folder", nil
	}
	p := filepath.Join(im.Photos, rel)
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return "photo not found", nil
	case !fi.Mode().IsRegular():
		return "photo is not a file", nil
	case fi.Size() > im.MaxPhoto:
		return "photo too large", nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return "photo not readable", nil
	}
	err = im.Enrol(ctx, rw.name, rw.number, data)
	switch faceverify.ErrorCode(err) {
	case "":
		return "", nil
	case faceverify.EINVALID, faceverify.EMISSING:
		var fe *faceverify.Error
		errors.As(err, &fe)
		return fe.Message, nil
	}
	return "", err
}

func readState(path string) (*importState, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st importState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("registry import: state file %s: %w", path, err)
	}
	if st.Reasons == nil {
		st.Reasons = map[string]int{}
	}
	return &st, nil
}

func writeState(path string, st *importState) error {
	data, _ := json.Marshal(st)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func writeJSONLine(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
