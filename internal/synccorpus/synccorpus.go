// Package synccorpus generates the lip-voice sync attack corpus from the real talking clips
// (../shared/datasets/talking): each clip with its own sound (genuine, plus 2.5 s cuts of the
// longer clips), dubbed with every other clip's voice, with spoken digits from FSDD,
// en-digits, zh-digits and espeak-ng, its own sound shifted by 0.3–2 s, frozen and slowly
// panned stills with the own sound, and a looped 1.2 s segment under the full sound.
//
// Every file is made with ffmpeg/sox/espeak-ng into a temporary directory at run time and
// nothing is committed. It is test and evaluation tooling only: production code must not
// import it.
package synccorpus

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/faceverify/faceverify/internal/csvfile"
	"github.com/faceverify/faceverify/internal/testenv"
)

// Version changes whenever the generator's output changes (cache key).
const Version = "s1"

// Case is one clip of the corpus.
type Case struct {
	Name string `json:"name"`
	File string `json:"file"`
	// Kind: genuine, genuine_cut, dub_talk, dub_fsdd, dub_endigits, dub_zhdigits, dub_espeak,
	// shift, still, pan, loop.
	Kind     string  `json:"kind"`
	Genuine  bool    `json:"genuine"`
	Speaker  string  `json:"speaker"`    // the face's speaker (talking/labels.csv)
	Voice    string  `json:"voice"`      // the sound's speaker or source
	Duration float64 `json:"duration_s"` // of the clip
	Detail   string  `json:"detail"`     // e.g. the shift
	// Source is the talking clip the case was made from; VideoCopy: the case's video stream
	// is the source's, bit for bit (ffmpeg -c:v copy: dubbed and shifted cases).
	Source    string `json:"source"`
	VideoCopy bool   `json:"video_copy"`
}

// Clip is one talking clip of the dataset.
type Clip struct {
	File     string
	Speaker  string
	Duration float64
}

// Clips lists the talking clips of at least minDur seconds (labels.csv order).
func Clips(ds string, minDur float64) ([]Clip, error) {
	rows, err := csvfile.Read(filepath.Join(ds, "talking", "labels.csv"))
	if err != nil {
		return nil, err
	}
	var out []Clip
	for _, r := range rows[1:] {
		d, _ := strconv.ParseFloat(r[2], 64)
		if d >= minDur {
			out = append(out, Clip{File: filepath.Join(ds, "talking", r[0]), Speaker: r[7], Duration: d})
		}
	}
	return out, nil
}

// Options select how much of the corpus to build.
type Options struct {
	// DubsPerClip: how many other clips' voices dub each clip (0 = all others).
	DubsPerClip int
	// Shifts of the own sound, seconds (+ = sound later than the lips).
	Shifts []float64
	// DigitKinds / ShiftsPerClip: how many of the 4 digit voices / of Shifts each clip gets,
	// rotating over the clips (0 = all).
	DigitKinds, ShiftsPerClip int
}

// Full is the whole corpus; Subset a representative part for the test suite.
var (
	Full   = Options{DubsPerClip: 0, Shifts: []float64{0.3, 0.7, -0.5, 1.2, 2.0}}
	Subset = Options{DubsPerClip: 2, Shifts: []float64{0.3, -0.5, 1.2}, DigitKinds: 2, ShiftsPerClip: 2}
)

func (o Options) key() string {
	var s []string
	for _, x := range o.Shifts {
		s = append(s, strconv.FormatFloat(x, 'f', -1, 64))
	}
	return fmt.Sprintf("%s-d%d-k%d-s%d-%s", Version, o.DubsPerClip, o.DigitKinds, o.ShiftsPerClip, strings.Join(s, "_"))
}

// Dir is the cache directory of a corpus built with o.
func Dir(o Options) string {
	return filepath.Join(os.TempDir(), "faceverify-synccorpus-"+o.key())
}

var buildMu sync.Mutex

// Ensure returns the cases of o, building the full corpus into Dir(Full) first if it is
// missing or incomplete (a subset is a selection of the full corpus's files).
func Ensure(ds string, o Options) ([]Case, error) {
	cs, err := ensure(Dir(Full), ds, Full)
	if err != nil {
		return nil, err
	}
	clips, err := Clips(ds, 2)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for i, c := range clips {
		idx[stem(c.File)] = i
	}
	var out []Case
	for _, c := range cs {
		base := stem(c.Source)
		if c.Source == "" { // manifests written before Source existed: the name holds it
			base = c.Name[strings.Index(c.Name, "_")+1:]
			if k := strings.Index(base, "__"); k >= 0 {
				base = base[:k]
			}
		}
		i, ok := idx[base]
		if !ok {
			return nil, fmt.Errorf("synccorpus: %s: unknown source %q", c.Name, base)
		}
		// The manifest is cached in the temp dir and may have been written with the datasets
		// at another path (another checkout): a case that is the source clip itself follows it.
		if !strings.HasPrefix(c.File, Dir(Full)+string(filepath.Separator)) && stem(c.File) == base {
			c.File = clips[i].File
		}
		c.Source = clips[i].File
		c.VideoCopy = strings.HasPrefix(c.Kind, "dub") || c.Kind == "shift"
		if o.selects(c, idx, len(clips)) {
			out = append(out, c)
		}
	}
	return out, nil
}

