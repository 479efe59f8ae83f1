package speech

import (
	"fmt"
	"math"
)

// Thresholds decide when a challenge digit counts as said. They are rules (data), tuned on
// the validation speakers only with speech/cmd/digiteval -split val (docs/speech.md,
// "## Runtime"); the measurements they compare with are in Verification. All margins are
// natural-log likelihood ratios of whole forced alignments (CTC Viterbi scores).
type Thresholds struct {
	// MinConf is the lowest posterior the challenge digit must reach at its aligned frames.
	// Speech that is not digits, noise and music leave the digit classes near zero.
	MinConf float64
	// MinSubMargin: the challenge must beat the best sequence with this position replaced by
	// another digit (the other three kept) by at least this much.
	MinSubMargin float64
	// MinDelMargin: the challenge must beat the sequence without this digit (its frames
	// explained by blank or filler) by at least this much.
	MinDelMargin float64
	// LangPrior (decoding with both languages, Any) is how strongly the clip's dominant
	// language is preferred: the other language's digit probabilities are scaled by
	// (its share of the clip's digit mass / the dominant share)^LangPrior before the two
	// languages are merged. 0 = none (every digit free in either language); people read a
	// challenge in one language, so a digit heard in the minority language is more often a
	// confusion (an English "five" heard as 二) than a switch. A mixed reading still
	// decodes: the minority digit is only scaled, never removed.
	LangPrior float64
	// QuietDB gates digits to audible frames: a frame whose loudest neighbourhood (±QuietSpan)
	// is more than QuietDB below the clip's loudest frame cannot be a digit (its digit classes
	// are lowered by quietPenalty nats). The runtime sets the loudest 100 ms to −20 dBFS, so
	// spoken digits sit within ~25 dB of it while a faint hiss or hum in the pauses is 40 dB
	// or more below; without the gate the model sometimes hears such a floor as the /s/ of
	// "six" or the burst of "eight". 0 = no gate.
	QuietDB float64
	// LenMargin (nats) makes the free decode of a challenge (Verification.Heard, the
	// digits_heard a report shows) length-aware: the page asked for len(challenge) digits, so
	// when the best path holds another number of digits (a word split in two, a weak word
	// lost) but the best path holding exactly that many scores within LenMargin of it, the
	// latter is the reading. Only the length is used, never the digits; a reading the audio
	// does not support (a digit really left out costs a whole word's frames) stays as heard.
	// 0 = plain best path.
	LenMargin float64
}

// DefaultThresholds are the tuned decision thresholds (docs/speech.md, "## Runtime").
var DefaultThresholds = Thresholds{
	MinConf:      0.4,
	MinSubMargin: 2.0,
	MinDelMargin: 2.0,
	LangPrior:    2,
	QuietDB:      35,
	LenMargin:    1,
}

// Verification is the outcome of checking a clip against a known challenge.
type Verification struct {
	// Heard is the free decode (any digits): what the user appears to have said, with the
	// challenge's length as a prior (Thresholds.LenMargin).
	Heard Result
	// Aligned is the challenge forced onto the audio: where each challenge digit lies and,
	// as Score, the posterior it reaches there. Always four words (unless ErrNoSpeech).
	Aligned Result
	// Conf, per position: the challenge digit's highest posterior at its aligned frames.
	Conf [4]float64
	// SubMargin, per position: the best alignment in which the position says its digit
	// minus the best in which another digit stands there (nats; both alignments pay
	// EditPenalty per edit and InsPenalty per inserted digit, the other positions free).
	// Positive: the challenge digit is the better explanation.
	SubMargin [4]float64
	// DelMargin, per position: likewise against the best alignment without that digit.
	DelMargin [4]float64
	// Margins is min(SubMargin, DelMargin) per position.
	Margins [4]float64
	// Inserted is the number of digits said beyond the challenge (inserted by the free
	// alignment, at InsPenalty each).
	Inserted int
	// FreeGap is the free path's score minus the challenge alignment's (≥ 0), in nats: how
	// much the unconstrained best reading beats the challenge over the whole clip.
	FreeGap float64
	// BestPath is the digits of the plain best path (no length prior): the evidence Judge's
	// shortcut trusts, so the length prior changes what Heard reports, never a verdict.
	BestPath string
	// LenGap is how much better (nats) the unconstrained best path scores than the best path
	// holding exactly len(challenge) digits: 0 when the best path already holds that many,
	// +Inf when no path can. Heard takes the latter when LenGap ≤ LenMargin.
	LenGap float64
	// Zh is the share of the aligned digits' probability held by the Mandarin classes
	// (0 = English, 1 = Mandarin), averaged over the four positions.
	Zh float64
	// Match reports, per position, whether the digit is confirmed; Right counts them.
	Match [4]bool
	Right int
}

