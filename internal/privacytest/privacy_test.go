// Package privacytest proves the personal-data rules end to end on the real service:
// encrypted at rest (database, WAL and blob files hold no name, ID number or image
// bytes in clear), never logged, erased on request and on retention expiry, with every
// image, template, job and attempt record gone from the blob store and the database.
package privacytest

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testclock"
	"github.com/faceverify/faceverify/internal/testenv"
	_ "modernc.org/sqlite"
)

// The personal data of the test subject: none of it may appear in clear anywhere.
const (
	name   = "欧阳测试娜"
	number = "11010519491231002X"
	marker = "FACE-IMAGE-BYTES-7f3a9c" // stands for image content
)

var secrets = []string{name, number, strings.ToLower(number), marker}

// create opens a session with the subject's name and number and a reference photo.
func create(t *testing.T, s *apitest.Server, notifyURL string) string {
	t.Helper()
	body, ct := testenv.Multipart(url.Values{
		"return_url": {"https://biz.example/return"}, "notify_url": {notifyURL}, "liveness_type": {"video_number"},
		"idcard_name": {name}, "idcard_number": {number}, "liveness_retry_count": {"1"},
	}, testenv.File{Field: "image_ref1", Name: "ref.jpg", Data: []byte("\xff\xd8\xff\xe0" + strings.Repeat(marker, 50) + "\xff\xd9")})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/lite/v1/get_biz_token", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "APPCODE "+s.Tenant.AppCode)
	var r struct {
		BizToken string `json:"biz_token"`
		Error    string `json:"error"`
	}
	if st := apitest.Do(t, req, &r); st != 200 {
		t.Fatalf("create: %d %+v", st, r)
	}
	return r.BizToken
}

func uploadVideo(t *testing.T, s *apitest.Server, token string, data []byte) int {
	t.Helper()
	return apitest.Do(t, testenv.VideoRequest(s.URL, token, "v.mp4", data), nil)
}

func page(t *testing.T, s *apitest.Server, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+token, nil)
	if st := apitest.Do(t, req, nil); st != 200 {
		t.Fatalf("page: %d", st)
	}
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func openDB(t *testing.T, s *apitest.Server) *sql.DB {
	t.Helper()
	path := strings.TrimPrefix(s.App.Config.Database, "sqlite:")
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPersonalDataAtRestAndInLogs runs flows that carry a name, an ID number and images
// (reference photo, video) through every store, then greps the whole data directory —
// SQLite main file, WAL and shared memory, blob files — and the captured logs.
func TestPersonalDataAtRestAndInLogs(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Flags: []string{"--max-video-mb", "1"}})
	rec := testenv.NewRecorder(t, nil)
	notifyURL := rec.URL + "/notify"
	ctx := context.Background()

	// 1: oversized video → final verdict, callback delivered
	tok1 := create(t, s, notifyURL)
	page(t, s, tok1)
	for i := 0; i < 2; i++ { // liveness_retry_count=1: the first video and one retake
		uploadVideo(t, s, tok1, bytes.Repeat([]byte(marker), (1<<20)/len(marker)+10))
	}
	// 2: a video staged for the verdict job (no engine here: it stays staged in the blob store)
	tok2 := create(t, s, notifyURL)
	page(t, s, tok2)
	if st := uploadVideo(t, s, tok2, bytes.Repeat([]byte(marker), 200)); st != 202 {
		t.Fatalf("video: %d", st)
	}
	// 3: cancelled
	tok3 := create(t, s, notifyURL)
	page(t, s, tok3)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+tok3+"/cancel", nil)
	apitest.Do(t, req, nil)
	// results are read back (decrypted) through the API: the data is really there
	for _, tok := range []string{tok1, tok2, tok3} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/lite/v1/get_result?biz_token="+url.QueryEscape(tok), nil)
		req.Header.Set("Authorization", "APPCODE "+s.Tenant.AppCode)
		var r map[string]any
		if st := apitest.Do(t, req, &r); st != 200 {
			t.Fatalf("get_result: %d %+v", st, r)
		}
	}
	ss, err := s.App.Store.Session(ctx, tok2)
	if err != nil || ss.Options.ClaimedName != name || ss.Options.ClaimedNumber != number {
		t.Fatalf("stored session does not carry the data: %v", err)
	}
	keys, _ := s.App.Blobs.List(ctx, "sessions/")
	if len(keys) < 4 {
		t.Fatalf("blobs: %v", keys)
	}
	rec.Wait(t, 2, 10*time.Second, nil) // both callbacks delivered
	// the operator commands print nothing personal either
	var out bytes.Buffer
	for _, args := range [][]string{{"callbacks", "list", "--kind", ""}, {"app", "list"}} {
		if err := admin.Run(ctx, append(args, "--data", s.App.Config.DataDir), func(string) string { return "" }, &out, &out); err != nil {
			t.Fatal(err)
		}
	}

	// positive control: the grep does see database content (tokens are look-up columns)
	if len(testenv.GrepDir(t, s.App.Config.DataDir, tok3)) == 0 {
		t.Fatal("grep found not even the clear token column: the check would prove nothing")
	}
	files := testenv.GrepDir(t, s.App.Config.DataDir, secrets...)
	if len(files) > 0 {
		t.Fatalf("personal data in clear at rest: %v", files)
	}
	entries, _ := os.ReadDir(s.App.Config.DataDir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !strings.Contains(strings.Join(names, " "), "faceverify.db-wal") {
		t.Logf("data dir: %v (no WAL file to check?)", names)
	}
	logs := s.Log.String() + out.String()
	if !strings.Contains(logs, "session created") {
		t.Fatal("no logs captured")
	}
	for _, n := range append(secrets, tok1, tok2, tok3) {
		if strings.Contains(logs, n) {
			t.Fatalf("logs contain %q", n)
		}
	}
}

