package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/idcard"
	"github.com/faceverify/faceverify/idcard/gen"
	"github.com/faceverify/faceverify/internal/onnxrt"
	fvstats "github.com/faceverify/faceverify/internal/stats"
)

// photoEval reads n generated cards photographed as phones do (gen.Shoot: any rotation,
// tilt, clutter, hands, glare, blur, JPEG) and reports field exact match over all shots,
// per condition; then neg rounds of negatives, each with the result it must get.
func photoEval(r *idcard.Reader, n, neg int, seed int64, faces, out string, verbose bool) error {
	g, err := gen.New(gen.Options{Seed: seed, FacesDir: faces})
	if err != nil {
		return err
	}
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
	}
	type acc struct{ fronts, backs, found, foundB, num, name, addr, other, issuer, valid int }
	stats := map[string]*acc{}
	var order []string
	get := func(k string) *acc {
		if stats[k] == nil {
			stats[k] = &acc{}
			order = append(order, k)
		}
		return stats[k]
	}
	results := map[string]int{}
	var cpu time.Duration
	var walls []float64 // ms, one a read
	m0 := onnxrt.Snapshot()
	reads := 0
	read := func(side idcard.Side, data []byte) (*idcard.Outcome, error) {
		t0, c0 := time.Now(), processCPU()
		o, err := r.Read(context.Background(), side, data, 0)
		walls = append(walls, float64(time.Since(t0).Microseconds())/1000)
		cpu += processCPU() - c0
		reads++
		return o, err
	}
	for i := 0; i < n; i++ {
		c := g.Card()
		for _, side := range []idcard.Side{idcard.Front, idcard.Back} {
			img := c.Front
			if side == idcard.Back {
				img = c.Back
			}
			data, shot := g.Shoot(img, gen.ShotOptions{})
			shot.Side = string(side)
			name := fmt.Sprintf("photo%04d_%s", i, side)
			if out != "" {
				os.WriteFile(filepath.Join(out, name+".jpg"), data, 0o644)
				j, _ := json.MarshalIndent(struct {
					Shot     gen.Shot                `json:"shot"`
					Identity faceverify.IDCardResult `json:"identity"`
				}{shot, c.Identity}, "", "  ")
				os.WriteFile(filepath.Join(out, name+".json"), j, 0o644)
			}
			o, err := read(side, data)
			if err != nil {
				return err
			}
			res := string(side) + ":" + resultName(o.Result)
			if o.Retake != "" {
				res += "/" + o.Retake
			}
			results[res]++
			conds := conditions(shot)
			var diffs []string
			for _, k := range conds {
				a := get(k)
				if side == idcard.Front {
					a.fronts++
					if o.Result != faceverify.ResultIDCardNotFrontside {
						a.found++
					}
					a.num += eq(o.Fields.Number, c.Identity.Number)
					a.name += eq(o.Fields.Name, c.Identity.Name)
					a.addr += eq(o.Fields.Address, c.Identity.Address)
					ok := 1
					for _, fn := range []string{"gender", "nationality", "birth"} {
						if idcard.FieldValue(o.Fields, fn) != idcard.FieldValue(c.Identity, fn) {
							ok = 0
						}
					}
					a.other += ok
				} else {
					a.backs++
					if o.Result != faceverify.ResultIDCardNotBackside {
						a.foundB++
					}
					a.issuer += eq(o.Fields.IssuedBy, c.Identity.IssuedBy)
					a.valid += eq(idcard.FieldValue(o.Fields, "valid_date"), idcard.FieldValue(c.Identity, "valid_date"))
				}
			}
			if verbose {
				fields := idcard.FrontFields
				if side == idcard.Back {
					fields = idcard.BackFields
				}
				for _, fn := range fields {
					if w, h := idcard.FieldValue(c.Identity, fn), idcard.FieldValue(o.Fields, fn); w != h {
						diffs = append(diffs, fmt.Sprintf("%s: %q≠%q", fn, h, w))
					}
				}
				if o.Result == faceverify.ResultFakeIDCard {
					l := o.Fields.FrontLegality
					if side == idcard.Back {
						l = o.Fields.BackLegality
					}
					if l != nil {
						diffs = append(diffs, fmt.Sprintf("legality copy %.2f screen %.2f edited %.2f", l.Photocopy, l.Screen, l.Edited))
					}
				}
				fmt.Printf("%s %s [%s] %s\n", name, res, strings.Join(conds[1:], " "), strings.Join(diffs, "; "))
			}
		}
	}
	pct := func(a, b int) string {
		if b == 0 {
			return "    -"
		}
		return fmt.Sprintf("%5.1f", 100*float64(a)/float64(b))
	}
	fmt.Printf("\nphotographed cards (seed %d): exact match %% over all shots\n", seed)
	fmt.Printf("%-22s %5s %6s %6s %6s %6s %6s | %5s %6s %6s %6s\n", "condition", "front", "found", "number", "name", "addr", "g/n/b", "back", "found", "issuer", "valid")
	for _, k := range order {
		a := stats[k]
		fmt.Printf("%-22s %5d %6s %6s %6s %6s %6s | %5d %6s %6s %6s\n", k, a.fronts, pct(a.found, a.fronts), pct(a.num, a.fronts), pct(a.name, a.fronts),
			pct(a.addr, a.fronts), pct(a.other, a.fronts), a.backs, pct(a.foundB, a.backs), pct(a.issuer, a.backs), pct(a.valid, a.backs))
	}
	printResults(results)
	if reads > 0 {
		fmt.Printf("reads: %d, mean %.0f ms per Read (wall; p50 %.0f, p95 %.0f), %.0f ms CPU per Read (all threads)\n", reads,
			fvstats.Mean(walls), fvstats.Quantile(walls, 0.5), fvstats.Quantile(walls, 0.95), float64(cpu.Milliseconds())/float64(reads))
		// Inference runs per read (and their CPU on the calling thread: the intra-op
		// threads' share is not in it): how many pages and lines a read costs.
		for _, m := range onnxrt.Snapshot().Since(m0) {
			fmt.Printf("  %-10s %5.1f runs per Read, %4.0f ms (calling thread)\n", m.Model, float64(m.Runs)/float64(reads), float64(m.CPU.Milliseconds())/float64(reads))
		}
	}
	if neg > 0 {
		return negatives(r, neg, seed, faces, out)
	}
	return nil
}

