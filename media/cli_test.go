package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/testenv"
)

// cliDecode decodes f with the ffmpeg command line exactly as this package did before it
// decoded in process (one process, -threads 1, the same filter graph): the reference the
// in-process decode must reproduce, frame for frame and sample for sample.
func cliDecode(t *testing.T, f string, lim Limits) (frames [][]byte, times []time.Duration, pcm []int16, audioStart time.Duration) {
	t.Helper()
	dir := t.TempDir()
	vf := videoFilter(lim) + ",showinfo=checksum=0" // showinfo: each frame's time and size
	raw, wav := filepath.Join(dir, "v.rgba"), filepath.Join(dir, "a.s16")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-threads", "1", "-filter_threads", "1",
		"-t", strconv.FormatFloat(decodeLimit(lim).Seconds(), 'f', 3, 64), "-i", f,
		"-map", "0:v:0", "-vf", vf, "-fps_mode", "passthrough", "-f", "rawvideo", raw,
		"-map", "0:a:0?", "-af", "ashowinfo", "-ac", "1", "-ar", strconv.Itoa(SampleRate), "-f", "s16le", wav)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, testenv.LastLines(stderr.String(), 5))
	}
	vb, _ := os.ReadFile(raw)
	ab, _ := os.ReadFile(wav)
	sizeRe := regexp.MustCompile(` s:(\d+)x(\d+) `)
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, "[Parsed_showinfo") && strings.Contains(line, "] n:") {
			m := sizeRe.FindStringSubmatch(line)
			w, _ := strconv.Atoi(m[1])
			h, _ := strconv.Atoi(m[2])
			n := 4 * w * h
			if len(vb) < n {
				t.Fatalf("rawvideo shorter than announced")
			}
			frames, vb = append(frames, vb[:n]), vb[n:]
			times = append(times, ptsTime(line))
		}
		if strings.HasPrefix(line, "[Parsed_ashowinfo") && strings.Contains(line, " pts_time:") && pcm == nil {
			audioStart = ptsTime(line)
			pcm = []int16{}
		}
	}
	for i := 0; i+1 < len(ab); i += 2 {
		pcm = append(pcm, int16(binary.LittleEndian.Uint16(ab[i:])))
	}
	return frames, times, pcm, audioStart
}

func ptsTime(line string) time.Duration {
	s := line[strings.Index(line, "pts_time:")+len("pts_time:"):]
	s = strings.TrimLeft(s, " ")
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[:i]
	}
	v, _ := strconv.ParseFloat(s, 64)
	return time.Duration(v * float64(time.Second))
}