// TestErasureCascade: POST /lite/v1/delete_result and `admin session delete` remove the
// session's images, video, templates, personal data, jobs and attempt records.
func TestErasureCascade(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{})
	rec := testenv.NewRecorder(t, nil)
	notifyURL := rec.URL + "/notify"
	ctx := context.Background()
	db := openDB(t, s)
	keep := create(t, s, notifyURL) // another session that must survive
	for _, via := range []string{"api", "admin"} {
		tok := create(t, s, notifyURL)
		page(t, s, tok)
		if st := uploadVideo(t, s, tok, bytes.Repeat([]byte(marker), 100)); st != 202 {
			t.Fatalf("video: %d", st)
		}
		// the verdict job runs (and fails: no engine), leaving jobs and attempt records
		deadline := time.Now().Add(10 * time.Second)
		for count(t, db, `SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.token = ?`, tok) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no job attempt recorded")
			}
			time.Sleep(20 * time.Millisecond)
		}
		prefix := "sessions/" + strings.ReplaceAll(tok, ",", "_") + "/"
		if keys, _ := s.App.Blobs.List(ctx, prefix); len(keys) < 2 { // image_ref1 + video
			t.Fatalf("%s: blobs before: %v", via, keys)
		}
		switch via {
		case "api":
			var d map[string]any
			if st := s.PostForm(t, "/lite/v1/delete_result", url.Values{"biz_token": {tok}}, &d); st != 200 || d["deleted"] != true {
				t.Fatalf("delete_result: %d %+v", st, d)
			}
		case "admin":
			var out bytes.Buffer
			if err := admin.Run(ctx, []string{"session", "delete", "--token", tok, "--data", s.App.Config.DataDir},
				func(string) string { return "" }, &out, io.Discard); err != nil {
				t.Fatalf("admin session delete: %v", err)
			}
		}
		if keys, _ := s.App.Blobs.List(ctx, prefix); len(keys) != 0 {
			t.Fatalf("%s: blobs left: %v", via, keys)
		}
		blobDir := strings.TrimPrefix(s.App.Config.Blob, "file:")
		if hits := testenv.GrepDir(t, blobDir, strings.ReplaceAll(tok, ",", "_")); len(hits) > 0 {
			t.Fatalf("%s: blob files name the session: %v", via, hits)
		}
		for _, q := range []string{
			`SELECT count(*) FROM sessions WHERE token = ?`,
			`SELECT count(*) FROM jobs WHERE token = ?`,
			`SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.token = ?`,
		} {
			if n := count(t, db, q, tok); n != 0 {
				t.Fatalf("%s: %s → %d rows", via, q, n)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM job_attempts WHERE job_id NOT IN (SELECT id FROM jobs)`); n != 0 {
			t.Fatalf("%s: %d orphan attempt records", via, n)
		}
		if _, err := s.App.Store.Session(ctx, tok); err == nil {
			t.Fatalf("%s: session still readable", via)
		}
		// erasure is final: the page and a second delete see an unknown token
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+tok, nil)
		if st := apitest.Do(t, req, nil); st != 404 {
			t.Fatalf("%s: page after erasure: %d", via, st)
		}
		var d map[string]any
		if st := s.PostForm(t, "/lite/v1/delete_result", url.Values{"biz_token": {tok}}, &d); st != 400 {
			t.Fatalf("%s: second delete: %d %+v", via, st, d)
		}
	}
	if _, err := s.App.Store.Session(ctx, keep); err != nil {
		t.Fatalf("an unrelated session was erased: %v", err)
	}
	// another tenant cannot erase our session
	other := admin.NewTenant("other", -1)
	s.App.Store.CreateTenant(ctx, other)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/lite/v1/delete_result", strings.NewReader(url.Values{"biz_token": {keep}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "APPCODE "+other.AppCode)
	var d map[string]any
	if st := apitest.Do(t, req, &d); st != 400 || d["error"] != "BAD_ARGUMENTS:biz_token" {
		t.Fatalf("other tenant delete: %d %+v", st, d)
	}
	if _, err := s.App.Store.Session(ctx, keep); err != nil {
		t.Fatalf("another tenant erased the session: %v", err)
	}
}

// TestRetentionSweeper: the background sweeper (every --sweep-every) erases results past
// --retention (default 30 days) with everything attached, and nothing younger.
func TestRetentionSweeper(t *testing.T) {
	t.Parallel()
	start := time.Now()
	clock := testclock.New(start)
	s := apitest.Start(t, apitest.Options{Clock: clock, Flags: []string{"--sweep-every", "20ms"}})
	if s.App.Config.Retention != 30*24*time.Hour {
		t.Fatalf("default retention %v", s.App.Config.Retention)
	}
	notifyURL := testenv.NewRecorder(t, nil).URL + "/notify"
	ctx := context.Background()
	db := openDB(t, s)
	old := create(t, s, notifyURL)
	page(t, s, old)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+old+"/cancel", nil)
	apitest.Do(t, req, nil)
	unused := create(t, s, notifyURL) // never opened: expires after an hour, erased after 30 days
	clock.Advance(29 * 24 * time.Hour)
	young := create(t, s, notifyURL)

	// a day before the end nothing is erased (but the unused page has expired)
	clock.Advance(24*time.Hour - time.Minute)
	time.Sleep(100 * time.Millisecond)
	for _, tok := range []string{old, unused, young} {
		if _, err := s.App.Store.Session(ctx, tok); err != nil {
			t.Fatalf("erased before retention ended: %v", err)
		}
	}
	if ss, _ := s.App.Store.Session(ctx, unused); ss.State != "expired" {
		t.Fatalf("unused session state %s, want expired by the sweeper", ss.State)
	}
	clock.Advance(2 * time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, e1 := s.App.Store.Session(ctx, old)
		_, e2 := s.App.Store.Session(ctx, unused)
		if e1 != nil && e2 != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not erased after retention: %v %v", e1, e2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tok := range []string{old, unused} {
		if keys, _ := s.App.Blobs.List(ctx, "sessions/"+strings.ReplaceAll(tok, ",", "_")+"/"); len(keys) != 0 {
			t.Fatalf("blobs left: %v", keys)
		}
		if n := count(t, db, `SELECT count(*) FROM jobs WHERE token = ?`, tok); n != 0 {
			t.Fatalf("%d jobs left", n)
		}
	}
	if _, err := s.App.Store.Session(ctx, young); err != nil {
		t.Fatalf("a young session was erased: %v", err)
	}
	if keys, _ := s.App.Blobs.List(ctx, "sessions/"+strings.ReplaceAll(young, ",", "_")+"/"); len(keys) != 1 {
		t.Fatalf("young session blobs: %v", keys)
	}
	if !strings.Contains(s.Log.String(), `"erased":2`) {
		t.Fatalf("the sweeper did not log its work: %s", testenv.LastLines(s.Log.String(), 5))
	}
}
