package speech

/*
#include <pocketsphinx.h>
*/
import "C"

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// DefaultTolerance is the per-digit margin (natural-log acoustic score per frame of the
// digit) by which the challenge digit may trail the best other digit and still count as
// said. Measured with speech/cmd/digiteval (see docs/liveness.md).
const DefaultTolerance = 0.1

// Verification is the outcome of checking a clip against a known challenge.
type Verification struct {
	// Heard is the free decode (any four digits): what the user appears to have said.
	Heard Result
	// Aligned is the challenge forced onto the audio (where each challenge digit lies).
	Aligned Result
	// Margins, per challenge position: score of the challenge path minus the score of the
	// best path that says another digit at that position (the other three held to the
	// challenge), in natural-log units per frame of the digit. ≥ 0 means the challenge
	// digit is the decoder's own choice there; strongly negative means another digit.
	Margins [4]float64
	// Match reports, per position, Margins[i] ≥ −tolerance or the free decode heard the
	// challenge digit there.
	Match [4]bool
	// Right is the number of matching positions.
	Right int
	// PathGap is (free path − challenge path) acoustic score per frame over the utterance
	// (0 when the free decode is the challenge).
	PathGap float64
}

// Verify checks that pcm says the English challenge (four digits).
func (r *Recognizer) Verify(pcm []int16, rate int, challenge string) (Verification, error) {
	return r.VerifyIn(English, pcm, rate, challenge)
}

// VerifyIn checks that pcm says challenge in lang. It decodes the clip with the free
// four-digit grammar (Heard) and with a grammar of exactly the challenge (Aligned). Then,
// repeatedly, one decode over every sequence that differs from the challenge in exactly one
// not-yet-judged position finds the strongest substitution; that sequence is decoded as a
// fixed grammar too and its path score compared with the challenge's (same grammar shape,
// so like with like). A position fails when the substitution wins by more than the
// tolerance per frame of the digit; the search stops at the first substitution that does
// not win, so a genuine clip costs four decodes. Conditioning on the other three digits
// removes most errors of the free decode (a digit split in two, or two merged), while a
// wrong challenge digit still loses clearly to the digit actually spoken. ErrNoSpeech is
// returned when the clip is too short to decode.
func (r *Recognizer) VerifyIn(lang Language, pcm []int16, rate int, challenge string) (Verification, error) {
	var v Verification
	if len(challenge) != 4 {
		return v, fmt.Errorf("speech: challenge must be 4 digits, got %q", challenge)
	}
	for i := 0; i < 4; i++ {
		if challenge[i] < '0' || challenge[i] > '9' {
			return v, fmt.Errorf("speech: challenge must be 4 digits, got %q", challenge)
		}
	}
	pcm, off, err := r.prepare(lang, pcm, rate)
	if err != nil {
		return v, err
	}
	ps, release, err := r.acquire()
	if err != nil {
		return v, err
	}
	defer release()
	free, err := decode(ps, string(lang), pcm)
	if err != nil {
		return v, err
	}
	v.Heard = free.result(off)
	var forcedG [4]string
	for i := range forcedG {
		forcedG[i] = challenge[i : i+1]
	}
	forced, err := r.decodeWith(ps, lang, forcedG, pcm)
	if err != nil {
		return v, err
	}
	v.Aligned = forced.result(off)
	fs := forced.digitSegs()
	if len(fs) != 4 {
		// No path through the challenge survived the beams: nothing matches.
		// Fall back to the free decode, position by position.
		for i := range v.Margins {
			v.Margins[i] = math.Inf(-1)
		}
		v.PathGap = math.Inf(1)
		v.judge(challenge, r.tolerance)
		return v, nil
	}
	// Path scores are log-base-1.0001 values shifted right by 10 bits (SENSCR_SHIFT).
	ln := func(x int32) float64 { return float64(C.logmath_log_to_ln(free.lmath, C.int32(x))) * 1024 }
	if free.frames > 0 && len(free.segs) > 0 {
		v.PathGap = ln(free.ascr()-forced.ascr()) / float64(free.frames)
	}
	for i := range v.Margins {
		v.Margins[i] = math.Inf(-1) // unjudged: only the free decode can confirm it
	}
	// Find the positions where another digit beats the challenge digit, best first: one
	// decode over all paths that differ from the challenge in exactly one of the positions
	// not yet judged. A genuine clip needs one such decode.
	tol := r.tolerance
	open := []int{0, 1, 2, 3}
	for len(open) > 0 {
		var sb strings.Builder
		sb.WriteString("#JSGF V1.0;\ngrammar verify;\npublic <v> = ")
		for k, i := range open {
			if k > 0 {
				sb.WriteString(" | ")
			}
			sb.WriteString("(")
			for j := 0; j < 4; j++ {
				if j == i {
					fmt.Fprintf(&sb, " <a%d>", j)
				} else {
					fmt.Fprintf(&sb, " %s", alts(lang, challenge[j:j+1]))
				}
			}
			sb.WriteString(" )")
		}
		sb.WriteString(";\n")
		for _, i := range open {
			others := strings.ReplaceAll(allDigits, challenge[i:i+1], "")
			fmt.Fprintf(&sb, "<a%d> = %s;\n", i, alts(lang, others))
		}
		if err := r.setVerify(ps, lang, sb.String()); err != nil {
			return v, err
		}
		alt, err := decode(ps, verifySearch, pcm)
		if err != nil {
			return v, err
		}
		as := alt.digitSegs()
		if len(as) != 4 {
			break // pruned: the remaining positions fall back to the free decode
		}
		j := -1
		for _, i := range open {
			if as[i].digit != challenge[i] {
				j = i
			}
		}
		if j < 0 {
			break
		}
		n := max(fs[j].ef-fs[j].sf+1, 5)
		// Scores across grammars of different shapes are not comparable (branching costs,
		// pruning): decode the candidate as a fixed sequence too and compare like with like.
		var cg [4]string
		for k := range cg {
			cg[k] = string(as[k].digit)
		}
		cand, err := r.decodeWith(ps, lang, cg, pcm)
		if err != nil {
			return v, err
		}
		if len(cand.digitSegs()) != 4 {
			break
		}
		m := ln(forced.score-cand.score) / float64(n)
		if m >= -tol {
			// The best substitution does not beat the challenge: the rest match.
			for _, i := range open {
				v.Margins[i] = m
			}
			break
		}
		v.Margins[j] = m
		open = slices.DeleteFunc(open, func(i int) bool { return i == j })
	}
	v.judge(challenge, tol)
	return v, nil
}

