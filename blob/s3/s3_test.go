package s3_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/blob/blobtest"
	"github.com/faceverify/faceverify/blob/s3"
	"github.com/faceverify/faceverify/internal/s3test"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/seal"
)

func open(t *testing.T, srv *s3test.Server, box *seal.Box) (*s3.Store, string) {
	t.Helper()
	bucket := srv.NewBucket(t)
	s, err := s3.OpenSpec(context.Background(), srv.Spec(bucket), box)
	if err != nil {
		t.Fatal(err)
	}
	return s, bucket
}

func TestContract(t *testing.T) {
	srv := s3test.Start(t)
	box, _ := seal.New(seal.NewKey(1))
	blobtest.Run(t, func(t *testing.T) faceverify.BlobStore {
		s, _ := open(t, srv, box)
		return s
	})
}

func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	return testenv.Get(t, u)
}

// Objects are sealed in the bucket; a presigned GET serves the clear picture from the S3
// server for its TTL only; erasure removes the clear copy; PurgePresigned removes stale ones.
func TestSealedAndPresigned(t *testing.T) {
	srv := s3test.Start(t)
	box, _ := seal.New(seal.NewKey(1))
	s, bucket := open(t, srv, box)
	ctx := context.Background()
	picture := []byte("\xff\xd8JFIF portrait of 王小明")
	if err := s.Put(ctx, "sessions/t/image_best.jpg", picture); err != nil {
		t.Fatal(err)
	}
	// Sealed at rest: versitygw's posix back end keeps objects as files under Dir/bucket.
	raw, err := os.ReadFile(filepath.Join(srv.Dir, bucket, "sessions", "t", "image_best.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("JFIF")) || !seal.Sealed(raw) {
		t.Fatal("blob stored in clear")
	}
	// A sealed object moved to another key does not open.
	c, _ := srv.Client()
	if err := s.Put(ctx, "sessions/u/image_best.jpg", []byte("other")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(srv.Dir, bucket, "sessions", "u", "image_best.jpg"), raw, 0o600)
	if _, err := s.Get(ctx, "sessions/u/image_best.jpg"); err == nil {
		t.Fatal("swapped blob opened")
	}
	_ = c

	// A plain (unsigned) GET of the object is refused by the server.
	if code, _ := get(t, "http://"+srv.Endpoint+"/"+bucket+"/sessions/t/image_best.jpg"); code == 200 {
		t.Fatal("anonymous GET served the object")
	}
	u, err := s.Presign(ctx, "sessions/t/image_best.jpg", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, u)
	if code != 200 || !bytes.Equal(body, picture) {
		t.Fatalf("presigned GET: %d %q", code, body)
	}
	if _, err := s.Presign(ctx, "sessions/none.jpg", time.Minute); faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		t.Fatalf("presign absent: %v", err)
	}
	if err := s.Put(ctx, s3.PresignPrefix+"x.jpg", []byte("x")); err == nil {
		t.Fatal("reserved prefix accepted")
	}
	if keys, _ := s.List(ctx, ""); strings.Contains(strings.Join(keys, ","), s3.PresignPrefix) {
		t.Fatalf("clear copy listed: %v", keys)
	}
	time.Sleep(3 * time.Second) // the S3 server enforces the expiry
	if code, _ := get(t, u); code == 200 {
		t.Fatal("expired presigned URL still served")
	}
	// Erasure removes the clear copy as well.
	u2, _ := s.Presign(ctx, "sessions/t/image_best.jpg", time.Minute)
	if err := s.DeletePrefix(ctx, "sessions/t/"); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, u2); code == 200 {
		t.Fatal("clear copy survived erasure")
	}
	// Stale copies are purged.
	s.Put(ctx, "sessions/v/a.jpg", picture)
	s.Presign(ctx, "sessions/v/a.jpg", time.Minute)
	if n, err := s.PurgePresigned(ctx, time.Now()); err != nil || n != 0 {
		t.Fatalf("purged fresh copy: %d %v", n, err)
	}
	if n, err := s.PurgePresigned(ctx, time.Now().Add(s3.MaxPresignTTL+time.Minute)); err != nil || n != 1 {
		t.Fatalf("purge stale: %d %v", n, err)
	}
}

func TestParseSpec(t *testing.T) {
	env := map[string]string{"AWS_ACCESS_KEY_ID": "envak", "AWS_SECRET_ACCESS_KEY": "envsk"}
	c, err := s3.ParseSpec("s3://bkt?endpoint=https://s3.example.com&region=eu-west-1", func(k string) string { return env[k] })
	if err != nil || c.Bucket != "bkt" || c.Endpoint != "s3.example.com" || !c.Secure || c.Access != "envak" || c.Secret != "envsk" || c.Region != "eu-west-1" {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = s3.ParseSpec("s3://b?endpoint=http://127.0.0.1:9000&access=a&secret=s", nil)
	if err != nil || c.Secure || c.Endpoint != "127.0.0.1:9000" || c.Access != "a" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := s3.ParseSpec("s3://b", nil); err == nil {
		t.Fatal("no endpoint accepted")
	}
	if _, err := s3.ParseSpec("s3://?endpoint=x&secret=topsecret", nil); err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("secret in error: %v", err)
	}
}