// verify scores challenge (4 digits) against the merged posteriors p; it also returns the
// challenge's alignment (nil when the clip has too few frames).
//
// For each position i three alignments are scored, the other positions free (said, replaced
// or left out, whichever fits): i said, i replaced by the best other digit, i left out.
// SubMargin and DelMargin are the differences; Conf is the digit's posterior where the
// "said" alignment puts it. The free alignment (every position free) counts the inserted
// digits. Digits said beyond the challenge unconfirm the weakest positions.
func verify(p *post, challenge string, th Thresholds) (Verification, []segment) {
	var v Verification
	chal := digitsOf(challenge)
	n := len(chal)
	for i := range v.Margins {
		v.Margins[i], v.SubMargin[i], v.DelMargin[i] = math.Inf(-1), math.Inf(-1), math.Inf(-1)
	}
	g := buildGraph(chal, nil)
	sc, path := viterbi(p, g, true)
	if path == nil { // too few frames for four digits
		return v, nil
	}
	segs := segments(p, g, path)
	_, free := greedy(p)
	v.FreeGap = free - sc
	modes := make([]int, n)
	for i := 0; i < n; i++ {
		for j := range modes {
			modes[j] = mFree
		}
		modes[i] = mMatch
		gm := buildGraph(chal, modes)
		sm, pm := viterbi(p, gm, true)
		if pm == nil {
			continue
		}
		seg := segments(p, gm, pm)[i]
		v.Conf[i] = seg.conf
		modes[i] = mSub
		v.SubMargin[i] = sm - score(p, chal, modes)
		modes[i] = mDel
		v.DelMargin[i] = sm - score(p, chal, modes)
		v.Margins[i] = math.Min(v.SubMargin[i], v.DelMargin[i])
		if seg.s >= 0 {
			bt, bv := seg.s, math.Inf(-1)
			for t := seg.s; t < seg.e; t++ {
				if x := p.at(t, kDigit0+chal[i]); x > bv {
					bt, bv = t, x
				}
			}
			v.Zh += p.zh[bt*10+chal[i]] / float64(n)
		}
	}
	gf := buildGraph(chal, []int{mFree, mFree, mFree, mFree})
	if _, pf := viterbi(p, gf, true); pf != nil {
		v.Inserted = insertions(gf, pf)
	}
	v.Judge(th)
	return v, segs
}

// Judge sets Match and Right from the measurements under th: a position is confirmed when
// its digit reaches MinConf and beats its substitutions and its deletion by the margins.
// Digits said beyond the challenge (Inserted) then unconfirm the weakest confirmed
// positions, so reading a long string that happens to contain the challenge does not pass.
//
// The best path hearing exactly the challenge confirms all four (the audio cannot say
// both the real digits and a different challenge; other sounds practically never decode
// to the one random string asked). That is the plain best path (BestPath), not Heard: a
// reading mended by the length prior could have been made up at a word's edge, and a user
// who said three digits must not be confirmed four.
func (v *Verification) Judge(th Thresholds) {
	v.Right = 0
	if v.BestPath != "" && v.BestPath == v.Aligned.Digits {
		v.Match = [4]bool{true, true, true, true}
		v.Right = 4
		return
	}
	for i := range v.Match {
		v.Match[i] = v.Conf[i] >= th.MinConf && v.SubMargin[i] >= th.MinSubMargin && v.DelMargin[i] >= th.MinDelMargin
	}
	for extra := v.Inserted; extra > 0; extra-- {
		w := -1
		for i, m := range v.Match {
			if m && (w < 0 || v.Margins[i] < v.Margins[w]) {
				w = i
			}
		}
		if w < 0 {
			break
		}
		v.Match[w] = false
	}
	for _, m := range v.Match {
		if m {
			v.Right++
		}
	}
}

func checkChallenge(challenge string) error {
	if len(challenge) != 4 {
		return fmt.Errorf("speech: challenge must be 4 digits, got %q", challenge)
	}
	for i := 0; i < 4; i++ {
		if challenge[i] < '0' || challenge[i] > '9' {
			return fmt.Errorf("speech: challenge must be 4 digits, got %q", challenge)
		}
	}
	return nil
}