// processCPU is the CPU time the process has used (user + system, all threads): per read
// it is the figure that holds on a loaded machine, where wall time does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func eq(a, b string) int {
	if a == b {
		return 1
	}
	return 0
}

// conditions names the buckets a shot falls in (the first is "all").
func conditions(s gen.Shot) []string {
	c := []string{"all", "orient:" + s.Orientation,
		bucket(s.Coverage, []float64{0.35, 0.55}, "cover:<35%", "cover:35-55%", "cover:>=55%")}
	rot := math.Mod(s.Rotation+360+45, 360)
	if off := math.Abs(math.Mod(s.Rotation+360+45, 90) - 45); off > 11 {
		c = append(c, "rot:oblique")
	} else {
		c = append(c, bucket(rot, []float64{90, 180, 270}, "rot:0", "rot:90", "rot:180", "rot:270"))
	}
	c = append(c, bucket(math.Max(math.Abs(s.TiltX), math.Abs(s.TiltY)), []float64{10, 18}, "tilt:<10", "tilt:10-18", "tilt:18-25"))
	c = append(c, "bg:"+s.Background)
	if s.Hand {
		c = append(c, "hand")
	}
	if s.Glare > 0 {
		c = append(c, "glare")
	}
	if s.GlareOverNumber {
		c = append(c, "glare-over-number")
	}
	if s.Shadow > 0 {
		c = append(c, "shadow")
	}
	if s.MotionBlur > 0 {
		c = append(c, "motion-blur")
	}
	return append(c, bucket(float64(s.Quality), []float64{70}, "jpeg:50-69", "jpeg:70-95"))
}

// bucket names the bucket v falls in: names[i] for the first i with v < below[i], else
// the last name (len(names) = len(below)+1).
func bucket(v float64, below []float64, names ...string) string {
	for i, b := range below {
		if v < b {
			return names[i]
		}
	}
	return names[len(below)]
}

