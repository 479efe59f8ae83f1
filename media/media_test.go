package media

import (
	"bytes"
	"context"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/testenv"
)

func mk(t testing.TB, name string, args ...string) string {
	t.Helper()
	testenv.Tool(t, "ffmpeg")
	out := filepath.Join(t.TempDir(), name)
	a := append([]string{"-nostdin", "-v", "error", "-y"}, args...)
	if name[len(name)-5:] == ".webm" {
		a = append(a, "-f", "webm", "pipe:1")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command("ffmpeg", a...)
		cmd.Stdout = f
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if b, err := exec.Command("ffmpeg", append(a, out)...).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, b)
	}
	return out
}

func TestExtractWebMNoDuration(t *testing.T) {
	f := mk(t, "c.webm", "-f", "lavfi", "-i", "testsrc2=size=800x600:rate=30:duration=3", "-f", "lavfi", "-i", "sine=f=440:d=3",
		"-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus")
	c, err := Extract(context.Background(), f, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if c.Width != 640 || c.Height != 480 {
		t.Errorf("size %dx%d, want 640x480", c.Width, c.Height)
	}
	if d := c.Duration - 3*time.Second; d < -100*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("duration %v", c.Duration)
	}
	if n := len(c.Frames); n < 22 || n > 26 {
		t.Errorf("frames %d at 8 fps", n)
	}
	if n := len(c.PCM); n < 47000 || n > 49000 {
		t.Errorf("pcm %d samples", n)
	}
	if RMS(c.PCM) < -30 {
		t.Errorf("sine too quiet: %.1f dBFS", RMS(c.PCM))
	}
	for i := 1; i < len(c.Frames); i++ {
		if c.Frames[i].T <= c.Frames[i-1].T {
			t.Fatalf("frame times not increasing")
		}
	}
}

func TestExtractErrors(t *testing.T) {
	short := mk(t, "s.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1", "-f", "lavfi", "-i", "sine=d=1", "-c:v", "libx264", "-c:a", "aac")
	mute := mk(t, "m.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3", "-c:v", "libx264")
	late := mk(t, "l.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-itsoffset", "2", "-f", "lavfi", "-i", "sine=d=2", "-c:v", "libx264", "-c:a", "aac")
	cases := []struct {
		f    string
		lim  func(*Limits)
		want error
	}{
		{short, nil, ErrDuration},
		{mute, nil, ErrNoAudio},
		{late, nil, ErrNotSynchronized},
		{mute, func(l *Limits) { l.MaxBytes = 100 }, ErrTooLarge},
		{"/etc/hostname", nil, ErrUnsupported},
	}
	for _, c := range cases {
		lim := DefaultLimits()
		if c.lim != nil {
			c.lim(&lim)
		}
		_, err := Extract(context.Background(), c.f, lim)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", filepath.Base(c.f), err, c.want)
		}
	}
}

// recSink records what ExtractTo hands it: every frame in order, then one Wait.
type recSink struct {
	idx   []int
	pix   [][]byte
	waits int
}

func (s *recSink) Frame(i int, img *image.RGBA) {
	s.idx = append(s.idx, i)
	s.pix = append(s.pix, append([]byte(nil), img.Pix...))
}

func (s *recSink) Wait() { s.waits++ }

func TestExtractToStreamsEveryFrame(t *testing.T) {
	f := mk(t, "c.mp4", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=3", "-f", "lavfi", "-i", "sine=d=3", "-c:v", "libx264", "-c:a", "aac")
	var s recSink
	c, err := ExtractTo(context.Background(), f, DefaultLimits(), &s)
	if err != nil {
		t.Fatal(err)
	}
	if s.waits != 1 || len(s.idx) != len(c.Frames) || len(c.Frames) < 20 {
		t.Fatalf("waits %d, frames streamed %d, clip %d", s.waits, len(s.idx), len(c.Frames))
	}
	for i := range c.Frames {
		if s.idx[i] != i || !bytes.Equal(s.pix[i], c.Frames[i].Img.Pix) {
			t.Fatalf("frame %d: streamed index %d or pixels differ from the clip's", i, s.idx[i])
		}
	}
	// the same pixels as Extract's (Go-heap) frames; released frames are gone
	h, err := Extract(context.Background(), f, DefaultLimits())
	if err != nil || len(h.Frames) != len(c.Frames) {
		t.Fatalf("extract: %v, %d frames", err, len(h.Frames))
	}
	for i := range c.Frames {
		if !bytes.Equal(h.Frames[i].Img.Pix, c.Frames[i].Img.Pix) || h.Frames[i].T != c.Frames[i].T {
			t.Fatalf("frame %d differs between Extract and ExtractTo", i)
		}
	}
	img := c.Frames[0].Img
	c.Release()
	h.Release()
	if len(img.Pix) != 0 || c.Frames != nil {
		t.Fatalf("released frame still has pixels")
	}
	// the next clip decodes into the released buffers, with the same result
	c2, err := ExtractTo(context.Background(), f, DefaultLimits(), &recSink{})
	if err != nil || len(c2.Frames) != len(s.pix) || !bytes.Equal(c2.Frames[len(s.pix)-1].Img.Pix, s.pix[len(s.pix)-1]) {
		t.Fatalf("second decode: %v", err)
	}
	c2.Release()
	// a failing decode still ends the sink exactly once
	var bad recSink
	if _, err := ExtractTo(context.Background(), "/etc/hostname", DefaultLimits(), &bad); !errors.Is(err, ErrUnsupported) || bad.waits != 1 {
		t.Fatalf("unsupported: err %v, waits %d", err, bad.waits)
	}
	var missing recSink
	if _, err := ExtractTo(context.Background(), filepath.Join(t.TempDir(), "none.mp4"), DefaultLimits(), &missing); err == nil || missing.waits != 1 {
		t.Fatalf("missing file: err %v, waits %d", err, missing.waits)
	}
}

type nopSink struct{}

func (nopSink) Frame(int, *image.RGBA) {}
func (nopSink) Wait()                  {}

// BenchmarkExtractTo decodes a 5 s 640×480 25 fps H.264/AAC clip into streamed (off-heap)
// frames, as the liveness check does, and reports the CPU per clip (cpu-ms/op: the decode
// runs in this process; any child process's CPU would be added).
func BenchmarkExtractTo(b *testing.B) {
	f := mk(b, "c.mp4", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=5", "-f", "lavfi", "-i", "sine=d=5", "-c:v", "libx264", "-c:a", "aac")
	cpu := func(who int) int64 {
		var ru syscall.Rusage
		syscall.Getrusage(who, &ru)
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	b.ResetTimer()
	self, kids := cpu(syscall.RUSAGE_SELF), cpu(syscall.RUSAGE_CHILDREN)
	for i := 0; i < b.N; i++ {
		c, err := ExtractTo(context.Background(), f, DefaultLimits(), nopSink{})
		if err != nil || len(c.Frames) < 39 {
			b.Fatal(err)
		}
		c.Release()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu(syscall.RUSAGE_SELF)-self+cpu(syscall.RUSAGE_CHILDREN)-kids)/1e6/float64(b.N), "cpu-ms/op")
}