// TestDecodeMatchesCommandLine: the in-process decode gives the command line's frames
// (pixels, count, times) and sound (every sample, start) on the kinds of upload the
// service sees: H.264/AAC MP4 (the AAC priming moves the start), VP8/Opus WebM without a
// duration scaled down from 800×600, 30 and 60 fps, variable frame rate, a phone's
// rotated portrait clip, stereo 48 kHz, real talking clips of the datasets.
func TestDecodeMatchesCommandLine(t *testing.T) {
	clips := map[string]string{
		"h264-aac": mk(t, "a.mp4", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=3", "-f", "lavfi", "-i", "sine=d=3", "-c:v", "libx264", "-c:a", "aac"),
		"vp8-opus": mk(t, "b.webm", "-f", "lavfi", "-i", "testsrc2=size=800x600:rate=30:duration=3", "-f", "lavfi", "-i", "sine=f=440:d=3",
			"-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"),
		"60fps-stereo48k": mk(t, "c.mp4", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=60:duration=2.5", "-f", "lavfi", "-i", "sine=d=2.5:sample_rate=48000",
			"-ac", "2", "-c:v", "libx264", "-c:a", "aac"),
		"vfr": mk(t, "d.mp4", "-f", "lavfi", "-i", "testsrc2=size=480x360:rate=30:duration=3,setpts='PTS+0.02*sin(N)/TB'", "-f", "lavfi", "-i", "sine=d=3",
			"-c:v", "libx264", "-fps_mode", "vfr", "-c:a", "aac"),
		"10fps": mk(t, "f.mp4", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=10:duration=3", "-f", "lavfi", "-i", "sine=d=3.3",
			"-c:v", "libx264", "-c:a", "aac"),
		// a phone held upright: landscape pixels and a display matrix turning them (ffmpeg
		// 5.1 writes one on a stream copy only)
		"rotated": mk(t, "e.mp4", "-i", mk(t, "e0.mp4", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=2.5", "-f", "lavfi", "-i", "sine=d=2.5",
			"-c:v", "libx264", "-c:a", "aac"), "-c", "copy", "-metadata:s:v:0", "rotate=90"),
	}
	for name, f := range clips {
		sameDecode(t, name, f)
	}
	t.Run("talking", func(t *testing.T) {
		ds := testenv.Datasets(t, "talking")
		for _, n := range []string{"lrs2_00001.mp4", "retalk_1.mp4", "vox_audio_00015.mp4"} {
			sameDecode(t, n, filepath.Join(ds, "talking", n))
		}
	})
}

func sameDecode(t *testing.T, name, f string) {
	t.Helper()
	{
		for _, fps := range []float64{8, 25} {
			lim := DefaultLimits()
			lim.FPS = fps
			frames, times, pcm, aStart := cliDecode(t, f, lim)
			p := decode(context.Background(), f, decodeLimit(lim), videoFilter(lim), nil)
			if p.err != nil {
				t.Fatalf("%s: %v", name, p.err)
			}
			if len(frames) < 10 || len(pcm) < SampleRate {
				t.Fatalf("%s: the command line decoded %d frames, %d samples", name, len(frames), len(pcm))
			}
			if r := p.frames[0].Img.Rect; name == "rotated" && (r.Dx() != 360 || r.Dy() != 640) {
				t.Errorf("rotated clip decoded %dx%d, want 360x640 (upright)", r.Dx(), r.Dy())
			}
			if len(p.frames) != len(frames) {
				t.Errorf("%s at %v fps: %d frames, the command line %d", name, fps, len(p.frames), len(frames))
			}
			for i := 0; i < len(p.frames) && i < len(frames); i++ {
				if !bytes.Equal(p.frames[i].Img.Pix, frames[i]) || p.frames[i].T != times[i] {
					t.Errorf("%s at %v fps: frame %d (%v) differs from the command line's (%v)", name, fps, i, p.frames[i].T, times[i])
					break
				}
			}
			if len(p.pcm) != len(pcm) || p.audioStart != aStart {
				t.Errorf("%s: %d samples from %v, the command line %d from %v", name, len(p.pcm), p.audioStart, len(pcm), aStart)
			}
			for i := 0; i < len(p.pcm) && i < len(pcm); i++ {
				if p.pcm[i] != pcm[i] {
					t.Errorf("%s: sample %d is %d, the command line's %d", name, i, p.pcm[i], pcm[i])
					break
				}
			}
		}
	}
}

// TestExtractCorrupt: damaged uploads — cut short, bytes overwritten in the header or the
// streams — end in a clip or one of the typed errors, never a crash of the process the
// decoder now runs in (a segfault would end this test binary).
func TestExtractCorrupt(t *testing.T) {
	good := map[string]string{
		"mp4": mk(t, "g.mp4", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=3", "-f", "lavfi", "-i", "sine=d=3", "-c:v", "libx264", "-c:a", "aac"),
		"webm": mk(t, "g.webm", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=3", "-f", "lavfi", "-i", "sine=d=3",
			"-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"),
	}
	rng := rand.New(rand.NewPCG(15, 1))
	typed := []error{ErrUnsupported, ErrDuration, ErrNoAudio, ErrNotSynchronized}
	lim := DefaultLimits()
	lim.FPS = 25
	n := 0
	for kind, f := range good {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 12; i++ {
			bad := append([]byte(nil), b...)
			switch i % 3 {
			case 0: // cut short
				bad = bad[:len(bad)*(1+i)/14]
			case 1: // a burst of garbage in the streams
				at := rng.IntN(len(bad) - 4096)
				for j := at; j < at+2048; j++ {
					bad[j] = byte(rng.Uint32())
				}
			case 2: // scattered bytes, the header included
				for j := 0; j < 64; j++ {
					bad[rng.IntN(len(bad))] = byte(rng.Uint32())
				}
			}
			p := filepath.Join(t.TempDir(), "bad."+kind)
			if err := os.WriteFile(p, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := ExtractTo(context.Background(), p, lim, &recSink{})
			if err != nil {
				ok := false
				for _, e := range typed {
					ok = ok || errors.Is(err, e)
				}
				if !ok {
					t.Errorf("%s #%d: untyped error %v", kind, i, err)
				}
			} else {
				n++
			}
			c.Release()
		}
	}
	t.Logf("%d of 24 damaged clips still decoded", n)
}
