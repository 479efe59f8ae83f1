package speech

import (
	"math"
)

// The model's output classes (speech/model/digits.json): 0 blank, 1–10 English 0–9,
// 11–20 Mandarin 0–9, 21 <filler> (speech that is not a digit).
const (
	modelClasses = 22
	clsBlank     = 0
	clsEn0       = 1
	clsZh0       = 11
	clsFiller    = 21
)

// After merging the languages every frame has 12 log-probabilities: blank, the ten digits
// (whatever the language) and filler.
const (
	kBlank  = 0
	kDigit0 = 1 // kDigit0+d is digit d
	kFiller = 11
	nK      = 12
	// kAny is not a column: a graph state emitting it scores the best digit of the frame
	// (an inserted digit that is not part of the sequence).
	kAny = -1
	// kNot0-d (d = 0…9) scores the best digit other than d (a substitution).
	kNot0 = -100
)

// post is a clip's per-frame log-probabilities after merging the languages.
type post struct {
	T  int
	lp []float64 // T×nK, natural log
	zh []float64 // T×10: share of digit d's probability that the Mandarin class holds
	// said is T×10: digit d's log-probability before the language weights (LangPrior), the
	// confidence a digit reports; the weights only decide which reading wins.
	said []float64
	// best and second are the two highest digit log-probabilities of each frame; bestD is
	// the digit of best.
	best, second []float64
	bestD        []int8
}

func (p *post) at(t, k int) float64 {
	switch {
	case k >= 0:
		return p.lp[t*nK+k]
	case k == kAny:
		return p.best[t]
	default: // kNot0-d
		if int(p.bestD[t]) == kNot0-k {
			return p.second[t]
		}
		return p.best[t]
	}
}