// negatives photographs cards that must be refused, each with its own documented result.
func negatives(r *idcard.Reader, n int, seed int64, faces, out string) error {
	g, err := gen.New(gen.Options{Seed: seed + 1000})
	if err != nil {
		return err
	}
	gf, err := gen.New(gen.Options{Seed: seed + 2000, FacesDir: faces})
	if err != nil {
		return err
	}
	type negCase struct {
		name  string
		side  idcard.Side
		want  faceverify.Result
		data  func() []byte
		truth *string // hard photos: reading this number exactly is right too
	}
	var truth string
	hard := func(o gen.ShotOptions) func() []byte {
		return func() []byte {
			c := gf.Card()
			truth = c.Identity.Number
			b, _ := gf.Shoot(c.Front, o)
			return b
		}
	}
	shoot := func(img func() []byte) func() []byte { return img }
	cases := []negCase{
		{"bad-check-digit", idcard.Front, faceverify.ResultIDCardFrontside, func() []byte {
			id := gen.WithBadCheck(g.Identity(gen.Genuine))
			b, _ := g.Shoot(g.RenderFront(id, gen.Genuine), gen.ShotOptions{})
			return b
		}, nil},
		{"blank-card-front", idcard.Front, faceverify.ResultIDCardNotFrontside, shoot(func() []byte { b, _ := g.Shoot(g.BlankCard(), gen.ShotOptions{}); return b }), nil},
		{"blank-card-back", idcard.Back, faceverify.ResultIDCardNotBackside, shoot(func() []byte { b, _ := g.Shoot(g.BlankCard(), gen.ShotOptions{}); return b }), nil},
		{"not-an-id-card", idcard.Front, faceverify.ResultIDCardNotFrontside, g.NonCard, nil},
		{"cut-off", idcard.Front, faceverify.ResultIDCardFrontside, hard(gen.ShotOptions{Cut: true}), nil},
		{"too-small", idcard.Front, faceverify.ResultIDCardFrontside, hard(gen.ShotOptions{LongSide: 1280, MinFill: 0.22, MaxFill: 0.27}), nil},
		{"too-blurred", idcard.Front, faceverify.ResultIDCardFrontside, hard(gen.ShotOptions{Defocus: 6}), &truth},
		{"glare-on-number", idcard.Front, faceverify.ResultIDCardFrontside, hard(gen.ShotOptions{GlareNumber: true}), &truth},
		{"expired", idcard.Back, faceverify.ResultIDCardBacksideBlurred, func() []byte {
			b, _ := g.Shoot(g.CardVariant(gen.Expired).Back, gen.ShotOptions{})
			return b
		}, nil},
	}
	if r.HasVision() { // no portrait: needs the face engine
		cases = append(cases, negCase{"no-portrait", idcard.Front, faceverify.ResultNoFaceFoundIDCard, func() []byte {
			b, _ := g.Shoot(g.Card().Front, gen.ShotOptions{}) // this generator has no faces
			return b
		}, nil})
	}
	fmt.Printf("\nnegatives (%d each):\n", n)
	for _, c := range cases {
		ok := 0
		got := map[string]int{}
		for i := 0; i < n; i++ {
			data := c.data()
			if out != "" {
				os.WriteFile(filepath.Join(out, fmt.Sprintf("neg_%s_%02d.jpg", c.name, i)), data, 0o644)
			}
			o, err := r.Read(context.Background(), c.side, data, 0)
			if err != nil {
				return err
			}
			k := resultName(o.Result)
			if o.Retake != "" {
				k += "/" + o.Retake
			}
			got[k]++
			if o.Result == c.want || c.truth != nil && o.Result.IsZero() && o.Fields.Number == *c.truth {
				ok++
			}
		}
		var gs []string
		for k, v := range got {
			gs = append(gs, fmt.Sprintf("%s×%d", k, v))
		}
		sort.Strings(gs)
		want := c.want.Message
		if c.truth != nil {
			want += " or read exactly"
		}
		fmt.Printf("  %-18s want %-44s %d/%d  (%s)\n", c.name, want, ok, n, strings.Join(gs, ", "))
	}
	return nil
}

func printResults(results map[string]int) {
	var keys []string
	for k := range results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println("\nresults:")
	for _, k := range keys {
		fmt.Printf("  %-40s %d\n", k, results[k])
	}
}
