package sqlstore

import (
	"strings"
	"testing"
	"testing/fstest"
)

type typesDriver struct {
	Driver
	t Types
}

func (d typesDriver) Name() string { return "test" }
func (d typesDriver) Types() Types { return d.t }

// The shared migrations are listed after a driver's own, each rendered with the driver's
// column types and nothing left open; a version both in the driver's files and shared, or a
// driver that names no type, is refused.
func TestSharedMigrations(t *testing.T) {
	own := fstest.MapFS{"migrations/0001_init.sql": {Data: []byte("CREATE TABLE t (x {{int64}});")}}
	vs, err := Migrations(own)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(vs, " ") != "0001_init 0002_console 0003_session_events" {
		t.Fatalf("versions: %v", vs)
	}
	drv := typesDriver{t: Types{Int64: "I64", Bytes: "BYTES", ID: "SERIALID"}}
	if q, _ := Migration(drv, own, "0001_init"); q != "CREATE TABLE t (x {{int64}});" {
		t.Fatalf("a driver's own migration is not rendered: %q", q)
	}
	for _, v := range vs[1:] {
		q, err := Migration(drv, own, v)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(q, "{{") || strings.Contains(q, "BIGINT") || strings.Contains(q, "BYTEA") {
			t.Fatalf("%s: a type left open or fixed:\n%s", v, q)
		}
		for _, w := range []string{"I64", "SERIALID"} {
			if !strings.Contains(q, w) {
				t.Fatalf("%s: %s missing:\n%s", v, w, q)
			}
		}
	}
	if q, _ := Migration(drv, own, "0002_console"); !strings.Contains(q, "password_hash BYTES NOT NULL") {
		t.Fatalf("0002 without the driver's byte type:\n%s", q)
	}
	if _, err := Migration(typesDriver{t: Types{Int64: "I64"}}, own, "0002_console"); err == nil {
		t.Fatal("a driver without every type accepted")
	}
	clash := fstest.MapFS{"migrations/0002_console.sql": {Data: []byte("SELECT 1;")}}
	if _, err := Migrations(clash); err == nil {
		t.Fatal("a version both the driver's and shared accepted")
	}
}