func lse(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// merge folds the 22 model classes into the 12 decoding classes. Any: digit d is
// log(P(en_d)·w_en + P(zh_d)·w_zh), so a speaker may use either language, even mix them;
// the weights are 1 for the clip's dominant language and (minority share / dominant
// share)^prior for the other (langWeights; prior 0 = both 1). A narrowed language keeps only
// its own digits; the other language's digits count as filler (a digit in the wrong language
// is not the challenge).
func merge(raw []float32, T int, lang Language, prior float64) *post {
	p := &post{T: T, lp: make([]float64, T*nK), zh: make([]float64, T*10), said: make([]float64, T*10),
		best: make([]float64, T), second: make([]float64, T), bestD: make([]int8, T)}
	wEn, wZh := 0.0, 0.0 // log weights
	if lang == Any && prior > 0 {
		wEn, wZh = langWeights(raw, T, prior)
	}
	for t := 0; t < T; t++ {
		r := raw[t*modelClasses : (t+1)*modelClasses]
		o := p.lp[t*nK : (t+1)*nK]
		o[kBlank] = float64(r[clsBlank])
		filler := float64(r[clsFiller])
		for d := 0; d < 10; d++ {
			en, zh := float64(r[clsEn0+d]), float64(r[clsZh0+d])
			p.zh[t*10+d] = 1 / (1 + math.Exp(en-zh))
			switch lang {
			case English:
				o[kDigit0+d] = en
				p.said[t*10+d] = en
				filler = lse(filler, zh)
			case Mandarin:
				o[kDigit0+d] = zh
				p.said[t*10+d] = zh
				filler = lse(filler, en)
			default:
				o[kDigit0+d] = lse(en+wEn, zh+wZh)
				p.said[t*10+d] = lse(en, zh)
			}
		}
		o[kFiller] = filler
		p.best[t], p.second[t] = math.Inf(-1), math.Inf(-1)
		for d := 0; d < 10; d++ {
			v := o[kDigit0+d]
			if v > p.best[t] {
				p.second[t], p.best[t], p.bestD[t] = p.best[t], v, int8(d)
			} else if v > p.second[t] {
				p.second[t] = v
			}
		}
	}
	return p
}

// quietPenalty (nats) is taken off the digit classes of a frame the quiet gate closes: enough
// for blank to win there, finite so that forced alignments keep finite margins.
const quietPenalty = 12.0

// quietSpan is how many frames either side of a frame count as its neighbourhood for the
// quiet gate (3 × 30 ms): a CTC spike often sits on a word's quieter edge, never 90 ms away
// from its voiced part.
const quietSpan = 3

// gateQuiet lowers the digit classes of every frame whose loudest neighbourhood (±span
// frames of energy, dB) is more than db below the clip's loudest frame (Thresholds.QuietDB;
// 0 = off). The said column (reported confidence) is left as the model gave it.
func gateQuiet(p *post, energy []float64, db float64, span int) {
	if db <= 0 || len(energy) == 0 {
		return
	}
	top := math.Inf(-1)
	for _, e := range energy {
		top = max(top, e)
	}
	for t := 0; t < p.T && t < len(energy); t++ {
		loud := math.Inf(-1)
		for u := max(0, t-span); u <= min(len(energy)-1, t+span); u++ {
			loud = max(loud, energy[u])
		}
		if loud >= top-db {
			continue
		}
		o := p.lp[t*nK : (t+1)*nK]
		for d := 0; d < 10; d++ {
			o[kDigit0+d] -= quietPenalty
		}
		p.best[t] -= quietPenalty
		p.second[t] -= quietPenalty
	}
}

// langMassFloor is added to each language's digit mass (in frames of posterior) so that a
// clip with hardly any digit evidence (noise, one short word) gets weights near 1.
const langMassFloor = 0.5

// langWeights returns the log weights of the English and Mandarin digit classes for a clip:
// 0 for the language holding more of the clip's digit posterior mass, prior·log(share ratio)
// for the other.
func langWeights(raw []float32, T int, prior float64) (wEn, wZh float64) {
	mEn, mZh := langMassFloor, langMassFloor
	for t := 0; t < T; t++ {
		r := raw[t*modelClasses : (t+1)*modelClasses]
		for d := 0; d < 10; d++ {
			mEn += math.Exp(float64(r[clsEn0+d]))
			mZh += math.Exp(float64(r[clsZh0+d]))
		}
	}
	if mEn >= mZh {
		return 0, prior * math.Log(mZh/mEn)
	}
	return prior * math.Log(mEn/mZh), 0
}

// token is one run of a label in a best path: class k over frames [s, e).
type token struct {
	k    int
	s, e int
	conf float64 // highest frame probability of k within the run
}

// greedy is the free decode: the best class per frame, repeats merged, blanks dropped
// (CTC best path). Fillers stay in the token list; Digits skips them.
func greedy(p *post) (toks []token, score float64) {
	path := make([]int, p.T)
	for t := 0; t < p.T; t++ {
		best, bk := math.Inf(-1), kBlank
		for k := 0; k < nK; k++ {
			if v := p.at(t, k); v > best {
				best, bk = v, k
			}
		}
		score += best
		path[t] = bk
	}
	return pathTokens(p, path), score
}

// pathTokens reads the tokens off a per-frame class path: runs of one class merged, blanks
// dropped; a digit's conf is its highest unweighted posterior (said) within the run.
func pathTokens(p *post, path []int) []token {
	var toks []token
	prev := -1
	for t, k := range path {
		conf := math.Exp(p.at(t, k))
		if isDigit(k) {
			conf = math.Exp(p.said[t*10+k-kDigit0])
		}
		switch {
		case k == kBlank:
		case k != prev:
			toks = append(toks, token{k: k, s: t, e: t + 1, conf: conf})
		default:
			tk := &toks[len(toks)-1]
			tk.e = t + 1
			tk.conf = math.Max(tk.conf, conf)
		}
		prev = k
	}
	return toks
}

func isDigit(k int) bool { return k >= kDigit0 && k < kDigit0+10 }

// tokenDigits is the digit string of toks ("0"–"9" each, fillers skipped).
func tokenDigits(toks []token) string {
	var b []byte
	for _, tk := range toks {
		if isDigit(tk.k) {
			b = append(b, byte('0'+tk.k-kDigit0))
		}
	}
	return string(b)
}

// digitCount is the number of digit tokens in toks.
func digitCount(toks []token) int {
	n := 0
	for _, tk := range toks {
		if isDigit(tk.k) {
			n++
		}
	}
	return n
}

// bestOfLength is the best path (the highest sum of frame log-probabilities, as greedy's)
// among the paths whose tokens hold exactly n digits, fillers and blanks free: what the clip
// says if it says n digits. ok is false when no such path exists (fewer frames than
// digits). A Viterbi over (digits so far, class of the frame): a digit frame starts a new
// digit unless it repeats the previous frame's digit (CTC: "7 7" needs a blank or a filler
// between).
func bestOfLength(p *post, n int) (toks []token, score float64, ok bool) {
	if n < 0 || p.T == 0 {
		return nil, math.Inf(-1), false
	}
	S := (n + 1) * nK // state c·nK + k
	inf := math.Inf(-1)
	cur, nxt := make([]float64, S), make([]float64, S)
	bp := make([]int16, p.T*S)
	for s := range cur {
		cur[s] = inf
	}
	cur[kBlank], cur[kFiller] = p.at(0, kBlank), p.at(0, kFiller)
	if n > 0 {
		for d := 0; d < 10; d++ {
			cur[nK+kDigit0+d] = p.at(0, kDigit0+d)
		}
	}
	for t := 1; t < p.T; t++ {
		for c := 0; c <= n; c++ {
			// The best state of count c and the best of count c−1.
			row := cur[c*nK : (c+1)*nK]
			b1, a1 := inf, -1
			for k, v := range row {
				if v > b1 {
					b1, a1 = v, k
				}
			}
			pb, pa := inf, -1
			if c > 0 {
				for k, v := range cur[(c-1)*nK : c*nK] {
					if v > pb {
						pb, pa = v, k
					}
				}
			}
			for k := 0; k < nK; k++ {
				s := c*nK + k
				best, arg := inf, -1
				if !isDigit(k) { // blank or filler: from any class of the same count
					if a1 >= 0 {
						best, arg = b1, c*nK+a1
					}
				} else {
					best, arg = row[k], s // the same digit continues
					if c > 0 {
						// a new digit: from count c−1, any class but this digit
						prevRow := cur[(c-1)*nK : c*nK]
						v, a := pb, pa
						if pa == k {
							v, a = inf, -1
							for kk, x := range prevRow {
								if kk != k && x > v {
									v, a = x, kk
								}
							}
						}
						if v > best {
							best, arg = v, (c-1)*nK+a
						}
					}
				}
				if arg < 0 || math.IsInf(best, -1) {
					nxt[s], bp[t*S+s] = inf, -1
					continue
				}
				nxt[s] = best + p.at(t, k)
				bp[t*S+s] = int16(arg)
			}
		}
		cur, nxt = nxt, cur
	}
	best, arg := inf, -1
	for k := 0; k < nK; k++ {
		if v := cur[n*nK+k]; v > best {
			best, arg = v, n*nK+k
		}
	}
	if arg < 0 || math.IsInf(best, -1) {
		return nil, inf, false
	}
	path := make([]int, p.T)
	for t := p.T - 1; t >= 0; t-- {
		path[t] = arg % nK
		if t > 0 {
			arg = int(bp[t*S+arg])
		}
	}
	return pathTokens(p, path), best, true
}

// A graph is the CTC topology of a digit sequence in which every position may be said
// (match: its own digit), replaced (sub: the best other digit) or left out (del), as the
// position's mode allows, and every gap may hold blank, filler (non-digit speech) and
// inserted digits (any digit, at InsPenalty each):
//
//	gap0 pos0 gap1 pos1 … posK-1 gapK,   gap = {blank, filler, inserted digit}
//
// Each state emits one class per frame and may repeat; a label may follow the previous one
// directly when they differ (CTC's blank skip). Viterbi over it is a forced alignment.
// Restricting one position to match, sub or del while the others stay free gives the
// per-position scores of verify: the other positions take whatever fits them best, so one
// wrong or missing digit does not distort the margins of its neighbours.
type gstate struct {
	k     int     // class emitted (kAny: best digit; kNot0-d: best digit but d)
	pos   int     // position of match/sub states, -1 for gap states
	match bool    // a match state
	from  []edge  // predecessor states (besides itself)
	enter float64 // log cost of entering from another state
}

type edge struct {
	q int
	w float64 // log cost of the transition
}

type graph struct {
	st     []gstate
	start  []int
	final  []int
	labels []int
}

// Position modes (bit set).
const (
	mMatch = 1 << iota
	mSub
	mDel
	mFree = mMatch | mSub | mDel
)

// Alignment costs (natural log). InsPenalty is the cost of one inserted digit (said but not
// named by the sequence): without it every extra spike would be free. EditPenalty is the
// cost of a position replaced or left out: it makes the alignment prefer one edit over a
// chain of shifted ones (481 for 4821 is one deletion, not three substitutions).
const (
	InsPenalty  = 6.0
	EditPenalty = 3.0
)

// buildGraph builds the graph of labels with modes[i] for position i (nil: all match).
func buildGraph(labels []int, modes []int) *graph {
	g := &graph{labels: labels}
	add := func(st gstate) int {
		g.st = append(g.st, st)
		return len(g.st) - 1
	}
	link := func(to int, w float64, from ...int) {
		for _, q := range from {
			g.st[to].from = append(g.st[to].from, edge{q, w})
		}
	}
	// gap adds a gap entered from in (cost 0) and from del (cost −EditPenalty).
	gap := func(in, del []int) []int {
		b := add(gstate{k: kBlank, pos: -1})
		f := add(gstate{k: kFiller, pos: -1})
		a := add(gstate{k: kAny, pos: -1, enter: -InsPenalty})
		for _, s := range []int{b, f, a} {
			link(s, 0, in...)
			link(s, -EditPenalty, del...)
		}
		link(b, 0, f, a)
		link(f, 0, b, a)
		link(a, 0, b, f)
		return []int{b, f, a}
	}
	prevGap := gap(nil, nil)
	g.start = append(g.start, prevGap...)
	var prevPos []int // match/sub states of the previous position
	prevMatch := -1   // its match state
	var skipGap []int // the gap before the previous position, if that one may be left out
	var skipPos []int // the states before a deletable previous position
	for i, l := range labels {
		mode := mMatch
		if modes != nil {
			mode = modes[i]
		}
		var cur []int
		if mode&mMatch != 0 {
			m := add(gstate{k: kDigit0 + l, pos: i, match: true})
			link(m, 0, prevGap...)
			link(m, -EditPenalty, skipGap...)
			for _, q := range prevPos {
				if q != prevMatch || labels[i-1] != l { // CTC: a repeated label needs a blank between
					link(m, 0, q)
				}
			}
			link(m, -EditPenalty, skipPos...)
			cur = append(cur, m)
		}
		if mode&mSub != 0 {
			sb := add(gstate{k: kNot0 - l, pos: i, enter: -EditPenalty})
			link(sb, 0, prevGap...)
			link(sb, 0, prevPos...)
			link(sb, -EditPenalty, skipGap...)
			link(sb, -EditPenalty, skipPos...)
			cur = append(cur, sb)
		}
		if i == 0 {
			g.start = append(g.start, cur...)
		}
		var del []int
		nextSkipGap, nextSkipPos := []int(nil), []int(nil)
		if mode&mDel != 0 {
			del = prevGap
			nextSkipGap, nextSkipPos = prevGap, prevPos
		}
		ng := gap(cur, del)
		prevMatch = -1
		if mode&mMatch != 0 {
			prevMatch = cur[0]
		}
		prevPos, prevGap, skipGap, skipPos = cur, ng, nextSkipGap, nextSkipPos
	}
	g.final = append(g.final, prevGap...)
	g.final = append(g.final, prevPos...)
	return g
}

// viterbi returns the best path score through g and, if trace, the state of every frame.
func viterbi(p *post, g *graph, trace bool) (float64, []int) {
	n := len(g.st)
	if p.T == 0 {
		return math.Inf(-1), nil
	}
	inf := math.Inf(-1)
	cur := make([]float64, n)
	nxt := make([]float64, n)
	var bp []int32
	if trace {
		bp = make([]int32, p.T*n)
	}
	for s := range cur {
		cur[s] = inf
	}
	for _, s := range g.start {
		cur[s] = p.at(0, g.st[s].k) + g.st[s].enter
		if trace {
			bp[s] = int32(s)
		}
	}
	for t := 1; t < p.T; t++ {
		for s := 0; s < n; s++ {
			st := &g.st[s]
			best, arg := cur[s], s
			for _, e := range st.from {
				if v := cur[e.q] + st.enter + e.w; v > best {
					best, arg = v, e.q
				}
			}
			nxt[s] = best + p.at(t, st.k)
			if trace {
				bp[t*n+s] = int32(arg)
			}
		}
		cur, nxt = nxt, cur
	}
	best, arg := inf, -1
	for _, s := range g.final {
		if cur[s] > best {
			best, arg = cur[s], s
		}
	}
	if !trace || arg < 0 || math.IsInf(best, -1) {
		return best, nil
	}
	path := make([]int, p.T)
	for t := p.T - 1; t >= 0; t-- {
		path[t] = arg
		arg = int(bp[t*n+arg])
	}
	return best, path
}

// segment is where label i of a forced alignment lies: frames [s, e), and the highest
// probability the label reaches there.
type segment struct {
	s, e int
	conf float64
}

// insertions counts the inserted digits on a Viterbi path.
func insertions(g *graph, path []int) int {
	n := 0
	for t, s := range path {
		if g.st[s].k == kAny && (t == 0 || path[t-1] != s) {
			n++
		}
	}
	return n
}

// segments reads the label positions off a Viterbi path.
func segments(p *post, g *graph, path []int) []segment {
	out := make([]segment, len(g.labels))
	for i := range out {
		out[i].s = -1
	}
	for t, s := range path {
		st := g.st[s]
		if st.pos < 0 || !st.match {
			continue
		}
		sg := &out[st.pos]
		if sg.s < 0 {
			sg.s = t
		}
		sg.e = t + 1
	}
	// Confidence: the label's probability mass over its frames and one frame either side
	// (a CTC spike may spread over two frames), capped at 1.
	for i, sg := range out {
		if sg.s < 0 {
			continue
		}
		d := g.labels[i]
		var m float64
		for t := max(0, sg.s-1); t < min(p.T, sg.e+1); t++ {
			m += math.Exp(p.said[t*10+d])
		}
		out[i].conf = math.Min(1, m)
	}
	return out
}

// score is the best alignment score of labels under modes.
func score(p *post, labels, modes []int) float64 {
	s, _ := viterbi(p, buildGraph(labels, modes), false)
	return s
}

func digitsOf(s string) []int {
	out := make([]int, len(s))
	for i := range s {
		out[i] = int(s[i] - '0')
	}
	return out
}
