// Package livecorpus generates the liveness test corpus: short clips built with ffmpeg,
// espeak-ng and sox from the shared datasets (real talking-face clips, face photos, FSDD
// spoken digits), each labelled with the challenge, the preference and the exact FaceID
// Lite result code the pipeline must produce.
//
// Nothing here is hand-made: Build regenerates every file from the datasets, and tests
// cache the output in a temporary directory keyed by Version. It is test tooling only and
// must never be imported by production code.
package livecorpus

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"

	"github.com/faceverify/faceverify/internal/testenv"
)

// Version changes whenever the generator's output changes (cache key).
const Version = "v11"

// Case is one generated clip and what the pipeline must answer.
type Case struct {
	Name        string `json:"name"`
	File        string `json:"file"` // path of the clip
	Challenge   string `json:"challenge"`
	Preferences int    `json:"preferences"`
	Want        string `json:"want"`        // result message, e.g. "VIDEO_OK"
	Shows       string `json:"shows"`       // what the case proves (honest description)
	MaxBytes    int64  `json:"max_bytes"`   // non-zero: run with this size limit
	NoLipSync   bool   `json:"no_lip_sync"` // run with the lip-sync check off
	Voice       string `json:"voice"`       // how the speech was made
	Source      string `json:"source"`      // which dataset files
}

var words = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// Load returns the cases in dir if a complete corpus of this Version is there.
func Load(dir string) ([]Case, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, false
	}
	var m struct {
		Version string
		Cases   []Case
	}
	if json.Unmarshal(b, &m) != nil || m.Version != Version {
		return nil, false
	}
	for _, c := range m.Cases {
		if _, err := os.Stat(c.File); err != nil {
			return nil, false
		}
	}
	return m.Cases, true
}

// Dir is the default cache directory of the corpus.
func Dir() string { return filepath.Join(os.TempDir(), "faceverify-livecorpus-"+Version) }

var buildMu sync.Mutex

// Ensure returns the corpus in dir, building it first if needed.
func Ensure(dir, datasets string) ([]Case, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if cs, ok := Load(dir); ok {
		return cs, nil
	}
	lock := dir + ".lock"
	os.MkdirAll(filepath.Dir(lock), 0o755)
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o644)
	if err == nil {
		defer f.Close()
		flock(f)
		if cs, ok := Load(dir); ok {
			return cs, nil
		}
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	cs, err := Build(tmp, datasets)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		cs[i].File = filepath.Join(dir, filepath.Base(cs[i].File))
	}
	b, _ := json.MarshalIndent(struct {
		Version string
		Cases   []Case
	}{Version, cs}, "", " ")
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), b, 0o644); err != nil {
		return nil, err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return cs, nil
}

type gen struct {
	dir, ds string
	n       int
}

var execCommand = exec.Command

func run(name string, args ...string) error { return testenv.Run(exec.Command(name, args...), 800) }

func (g *gen) tmp(ext string) string {
	g.n++
	return filepath.Join(g.dir, "work", fmt.Sprintf("t%03d.%s", g.n, ext))
}

// voice is an espeak-ng configuration.
type voice struct {
	name  string
	speed int
	pitch int
}

func (v voice) String() string {
	return fmt.Sprintf("espeak-ng -v %s -s %d -p %d", v.name, v.speed, v.pitch)
}

// word synthesises one digit word as 16 kHz mono wav with leading/trailing silence trimmed.
func (g *gen) word(v voice, d byte) (string, error) {
	raw := g.tmp("wav")
	if err := run("espeak-ng", "-v", v.name, "-s", strconv.Itoa(v.speed), "-p", strconv.Itoa(v.pitch), "-w", raw, words[d-'0']); err != nil {
		return "", err
	}
	out := g.tmp("wav")
	err := run("sox", raw, "-r", "16000", "-c", "1", "-b", "16", out,
		"silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse", "gain", "-n", "-3")
	return out, err
}

// fsddWord returns one FSDD recording of digit d by speaker, resampled to 16 kHz.
func (g *gen) fsddWord(speaker string, d byte, take int) (string, error) {
	in := filepath.Join(g.ds, "speech", "fsdd", fmt.Sprintf("%c_%s_%d.wav", d, speaker, take))
	out := g.tmp("wav")
	err := run("sox", in, "-r", "16000", "-c", "1", "-b", "16", out,
		"silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse", "gain", "-n", "-3")
	return out, err
}

// placed is a word file to put at time at (seconds), stretched to length dur (0 = natural).
type placed struct {
	file    string
	at, dur float64
}