func stem(p string) string { return strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)) }

// selects reports whether the full corpus's case c belongs to the cases o builds.
func (o Options) selects(c Case, idx map[string]int, nclips int) bool {
	i := idx[stem(c.Source)]
	switch {
	case c.Kind == "dub_talk":
		if o.DubsPerClip == 0 {
			return true
		}
		other := c.Name[strings.LastIndex(c.Name, "__")+2:]
		for k := 1; k <= o.DubsPerClip; k++ {
			if idx[other] == (i+k*5)%nclips {
				return true
			}
		}
		return false
	case strings.HasPrefix(c.Kind, "dub_"):
		for _, k := range pick([]string{"fsdd", "endigits", "zhdigits", "espeak"}, o.DigitKinds, i) {
			if c.Kind == "dub_"+k {
				return true
			}
		}
		return false
	case c.Kind == "shift":
		for _, s := range pick(o.Shifts, o.ShiftsPerClip, i) {
			if c.Detail == fmt.Sprintf("%+.1f s", s) {
				return true
			}
		}
		return false
	}
	return true
}

func ensure(dir, ds string, o Options) ([]Case, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if cs, ok := load(dir); ok {
		return cs, nil
	}
	os.MkdirAll(filepath.Dir(dir), 0o755)
	if f, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644); err == nil {
		defer f.Close()
		syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if cs, ok := load(dir); ok {
			return cs, nil
		}
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	cs, err := Build(tmp, ds, o)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		if strings.HasPrefix(cs[i].File, tmp) {
			cs[i].File = filepath.Join(dir, filepath.Base(cs[i].File))
		}
	}
	b, _ := json.MarshalIndent(struct {
		Version string
		Cases   []Case
	}{o.key(), cs}, "", " ")
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), b, 0o644); err != nil {
		return nil, err
	}
	os.RemoveAll(filepath.Join(tmp, "work"))
	os.RemoveAll(dir)
	return cs, os.Rename(tmp, dir)
}

func load(dir string) ([]Case, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, false
	}
	var m struct{ Cases []Case }
	if json.Unmarshal(b, &m) != nil || len(m.Cases) == 0 {
		return nil, false
	}
	for _, c := range m.Cases {
		if _, err := os.Stat(c.File); err != nil {
			return nil, false
		}
	}
	return m.Cases, true
}

func run(name string, args ...string) error { return testenv.Run(exec.Command(name, args...), 600) }

func ff(args ...string) error {
	return run("ffmpeg", append([]string{"-nostdin", "-v", "error", "-y"}, args...)...)
}

func secs(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }

type builder struct {
	dir, ds string
	mu      sync.Mutex
	n       int
}

func (b *builder) tmp(ext string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	return filepath.Join(b.dir, "work", fmt.Sprintf("w%04d.%s", b.n, ext))
}

