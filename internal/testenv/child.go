package testenv

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// LoopbackAddr returns a free 127.0.0.1:PORT (free when asked: the caller binds it next).
func LoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// FreeAddr is LoopbackAddr failing t on error.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := LoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Child is a server process a test started as its direct child (the caller sets its
// parent-death signal, so it dies with the test even on kill -9).
type Child struct {
	Cmd  *exec.Cmd
	Done chan struct{} // closed when the process has exited
}

// StartChild starts cmd and watches for its exit.
func StartChild(cmd *exec.Cmd) (*Child, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Child{Cmd: cmd, Done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.Done) }()
	return c, nil
}

// Stop sends sig, waits up to grace for the exit, then kills the process.
func (c *Child) Stop(sig os.Signal, grace time.Duration) {
	c.Cmd.Process.Signal(sig)
	select {
	case <-c.Done:
	case <-time.After(grace):
		c.Cmd.Process.Kill()
		<-c.Done
	}
}

// WaitReady polls ready every `every` until it returns nil. It fails when the process
// exits first or after within; logs (the process's output) goes into the error.
func (c *Child) WaitReady(what string, every, within time.Duration, logs fmt.Stringer, ready func() error) error {
	deadline := time.Now().Add(within)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-c.Done:
			return fmt.Errorf("%s exited: %s", what, logs)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %v\n%s", what, within, err, logs)
		}
		time.Sleep(every)
	}
}

// Text adapts a function to fmt.Stringer: logs read only when an error needs them (e.g.
// the tail of a log file).
type Text func() string

func (f Text) String() string { return f() }

// HTTPReady is a readiness probe for WaitReady: a GET of one of urls answering 200.
func HTTPReady(urls ...string) func() error {
	return func() error {
		err := fmt.Errorf("no URL to ask")
		for _, u := range urls {
			resp, gerr := http.Get(u)
			if gerr != nil {
				err = gerr
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", u, resp.Status)
		}
		return err
	}
}

// Run runs cmd to its end; a failure names the command line and ends with the last tail
// bytes of its standard error (cmd.Stderr is set here).
func Run(cmd *exec.Cmd, tail int) error {
	var eb bytes.Buffer
	cmd.Stderr = &eb
	if err := cmd.Run(); err != nil {
		s := eb.String()
		if len(s) > tail {
			s = s[len(s)-tail:]
		}
		return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, s)
	}
	return nil
}

// WavSeconds is the duration of a 16 kHz mono 16-bit WAV file with a 44-byte header, from
// its size (0 when it cannot be read).
func WavSeconds(path string) float64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(st.Size()-44) / 32000
}

// Daemon is a server process a test started as its child, working on files of its own in
// Dir. Stop ends it once (Sig, then a kill after Grace) and keeps Dir; Close also removes Dir.
type Daemon struct {
	Dir   string
	Child *Child // nil until started
	Sig   os.Signal
	Grace time.Duration
	once  sync.Once
}

// Stop ends the process (once) and keeps its files.
func (d *Daemon) Stop() {
	d.once.Do(func() {
		if d.Child != nil {
			d.Child.Stop(d.Sig, d.Grace)
		}
	})
}

// Close stops the process and removes its files.
func (d *Daemon) Close() {
	d.Stop()
	os.RemoveAll(d.Dir)
}

// Must returns what create makes, failing t when it fails.
func Must[T any](t testing.TB, create func() (T, error)) T {
	t.Helper()
	v, err := create()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