// mix renders the placed words onto a silent 16 kHz track of total seconds, plus optional
// noise at noiseDB (0 = none).
func (g *gen) mix(ws []placed, total float64, noise float64) (string, error) {
	track := make([]float64, int(total*16000))
	for _, w := range ws {
		f := w.file
		if w.dur > 0 {
			nat := testenv.WavSeconds(f)
			tempo := nat / w.dur
			tempo = math.Max(0.7, math.Min(1.5, tempo))
			if math.Abs(tempo-1) > 0.03 {
				st := g.tmp("wav")
				if err := run("sox", f, st, "tempo", "-s", fmt.Sprintf("%.3f", tempo)); err != nil {
					return "", err
				}
				f = st
			}
		}
		pcm, err := readWav(f)
		if err != nil {
			return "", err
		}
		o := int(w.at * 16000)
		for i, v := range pcm {
			if o+i >= 0 && o+i < len(track) {
				track[o+i] += float64(v)
			}
		}
	}
	out := g.tmp("wav")
	if err := writeWav(out, track); err != nil {
		return "", err
	}
	if noise > 0 {
		n := g.tmp("wav")
		if err := run("sox", "-r", "16000", "-n", "-b", "16", "-c", "1", n, "synth", fmt.Sprintf("%.3f", total), "pinknoise", "vol", fmt.Sprintf("%.4f", noise)); err != nil {
			return "", err
		}
		m := g.tmp("wav")
		if err := run("sox", "-m", out, n, m); err != nil {
			return "", err
		}
		out = m
	}
	return out, nil
}

func readWav(path string) ([]int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// find "data" chunk
	i := bytes.Index(b, []byte("data"))
	if i < 0 || i+8 > len(b) {
		return nil, fmt.Errorf("%s: no data chunk", path)
	}
	b = b[i+8:]
	pcm := make([]int16, len(b)/2)
	for k := range pcm {
		pcm[k] = int16(binary.LittleEndian.Uint16(b[2*k:]))
	}
	return pcm, nil
}

func writeWav(path string, x []float64) error {
	var buf bytes.Buffer
	n := len(x)
	buf.WriteString("RIFF")
	binary.Write(&buf, binary.LittleEndian, uint32(36+2*n))
	buf.WriteString("WAVE")
	buf.WriteString("fmt ")
	binary.Write(&buf, binary.LittleEndian, uint32(16))
	binary.Write(&buf, binary.LittleEndian, uint16(1))
	binary.Write(&buf, binary.LittleEndian, uint16(1))
	binary.Write(&buf, binary.LittleEndian, uint32(16000))
	binary.Write(&buf, binary.LittleEndian, uint32(32000))
	binary.Write(&buf, binary.LittleEndian, uint16(2))
	binary.Write(&buf, binary.LittleEndian, uint16(16))
	buf.WriteString("data")
	binary.Write(&buf, binary.LittleEndian, uint32(2*n))
	for _, v := range x {
		v = math.Max(-32768, math.Min(32767, math.Round(v)))
		binary.Write(&buf, binary.LittleEndian, int16(v))
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// speechSegments finds voiced stretches (seconds) of the original audio of a talking clip.
func (g *gen) speechSegments(video string) ([][2]float64, float64, error) {
	raw := g.tmp("raw")
	if err := run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", video, "-vn", "-ac", "1", "-ar", "16000", "-f", "s16le", raw); err != nil {
		return nil, 0, err
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		return nil, 0, err
	}
	n := len(b) / 2
	total := float64(n) / 16000
	const hop = 160
	var db []float64
	for s := 0; s+hop <= n; s += hop {
		var e float64
		for k := s; k < s+hop; k++ {
			v := float64(int16(binary.LittleEndian.Uint16(b[2*k:])))
			e += v * v
		}
		db = append(db, 10*math.Log10(e/hop+1))
	}
	sorted := append([]float64(nil), db...)
	sort.Float64s(sorted)
	hi := sorted[len(sorted)*95/100]
	lo := sorted[len(sorted)*10/100]
	thr := math.Max(hi-20, lo+(hi-lo)*0.45)
	var segs [][2]float64
	in := false
	var st int
	for i, v := range db {
		if v > thr && !in {
			in, st = true, i
		} else if v <= thr && in {
			in = false
			segs = append(segs, [2]float64{float64(st) / 100, float64(i) / 100})
		}
	}
	if in {
		segs = append(segs, [2]float64{float64(st) / 100, float64(len(db)) / 100})
	}
	// merge short gaps, drop blips
	var m [][2]float64
	for _, s := range segs {
		if len(m) > 0 && s[0]-m[len(m)-1][1] < 0.08 {
			m[len(m)-1][1] = s[1]
			continue
		}
		m = append(m, s)
	}
	var out [][2]float64
	for _, s := range m {
		if s[1]-s[0] >= 0.12 {
			out = append(out, s)
		}
	}
	return out, total, nil
}

// alignDigits chooses four voiced stretches in temporal order (splitting long ones) for the
// four digits, each at most 0.6 s, separated by ≥ 0.1 s.
func alignDigits(segs [][2]float64) [][2]float64 {
	var parts [][2]float64
	for _, s := range segs {
		for s[1]-s[0] > 0.75 {
			parts = append(parts, [2]float64{s[0], s[0] + 0.5})
			s[0] += 0.6
		}
		parts = append(parts, s)
	}
	if len(parts) < 4 {
		return nil
	}
	// pick the 4 longest, keep temporal order
	idx := make([]int, len(parts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return parts[idx[a]][1]-parts[idx[a]][0] > parts[idx[b]][1]-parts[idx[b]][0]
	})
	idx = idx[:4]
	sort.Ints(idx)
	out := make([][2]float64, 4)
	for i, k := range idx {
		p := parts[k]
		if p[1]-p[0] > 0.6 {
			p[1] = p[0] + 0.6
		}
		out[i] = p
	}
	return out
}

func flock(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }
