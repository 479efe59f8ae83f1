package testenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
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
// exits first or after 30 s; logs (the process's output) goes into the error.
func (c *Child) WaitReady(what string, every time.Duration, logs fmt.Stringer, ready func() error) error {
	deadline := time.Now().Add(30 * time.Second)
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
			return fmt.Errorf("%s not ready after 30s: %v\n%s", what, err, logs)
		}
		time.Sleep(every)
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
