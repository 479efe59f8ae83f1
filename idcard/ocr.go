package idcard

import (
	"strings"

	"github.com/otiai10/gosseract/v2"
)

// ocrPool holds initialised tesseract clients; one client serves one call at a time.
type ocrPool struct {
	ch chan *gosseract.Client
}

func newOCRPool(n int, tessdata, langs string) (*ocrPool, error) {
	p := &ocrPool{ch: make(chan *gosseract.Client, n)}
	for i := 0; i < n; i++ {
		c := gosseract.NewClient()
		if tessdata != "" {
			if err := c.SetTessdataPrefix(tessdata); err != nil {
				c.Close()
				p.close()
				return nil, err
			}
		}
		if err := c.SetLanguage(strings.Split(langs, "+")...); err != nil {
			c.Close()
			p.close()
			return nil, err
		}
		_ = c.SetVariable("debug_file", "/dev/null")
		// Initialise now (fails early on a missing traineddata) with a tiny blank image.
		blank := &gray{W: 8, H: 8, Pix: make([]uint8, 64)}
		if err := c.SetImageFromBytes(blank.pgm()); err != nil {
			c.Close()
			p.close()
			return nil, err
		}
		if _, err := c.Text(); err != nil {
			c.Close()
			p.close()
			return nil, err
		}
		p.ch <- c
	}
	return p, nil
}

func (p *ocrPool) close() {
	for {
		select {
		case c := <-p.ch:
			c.Close()
		default:
			return
		}
	}
}

// line is one recognised text line with its box in the image given to tesseract.
type line struct {
	Text       string
	Y0, Y1     int
	X0, X1     int
	Confidence float64
	// Ref is the right edge of the row's printed label (0 = not known). A value's offset
	// from its own label does not change when the rectified card leans (a loose quad), while
	// its absolute left edge does.
	Ref int
}

// ocrOpts selects a page segmentation mode and an optional character whitelist.
type ocrOpts struct {
	PSM       gosseract.PageSegMode
	Whitelist string
}

// lines runs OCR on g and returns its text lines top to bottom.
func (p *ocrPool) lines(g *gray, o ocrOpts) ([]line, error) {
	if g.W < 4 || g.H < 4 {
		return nil, nil
	}
	c := <-p.ch
	defer func() { p.ch <- c }()
	if err := c.SetPageSegMode(o.PSM); err != nil {
		return nil, err
	}
	if err := c.SetWhitelist(o.Whitelist); err != nil {
		return nil, err
	}
	if err := c.SetImageFromBytes(g.pgm()); err != nil {
		return nil, err
	}
	boxes, err := c.GetBoundingBoxes(gosseract.RIL_TEXTLINE)
	if err != nil {
		return nil, err
	}
	out := make([]line, 0, len(boxes))
	for _, b := range boxes {
		t := strings.TrimSpace(b.Word)
		if t == "" {
			continue
		}
		out = append(out, line{Text: t, X0: b.Box.Min.X, X1: b.Box.Max.X, Y0: b.Box.Min.Y, Y1: b.Box.Max.Y, Confidence: b.Confidence})
	}
	return out, nil
}

// text runs OCR on g and returns all its text.
func (p *ocrPool) text(g *gray, o ocrOpts) (string, error) {
	ls, err := p.lines(g, o)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Text)
	}
	return b.String(), nil
}
