package idcard

import "strings"

// underStamp re-reads a row of the value column that a stamp box meets at its right end:
// the detector merges the characters the stamp touches into the stamp's own box, so they
// are lost from the row. The row's value band, from its first value box to past the stamp,
// is recognised as one line and the stamp's characters are taken out; the longer reading
// is kept when it starts like the row's own value. Otherwise the row's text t is returned.
// rw is sorted left to right (rowText sorts it).
func (r *Reader) underStamp(p *page, rw []tline, stamps []box, t string) (string, error) {
	if len(rw) == 0 || len(stamps) == 0 {
		return t, nil
	}
	W := float64(p.g.W)
	u := rw[0].box
	for _, l := range rw {
		u.X0, u.Y0, u.X1, u.Y1 = min(u.X0, l.X0), min(u.Y0, l.Y0), max(u.X1, l.X1), max(u.Y1, l.Y1)
	}
	h := u.Y1 - u.Y0
	var st *box
	for i, s := range stamps {
		ov := min(s.Y1, u.Y1) - max(s.Y0, u.Y0)
		if ov >= h/3 && s.X0 <= u.X1+3*h && s.X1 > u.X1 {
			st = &stamps[i]
			break
		}
	}
	if st == nil {
		return t, nil
	}
	// The value part: boxes right of the label column.
	x0, own := u.X0, ""
	for _, l := range rw {
		if float64(l.X1) <= labelColumn*W {
			x0 = l.X1 + h/4
			continue
		}
		own += compact(l.Text)
	}
	own = compact(stripNoise(own))
	band := box{X0: x0, Y0: u.Y0, X1: min(p.g.W, st.X1+h/2), Y1: u.Y1}
	res, err := r.pp.recognize(p.g.sub(band), nil)
	if err != nil {
		return "", err
	}
	ext := compact(dropStampChars(res.Text))
	or, er := []rune(own), []rune(ext)
	if len(er) <= len(or) {
		return t, nil
	}
	// The re-read must agree with what the row already showed: its first characters.
	k := min(len(or), 3)
	if k == 0 && len(rw) < 2 || !strings.HasPrefix(ext, string(or[:k])) {
		return t, nil
	}
	return strings.TrimSuffix(t, own) + ext, nil
}

// tallInRow re-reads a row whose value box is much taller than its label (a stamp or a
// framed watermark below the line merged with it, so the recogniser read the two as one
// line): the band of the label alone, from the label to the box's right end.
func (r *Reader) tallInRow(p *page, rw []tline, t string) (string, error) {
	W := float64(p.g.W)
	lb, ok := labelLine(rw, W)
	if !ok {
		return t, nil
	}
	h := lb.Y1 - lb.Y0
	var tall *tline
	for i, l := range rw {
		if float64(l.X1) > labelColumn*W && 5*(l.Y1-l.Y0) > 11*h {
			tall = &rw[i]
		}
	}
	if tall == nil {
		return t, nil
	}
	res, err := r.pp.recognize(p.g.sub(p.labelBand(lb.box, tall.X1, 4)), nil)
	if err != nil {
		return "", err
	}
	ext := cjkOnly(dropStampChars(res.Text))
	own := cjkOnly(stripNoise(tall.Text))
	if len([]rune(ext)) <= len([]rune(own)) {
		return t, nil
	}
	var b strings.Builder
	for _, l := range rw {
		if l.X0 == tall.X0 && l.Y0 == tall.Y0 {
			b.WriteString(ext)
		} else {
			b.WriteString(compact(l.Text))
		}
	}
	return b.String(), nil
}

// dropStampChars removes the stamps' characters (复印无效, 禁止复印) from a reading.
func dropStampChars(s string) string {
	return strings.Map(func(c rune) rune {
		if strings.ContainsRune(stampChars, c) {
			return -1
		}
		return c
	}, stripNoise(s))
}