// Build writes the corpus into dir and returns its cases.
func Build(dir, ds string, o Options) ([]Case, error) {
	if err := os.MkdirAll(filepath.Join(dir, "work"), 0o755); err != nil {
		return nil, err
	}
	clips, err := Clips(ds, 2)
	if err != nil {
		return nil, err
	}
	b := &builder{dir: dir, ds: ds}
	voices, err := b.digitVoices()
	if err != nil {
		return nil, err
	}
	type job struct {
		c   Case
		mk  func(out string) error
		ext string
		src string
	}
	var jobs []job
	var curSrc string
	add := func(c Case, ext string, mk func(out string) error) {
		c.File = filepath.Join(dir, c.Name+"."+ext)
		jobs = append(jobs, job{c, mk, ext, curSrc})
	}
	var cases []Case
	for i, c := range clips {
		curSrc = c.File
		base := strings.TrimSuffix(filepath.Base(c.File), filepath.Ext(c.File))
		src, D := c.File, c.Duration
		// genuine: the file itself, and 2.5 s cuts of the first and last part of long clips.
		cases = append(cases, Case{Name: "genuine_" + base, File: src, Kind: "genuine", Genuine: true, Speaker: c.Speaker, Voice: c.Speaker, Duration: D, Source: src})
		if D >= 5.5 {
			for k, at := range []float64{0, D - 2.6} {
				at := at
				add(Case{Name: fmt.Sprintf("cut%d_%s", k, base), Kind: "genuine_cut", Genuine: true, Speaker: c.Speaker, Voice: c.Speaker, Duration: 2.5,
					Detail: "from " + secs(at) + " s"}, "mp4", func(out string) error {
					return ff("-ss", secs(at), "-i", src, "-t", "2.5", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", out)
				})
			}
		}
		// dubbed with other clips' voices (looped to the length of the video)
		nd := len(clips) - 1
		if o.DubsPerClip > 0 && o.DubsPerClip < nd {
			nd = o.DubsPerClip
		}
		for k := 1; k <= nd; k++ {
			oc := clips[(i+k*5)%len(clips)]
			if o.DubsPerClip == 0 {
				oc = clips[(i+k)%len(clips)]
			}
			if oc.Speaker == c.Speaker {
				continue
			}
			ob := strings.TrimSuffix(filepath.Base(oc.File), filepath.Ext(oc.File))
			add(Case{Name: "dub_" + base + "__" + ob, Kind: "dub_talk", Speaker: c.Speaker, Voice: oc.Speaker, Duration: D}, "mkv", func(out string) error {
				return ff("-i", src, "-stream_loop", "-1", "-i", oc.File, "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-ac", "1", "-t", secs(D), out)
			})
		}
		// digits read by other people / synthetic voices, with pauses, filling the clip
		for _, kind := range pick([]string{"fsdd", "endigits", "zhdigits", "espeak"}, o.DigitKinds, i) {
			vs := voices[kind]
			v := vs[i%len(vs)]
			kind := kind
			add(Case{Name: "dub" + kind + "_" + base, Kind: "dub_" + kind, Speaker: c.Speaker, Voice: v.speaker, Duration: D}, "mkv", func(out string) error {
				wav, err := b.digitTrack(v, D, i)
				if err != nil {
					return err
				}
				return ff("-i", src, "-i", wav, "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-t", secs(D), out)
			})
		}
		// own sound shifted (the track still starts with the video)
		for _, s := range pick(o.Shifts, o.ShiftsPerClip, i) {
			s := s
			add(Case{Name: fmt.Sprintf("shift%+.1f_%s", s, base), Kind: "shift", Speaker: c.Speaker, Voice: c.Speaker, Duration: D, Detail: fmt.Sprintf("%+.1f s", s)}, "mkv", func(out string) error {
				var af string
				if s > 0 {
					af = fmt.Sprintf("adelay=%d:all=1,atrim=0:%s", int(s*1000), secs(D))
				} else {
					af = fmt.Sprintf("atrim=start=%s,asetpts=PTS-STARTPTS,apad", secs(-s))
				}
				return ff("-i", src, "-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy", "-af", af, "-c:a", "aac", "-ac", "1", "-t", secs(D), out)
			})
		}
		// a frozen still and a slowly panned still, with the own sound
		add(Case{Name: "still_" + base, Kind: "still", Speaker: c.Speaker, Voice: c.Speaker, Duration: D}, "mp4", func(out string) error {
			png := b.tmp("png")
			if err := ff("-ss", secs(D/2), "-i", src, "-frames:v", "1", png); err != nil {
				return err
			}
			return ff("-loop", "1", "-framerate", "25", "-i", png, "-i", src, "-map", "0:v", "-map", "1:a:0", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p",
				"-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-t", secs(D), out)
		})
		add(Case{Name: "pan_" + base, Kind: "pan", Speaker: c.Speaker, Voice: c.Speaker, Duration: D}, "mp4", func(out string) error {
			png := b.tmp("png")
			if err := ff("-ss", secs(D/3), "-i", src, "-frames:v", "1", png); err != nil {
				return err
			}
			vf := fmt.Sprintf("crop=trunc(iw*0.86/2)*2:trunc(ih*0.86/2)*2:x='(iw-ow)*t/%s':y='(ih-oh)*(0.5+0.4*sin(t))',format=yuv420p", secs(D))
			return ff("-loop", "1", "-framerate", "25", "-i", png, "-i", src, "-map", "0:v", "-map", "1:a:0", "-vf", vf,
				"-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-t", secs(D), out)
		})
		// the first 1.2 s of the video looped under the full own sound
		add(Case{Name: "loop_" + base, Kind: "loop", Speaker: c.Speaker, Voice: c.Speaker, Duration: D, Detail: "1.2 s segment"}, "mkv", func(out string) error {
			seg := b.tmp("mkv")
			if err := ff("-i", src, "-t", "1.2", "-an", "-c:v", "libx264", "-preset", "veryfast", seg); err != nil {
				return err
			}
			return ff("-stream_loop", "-1", "-i", seg, "-i", src, "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-t", secs(D), out)
		})
	}
	// run the jobs on two workers
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				errs[k] = jobs[k].mk(jobs[k].c.File)
			}
		}()
	}
	for k := range jobs {
		next <- k
	}
	close(next)
	wg.Wait()
	for k := range jobs {
		jobs[k].c.Source = jobs[k].src
	}
	for k, e := range errs {
		if e != nil {
			return nil, fmt.Errorf("synccorpus %s: %w", jobs[k].c.Name, e)
		}
		cases = append(cases, jobs[k].c)
	}
	sort.SliceStable(cases, func(a, b int) bool { return cases[a].Kind < cases[b].Kind })
	return cases, nil
}

