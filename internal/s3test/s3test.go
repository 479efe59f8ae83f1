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
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
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
	Dir            string
	cmd            *exec.Cmd
	done           chan struct{}
	n              atomic.Int64
	stop           sync.Once
}

// Start starts a server that is stopped at the end of t.
func Start(t testing.TB) *Server {
	t.Helper()
	if Binary() == "" {
		if testenv.InCI() {
			t.Fatalf("versitygw missing in %s/bin (CI=true): run `make setup`", testenv.DepsDir())
		}
		t.Skipf("versitygw missing in %s/bin: run `make setup`", testenv.DepsDir())
	}
	s, err := StartServer()
	if err != nil {
		t.Fatal(err)
	}
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Endpoint: addr, Access: "fvtest" + randHex(4), Secret: randHex(16), Dir: dir, done: make(chan struct{})}
	var logs bytes.Buffer
	s.cmd = exec.Command(bin, "--port", addr, "--access", s.Access, "--secret", s.Secret, "--health", "/healthz", "posix", dir)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.Stdout, s.cmd.Stderr = &logs, &logs
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case <-s.done:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("versitygw exited: %s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("versitygw not ready after 30s: %v", err)
		}
		time.Sleep(30 * time.Millisecond)
	}
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
	b, err := s.CreateBucket()
	if err != nil {
		t.Fatal(err)
	}
	return b
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

// Stop kills the server and keeps its files.
func (s *Server) Stop() {
	s.stop.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// Close stops the server and removes its files.
func (s *Server) Close() {
	s.Stop()
	os.RemoveAll(s.Dir)
}
