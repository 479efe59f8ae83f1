package scaletest_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/scaletest"
)

// TestEndToEndPostgresS3 runs one whole verification on the scale-out back ends: an API
// node with no workers (the real service via apitest, --workers 0) on PostgreSQL + S3, and
// a separate `faceverify worker` process that reaches the verdict and delivers the callback.
func TestEndToEndPostgresS3(t *testing.T) {
	b := startBackends(t)
	video, digits, photo := genuineClip(t)
	flags := b.flags(t)
	s := apitest.Start(t, apitest.Options{Engine: true, Flags: append(flags, "--workers", "0")})
	if !strings.HasPrefix(s.App.Config.Database, "postgres://") || !strings.HasPrefix(s.App.Config.Blob, "s3://") {
		t.Fatalf("not on the scale-out back ends: %s %s", s.App.Config.Database, s.App.Config.Blob)
	}
	s.Tenant.Checks.LipSyncOff = true // genuine corpus clips are dubbed with digits (docs/liveness.md)
	if err := s.App.Store.UpdateTenant(ctx, s.Tenant); err != nil {
		t.Fatal(err)
	}
	const number = "11010519491231002X"
	if err := s.App.Service.Enrol(ctx, "张三", number, photo); err != nil {
		t.Fatal(err)
	}
	w := scaletest.StartProc(t, t.TempDir(), "worker", append([]string{"worker"}, append(b.flags(t), "--workers", "1")...)...)

	rcv := scaletest.NewReceiver(t)
	c := &scaletest.Client{AppCode: s.Tenant.AppCode, HTTP: &http.Client{Timeout: time.Minute}}
	node := strings.TrimPrefix(s.URL, "http://")
	tok, err := c.Create(node, rcv.URL, "张三", number)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.Page(node, tok); err != nil || v["step"] != "video" {
		t.Fatalf("page: %v %v", v, err)
	}
	ss, err := s.App.Store.Session(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	ss.Challenge = digits // the test plays the user: the clip says these digits
	if err := s.App.Store.UpdateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	if st, out, err := c.Upload(ctx, node, tok, video); err != nil || st != 202 {
		t.Fatalf("upload: %d %v %v", st, out, err)
	}
	// The video went to S3 (sealed), the decide job to PostgreSQL; the API node runs no jobs.
	keys, err := s.App.Blobs.List(ctx, "sessions/")
	if err != nil || len(keys) == 0 {
		t.Fatalf("no blob in S3: %v %v", keys, err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	var r scaletest.LiteResp
	for {
		if r, err = c.Result(node, tok); err == nil && r.ResultCode != "" && !strings.HasPrefix(r.ResultCode, "9") && r.ResultMessage != "" &&
			r.Error == "" && r.ResultCode != "1001" {
			break
		}
		if time.Now().After(deadline) || w.Exited() {
			t.Fatalf("no verdict: %+v %v\nworker log:\n%s", r, err, w.Tail())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r.ResultCode != "1000" || r.ResultMessage != "SUCCESS" {
		t.Fatalf("verdict: %+v\nworker log:\n%s", r, w.Tail())
	}
	img, err := base64.StdEncoding.DecodeString(r.Images["image_best"])
	if err != nil || len(img) < 1000 || img[0] != 0xFF || img[1] != 0xD8 {
		t.Fatalf("image_best not a JPEG read back from S3 (%d bytes, %v)", len(img), err)
	}
	for time.Now().Before(deadline) {
		if got, _ := rcv.Deliveries(); len(got[tok]) > 0 {
			if got[tok][0] != "SUCCESS" {
				t.Fatalf("callback: %v", got[tok])
			}
			decided, _ := s.App.Store.Jobs(ctx, faceverify.JobDecide, faceverify.JobDone, 10)
			if len(decided) != 1 {
				t.Fatalf("decide jobs done: %d", len(decided))
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("callback not delivered\nworker log:\n%s", w.Tail())
}
