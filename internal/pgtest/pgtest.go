// Package pgtest starts a throwaway PostgreSQL 15 cluster for tests: initdb into a temp
// directory, then postgres on a loopback port as a direct child of the test process with a
// parent-death signal, so the cluster dies with the test even on kill -9. As root (the
// usual case in the build box) the cluster runs as the "postgres" user, because PostgreSQL
// refuses to run as root. Under CI (CI=true) a missing PostgreSQL fails loudly; elsewhere
// the test is skipped.
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/jackc/pgx/v5"
)

// BinDir is where Debian installs the PostgreSQL 15 server binaries.
var BinDir = "/usr/lib/postgresql/15/bin"

// Cluster is a running throwaway cluster.
type Cluster struct {
	Port int
	// Stop shuts the cluster down (fast mode: a checkpoint, then exit) and keeps its files
	// in Dir; Close also removes them.
	testenv.Daemon
	n atomic.Int64
}

// Available reports whether the PostgreSQL binaries are installed.
func Available() bool {
	_, err := os.Stat(filepath.Join(BinDir, "postgres"))
	return err == nil
}

// Start starts a cluster that is stopped at the end of t.
func Start(t testing.TB) *Cluster {
	t.Helper()
	if !Available() {
		testenv.Missing(t, "PostgreSQL", BinDir, "run `make setup` (apt package postgresql)")
	}
	c := testenv.Must(t, StartCluster)
	t.Cleanup(c.Close)
	return c
}

// StartCluster starts a cluster; the caller must Stop it (it also dies with this process).
func StartCluster() (*Cluster, error) {
	dir, err := os.MkdirTemp("", "fv-pgtest-")
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(BinDir, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	addr, err := testenv.LoopbackAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	var logs bytes.Buffer
	cmd := exec.Command(filepath.Join(BinDir, "postgres"), "-D", data, "-p", portStr, "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=64MB")
	// SIGQUIT = immediate shutdown: the postmaster stops its backends and frees shared memory.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &logs, &logs
	child, err := testenv.StartChild(cmd)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{Port: port, Daemon: testenv.Daemon{Dir: dir, Child: child, Sig: syscall.SIGINT, Grace: 15 * time.Second}}
	err = child.WaitReady("postgres", 50*time.Millisecond, 30*time.Second, &logs, func() error {
		conn, err := pgx.Connect(context.Background(), c.URL("postgres"))
		if err == nil {
			conn.Close(context.Background())
		}
		return err
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// credential returns the postgres user's credential when running as root.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and no postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// URL returns the DSN of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// NewDatabase creates a fresh empty database and returns its DSN.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	return testenv.Must(t, c.CreateDatabase)
}

// CreateDatabase creates a fresh empty database and returns its DSN.
func (c *Cluster) CreateDatabase() (string, error) {
	name := fmt.Sprintf("fv%d", c.n.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" STRATEGY FILE_COPY"); err != nil {
		return "", err
	}
	return c.URL(name), nil
}