// voice is a source of isolated spoken digits: wav files per digit of one speaker, or an
// espeak-ng voice.
type voice struct {
	speaker string
	files   map[byte][]string
	espeak  []string // espeak-ng arguments
}

func (b *builder) digitVoices() (map[string][]voice, error) {
	out := map[string][]voice{}
	for _, set := range []string{"fsdd", "en-digits", "zh-digits"} {
		rows, err := csvfile.Read(filepath.Join(b.ds, "speech", set, "labels.csv"))
		if err != nil {
			return nil, err
		}
		by := map[string]*voice{}
		var order []string
		for _, r := range rows[1:] {
			spk := r[2]
			v := by[spk]
			if v == nil {
				v = &voice{speaker: set + "/" + spk, files: map[byte][]string{}}
				by[spk] = v
				order = append(order, spk)
			}
			d := r[1][0]
			v.files[d] = append(v.files[d], filepath.Join(b.ds, "speech", set, r[0]))
		}
		sort.Strings(order)
		key := strings.ReplaceAll(set, "-", "")
		for _, s := range order {
			if v := by[s]; len(v.files) >= 5 {
				out[key] = append(out[key], *v)
			}
		}
		if len(out[key]) == 0 {
			return nil, fmt.Errorf("synccorpus: no usable speaker in %s", set)
		}
	}
	for _, e := range [][]string{{"-v", "en-us", "-s", "150", "-p", "40"}, {"-v", "en+f3", "-s", "170", "-p", "60"},
		{"-v", "cmn-latn-pinyin", "-s", "140", "-p", "50"}, {"-v", "en-gb-x-rp+m2", "-s", "130", "-p", "35"}} {
		out["espeak"] = append(out["espeak"], voice{speaker: "espeak " + strings.Join(e, " "), espeak: e})
	}
	return out, nil
}

var (
	enWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	zhWords = []string{"ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"}
)

// digitTrack is a 16 kHz wav of at least D seconds: digits of voice v with 0.15–0.6 s pauses,
// starting 0.3 s in (seed picks digits and pauses deterministically).
func (b *builder) digitTrack(v voice, D float64, seed int) (string, error) {
	trim := []string{"silence", "1", "0.02", "1%", "reverse", "silence", "1", "0.02", "1%", "reverse", "gain", "-n", "-3"}
	lead := b.tmp("wav")
	if err := run("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", lead, "trim", "0", "0.3"); err != nil {
		return "", err
	}
	parts := []string{lead}
	total, k := 0.3, 0
	for total < D+0.2 && k < 40 {
		d := byte('0' + (seed*7+k*3+k*k)%10)
		gap := 0.15 + 0.09*float64((seed+k*5)%6)
		w := b.tmp("wav")
		if v.espeak != nil {
			raw := b.tmp("wav")
			word := enWords[d-'0']
			if v.espeak[1] == "cmn-latn-pinyin" {
				word = zhWords[d-'0']
			}
			if err := run("espeak-ng", append(append([]string{}, v.espeak...), "-w", raw, word)...); err != nil {
				return "", err
			}
			if err := run("sox", append([]string{raw, "-r", "16000", "-c", "1", "-b", "16", w}, append(trim, "pad", "0", secs(gap))...)...); err != nil {
				return "", err
			}
		} else {
			fs := v.files[d]
			if len(fs) == 0 {
				k++
				continue
			}
			in := fs[(seed+k)%len(fs)]
			if err := run("sox", append([]string{in, "-r", "16000", "-c", "1", "-b", "16", w}, append(trim, "pad", "0", secs(gap))...)...); err != nil {
				return "", err
			}
		}
		total += testenv.WavSeconds(w)
		parts = append(parts, w)
		k++
	}
	out := b.tmp("wav")
	return out, run("sox", append(parts, out)...)
}

// pick returns k of xs starting at rotation i (all of them when k is 0 or ≥ len(xs)).
func pick[T any](xs []T, k, i int) []T {
	if k <= 0 || k >= len(xs) {
		return xs
	}
	out := make([]T, 0, k)
	for j := 0; j < k; j++ {
		out = append(out, xs[(i+j)%len(xs)])
	}
	return out
}