// judge sets Match and Right from the margins and the free decode.
func (v *Verification) judge(challenge string, tol float64) {
	v.Right = 0
	for i := range v.Margins {
		// The free decode agreeing is also a match (it is the unconstrained best path; the
		// constrained decodes can lose it to pruning).
		v.Match[i] = v.Margins[i] >= -tol || (len(v.Heard.Digits) == 4 && v.Heard.Digits[i] == challenge[i])
		if v.Match[i] {
			v.Right++
		}
	}
}

// alts is a JSGF alternative of the words of the digits in ds.
func alts(lang Language, ds string) string {
	var w []string
	for _, d := range []byte(ds) {
		w = append(w, wordsOf[lang][d-'0']...)
	}
	if len(w) == 1 {
		return w[0]
	}
	return "(" + strings.Join(w, " | ") + ")"
}

const verifySearch = "verify"

// decodeWith decodes pcm with a four-slot grammar built for this call.
func (r *Recognizer) decodeWith(ps *C.ps_decoder_t, lang Language, allow [4]string, pcm []int16) (hyp, error) {
	// Select a fixed search first: replacing the active search frees it.
	if err := selectSearch(ps, string(lang)); err != nil {
		return hyp{}, err
	}
	if err := setGrammar(ps, verifySearch, grammar(lang, allow)); err != nil {
		return hyp{}, err
	}
	return decode(ps, verifySearch, pcm)
}

func (r *Recognizer) setVerify(ps *C.ps_decoder_t, lang Language, jsgf string) error {
	if err := selectSearch(ps, string(lang)); err != nil {
		return err
	}
	return setGrammar(ps, verifySearch, jsgf)
}
