package sqlstore

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
)

// fill sets every exported field reachable from v to a distinct non-zero value, so that a
// domain field the records forget to map shows up as a difference.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strings.Repeat("x", *n%7) + string(rune('a'+*n%26)))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Uint8:
		v.SetUint(uint64(*n % 256))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), n)
		fill(v.Index(1), n)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n)
		fill(e, n)
		v.SetMapIndex(k, e)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(*n) * time.Second)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

func filled[T any]() *T {
	var x T
	n := 0
	fill(reflect.ValueOf(&x).Elem(), &n)
	return &x
}

// through seals rec the way the store does (JSON) and opens it into a fresh record.
func through[R any](t *testing.T, rec R) *R {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var back R
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return &back
}

func TestSessionRecordRoundTrip(t *testing.T) {
	s := filled[faceverify.Session]()
	// The best frame is a blob, never part of the row.
	s.LastAttempt.BestImage, s.Verdict.Liveness.BestImage = nil, nil
	got := through(t, toSessionRecord(s)).domain()
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("session lost fields in its record:\n got %+v\nwant %+v", got, s)
	}
	// nil parts stay nil
	empty := &faceverify.Session{Token: "t"}
	if got := through(t, toSessionRecord(empty)).domain(); !reflect.DeepEqual(got, empty) {
		t.Fatalf("empty session: got %+v", got)
	}
}

func TestTenantRecordRoundTrip(t *testing.T) {
	tn := filled[faceverify.Tenant]()
	if got := through(t, toTenantRecord(tn)).domain(); !reflect.DeepEqual(got, tn) {
		t.Fatalf("tenant lost fields in its record:\n got %+v\nwant %+v", got, tn)
	}
}

func TestRegistryRecordRoundTrip(t *testing.T) {
	e := filled[faceverify.RegistryEntry]()
	if got := through(t, toRegistryRecord(e)).domain(); !reflect.DeepEqual(got, e) {
		t.Fatalf("registry entry lost fields in its record:\n got %+v\nwant %+v", got, e)
	}
}

// The record of a fully set session has exactly the field names of the golden row of the
// previous release (store/storetest/testdata): nothing renamed, nothing missing, no extra.
func TestRecordNamesMatchPreviousRelease(t *testing.T) {
	for _, c := range []struct {
		file string
		rec  any
	}{
		{"session", toSessionRecord(filled[faceverify.Session]())},
		{"tenant", toTenantRecord(filled[faceverify.Tenant]())},
		{"registry", toRegistryRecord(filled[faceverify.RegistryEntry]())},
	} {
		old, err := os.ReadFile("../storetest/testdata/" + c.file + "_89b6668.json")
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := json.Unmarshal(old, &want); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(c.rec)
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		g, w := map[string]bool{}, map[string]bool{}
		names(got, "", g)
		for _, k := range addedSince[c.file] {
			delete(g, k) // added after that release (omitempty: absent in its rows)
		}
		names(want, "", w)
		for k := range w {
			if !g[k] {
				t.Errorf("%s: field %s of the previous release is not written", c.file, k)
			}
		}
		for k := range g {
			if !w[k] {
				t.Errorf("%s: field %s is not in the previous release's rows", c.file, k)
			}
		}
	}
}

// addedSince lists, per record, the dotted paths of fields written since 89b6668 (all
// omitempty, so that release's rows read back without them).
var addedSince = map[string][]string{
	"tenant":  {".registry", ".checks.digit_language"},
	"session": {".verdict.liveness.rule"}, // also .last_attempt.rule (names folds it in)
}

// names collects the dotted key paths of a decoded JSON value (map keys that are data,
// such as image names or score names, collapse to "*").
func names(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := prefix + "." + k
			if p == ".last_attempt" {
				p = ".verdict.liveness" // the same record; the golden's failed attempt has fewer fields set
			}
			switch prefix {
			case ".options.meta", ".idcard_attempts", ".images", ".verdict.verification",
				".verdict.liveness.scores", ".verdict.liveness.timings_ms":
				p = prefix + ".*"
			}
			if strings.HasSuffix(prefix, ".thresholds") {
				p = prefix + ".*"
			}
			out[p] = true
			names(e, p, out)
		}
	case []any:
		for _, e := range x {
			names(e, prefix+"[]", out)
		}
	}
}
