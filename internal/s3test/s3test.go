// Package s3test starts a real S3-compatible server for tests: versitygw (installed by
// scripts/setup.d/40-scaleout.sh into $FACEVERIFY_DEPS/bin) with its posix back end in a
// temp directory, on a loopback port, as a direct child of the test process with a
// parent-death signal. Under CI (CI=true) a missing binary fails loudly; elsewhere the test
// is skipped.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Binary returns the path of versitygw, or "" when it is not installed.
func Binary() string {
	p := filepath.Join(testenv.DepsDir(), "bin", "versitygw")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	return ""
}

// Server is a running versitygw.
type Server struct {
	Endpoint       string // 127.0.0.1:PORT
	Access, Secret string
	// Stop kills the server and keeps its files in Dir; Close also removes them.
	testenv.Daemon
	n atomic.Int64
}

// Start starts a server that is stopped at the end of t.
func Start(t testing.TB) *Server {
	t.Helper()
	if Binary() == "" {
		testenv.Missing(t, "versitygw", filepath.Join(testenv.DepsDir(), "bin"), "run `make setup`")
	}
	s := testenv.Must(t, StartServer)
	t.Cleanup(s.Close)
	return s
}

// StartServer starts versitygw; the caller must Close it (it also dies with this process).
func StartServer() (*Server, error) {
	bin := Binary()
	if bin == "" {
		return nil, fmt.Errorf("versitygw not installed (run `make setup`)")
	}
	dir, err := os.MkdirTemp("", "fv-s3test-")
	if err != nil {
		return nil, err
	}
	addr, err := testenv.LoopbackAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{Endpoint: addr, Access: "fvtest" + randHex(4), Secret: randHex(16),
		Daemon: testenv.Daemon{Dir: dir, Sig: syscall.SIGTERM, Grace: 5 * time.Second}}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--port", addr, "--access", s.Access, "--secret", s.Secret, "--health", "/healthz", "posix", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if s.Child, err = testenv.StartChild(cmd); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	err = s.Child.WaitReady("versitygw", 30*time.Millisecond, 30*time.Second, &logs, testenv.HTTPReady("http://"+addr+"/healthz"))
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Client returns a minio client with the server's credentials.
func (s *Server) Client() (*minio.Client, error) {
	return minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.Access, s.Secret, ""), Region: "us-east-1",
		BucketLookup: minio.BucketLookupPath})
}

// NewBucket creates a fresh empty bucket and returns its name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	return testenv.Must(t, s.CreateBucket)
}

// CreateBucket creates a fresh empty bucket and returns its name.
func (s *Server) CreateBucket() (string, error) {
	c, err := s.Client()
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("fv-test-%d", s.n.Add(1))
	return name, c.MakeBucket(context.Background(), name, minio.MakeBucketOptions{Region: "us-east-1"})
}

// Spec returns the --blob spec of bucket.
func (s *Server) Spec(bucket string) string {
	return fmt.Sprintf("s3://%s?endpoint=http://%s&access=%s&secret=%s", bucket, s.Endpoint, s.Access, s.Secret)
}
