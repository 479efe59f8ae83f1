package idcard

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
	"unicode"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/vision"
	"github.com/otiai10/gosseract/v2"
)

// Config configures a Reader.
type Config struct {
	TessdataDir string         // directory holding <lang>.traineddata; "" = tesseract's default
	Languages   string         // tesseract languages joined by "+"; default "chi_sim"
	Vision      *vision.Engine // face engine for the portrait; nil = no portrait face check
	Workers     int            // tesseract clients in the pool; default runtime.NumCPU()
	Now         func() time.Time
	// Engine selects the OCR: "ppocr" (PaddleOCR PP-OCRv4 on ONNX Runtime), "tesseract", or
	// "" = PP-OCR when its model files are present in OCRModelDir, else tesseract.
	Engine      string
	OCRModelDir string // PP-OCR models (scripts/setup.d/30-ocr-models.sh); default DefaultOCRModelDir()
	ORTLib      string // ONNX Runtime library; default vision.DefaultORTLib() (ignored when ORT is already up)
	OCRThreads  int    // ONNX Runtime intra-op threads per PP-OCR session; default 2
	// Trace, when set, receives every text line the PP-OCR reader detects and recognises
	// (box, text, characters read with doubt): for diagnosing a card that reads wrong.
	Trace io.Writer
}

// Reader reads card sides. It is safe for concurrent use: each call borrows one tesseract
// client from a pool.
type Reader struct {
	pool *ocrPool // tesseract (Engine "tesseract")
	pp   *ppocr   // PP-OCR (Engine "ppocr")
	// constrained PP-OCR character sets
	ppDigits, ppDate, ppValidity charset
	vision                       *vision.Engine
	places                       *gazetteer // nil = place names kept as read
	trace                        io.Writer
	now                          func() time.Time
}

// Side is the side of the card a photo is expected to show.
type Side string

// The two sides: Front carries the portrait and personal fields (人像面), Back the national
// emblem, issuing authority and validity (国徽面).
const (
	Front Side = "front"
	Back  Side = "back"
)

// DefaultThreshold is the vendor default of idcard_threshold (ID_Photo legality).
const DefaultThreshold = 0.8

// Outcome is what Read learned from one photo of one side.
type Outcome struct {
	Result   faceverify.Result       // zero value = success; otherwise the exact 3100/3200 result
	Fields   faceverify.IDCardResult // the fields of this side, legality and completeness of this side
	Portrait []byte                  // JPEG crop of the portrait (front)
	Image    []byte                  // JPEG of the rectified card side
	Retake   string                  // why a photo must be retaken (Retake* in photo.go); "" = no photo problem seen
}

// Open starts a Reader: PP-OCR sessions, or a pool of initialised tesseract clients.
func Open(cfg Config) (*Reader, error) {
	if cfg.Languages == "" {
		cfg.Languages = "chi_sim"
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OCRModelDir == "" {
		cfg.OCRModelDir = DefaultOCRModelDir()
	}
	if cfg.OCRThreads <= 0 {
		cfg.OCRThreads = 2
	}
	engine := cfg.Engine
	if engine == "" {
		engine = "tesseract"
		if _, err := os.Stat(filepath.Join(cfg.OCRModelDir, ppRecFile)); err == nil {
			engine = "ppocr"
		}
	}
	r := &Reader{vision: cfg.Vision, now: cfg.Now, trace: cfg.Trace}
	// The gazetteer is optional: without it place names are kept as read.
	if g, err := loadGazetteer(filepath.Join(cfg.OCRModelDir, gazetteerFile)); err == nil {
		r.places = g
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	switch engine {
	case "ppocr":
		pp, err := openPPOCR(cfg.OCRModelDir, cfg.ORTLib, cfg.OCRThreads)
		if err != nil {
			return nil, fmt.Errorf("idcard: PP-OCR: %w", err)
		}
		r.pp = pp
		r.ppDigits = pp.charset(digitsX)
		r.ppDate = pp.charset("0123456789年月日")
		r.ppValidity = pp.charset("0123456789.-长期")
	case "tesseract":
		p, err := newOCRPool(cfg.Workers, cfg.TessdataDir, cfg.Languages)
		if err != nil {
			return nil, fmt.Errorf("idcard: tesseract: %w", err)
		}
		r.pool = p
	default:
		return nil, fmt.Errorf("idcard: unknown OCR engine %q", cfg.Engine)
	}
	return r, nil
}

// Engine reports the OCR engine in use: "ppocr" or "tesseract".
func (r *Reader) Engine() string {
	if r.pp != nil {
		return "ppocr"
	}
	return "tesseract"
}

// Close frees the OCR sessions or clients. The Vision engine is not closed (it is the caller's).
func (r *Reader) Close() error {
	if r.pool != nil {
		r.pool.close()
	}
	if r.pp != nil {
		r.pp.close()
	}
	return nil
}

// Layout of the rectified, upright card (fractions of width/height). The positions follow
// the GA 450-2013 card face; the contest cards and our generator use the same layout.
var (
	zoneValues   = [4]float64{0.17, 0.10, 0.66, 0.77} // name … address values (labels excluded)
	zoneNumber   = [4]float64{0.26, 0.76, 0.98, 0.93} // 公民身份号码 value
	zonePortrait = [4]float64{0.60, 0.06, 0.96, 0.84}
	zoneTitle    = [4]float64{0.25, 0.06, 0.98, 0.50} // 中华人民共和国 / 居民身份证
	zoneIssuer   = [4]float64{0.36, 0.65, 0.98, 0.795}
	zoneValidity = [4]float64{0.36, 0.785, 0.98, 0.93}
)

func zone(g *gray, z [4]float64) *gray { return g.crop(z[0], z[1], z[2], z[3]) }

// view is one candidate card rectified in one orientation.
type view struct {
	cand candidate
	rgba *image.RGBA
	g    *gray
}

func (r *Reader) views(img *image.RGBA) []view {
	var out []view
	for _, c := range locate(img) {
		q := c.Quad
		if c.Whole && img.Rect.Dy() > img.Rect.Dx() { // portrait photo of a card: turn it
			q = [4]pt{q[3], q[0], q[1], q[2]}
		}
		card := warp(img, q, CardW, CardH)
		out = append(out, view{cand: c, rgba: card, g: grayOf(card)})
		flip := rotate180(card)
		out = append(out, view{cand: c, rgba: flip, g: grayOf(flip)})
	}
	return out
}

var (
	reDigitsRun = regexp.MustCompile(`[0-9X]{17,}`)
	reValidity  = regexp.MustCompile(`(\d{4})\D?(\d{1,2})\D?(\d{1,2})\D{0,3}?(?:(\d{4})\D?(\d{1,2})\D?(\d{1,2})|(长期))`)
	reBirth     = regexp.MustCompile(`(1[89]\d\d|20\d\d)\D{0,3}?(\d{1,2})\D{0,3}?(\d{1,2})`)
)

// titleChars are the characters of 中华人民共和国 / 居民身份证 that the front does not print
// (its 公民身份号码 shares 民身份).
const titleChars = "中华人共和国居证"

// readNumber OCRs the number zone of a view: the best run of [0-9X] of length ≥ 15.
func (r *Reader) readNumber(v view) (string, error) {
	g := zone(v.g, zoneNumber).normalize().removeLines(CardW/12, CardH/12, 8)
	psm := gosseract.PSM_SINGLE_BLOCK
	if y0, y1, ok := g.mainBand(CardH/60, CardH/12, 0.4); ok { // the digits line alone
		pad := (y1 - y0) / 3
		g = g.crop(0, float64(y0-pad)/float64(g.H), 1, float64(y1+pad)/float64(g.H))
		psm = gosseract.PSM_SINGLE_LINE
	}
	t, err := r.pool.text(g, ocrOpts{PSM: psm, Whitelist: "0123456789X"})
	if err != nil {
		return "", err
	}
	t = strings.ReplaceAll(strings.ReplaceAll(t, " ", ""), "\n", " ")
	best := ""
	for _, m := range reDigitsRun.FindAllString(t, -1) {
		if len(m) <= 18 {
			if _, err := numberBirth(m); err != nil {
				continue // digits 7–14 are no date: validity dates or noise, not a number
			}
		}
		if len(m) > 18 { // prefer an 18-character window that validates
			for i := 0; i+18 <= len(m); i++ {
				if ValidateNumber(m[i:i+18]) == nil {
					m = m[i : i+18]
					break
				}
			}
		}
		if len(m) == 19 { // one inserted character
			if fix := oneDeletion(m); fix != "" {
				m = fix
			}
		}
		if len(m) > len(best) || ValidateNumber(m) == nil && ValidateNumber(best) != nil {
			best = m
		}
	}
	if strings.Contains(best[:max(0, len(best)-1)], "X") { // X only as the check character
		best = strings.ReplaceAll(best[:len(best)-1], "X", "") + best[len(best)-1:]
	}
	return best, nil
}

// oneDeletion repairs a 19-character number read with one character too many: the number
// that deleting one character makes valid, when exactly one such number exists ("" when
// none or several do).
func oneDeletion(m string) string {
	fix := ""
	for i := 0; i < len(m); i++ {
		if c := m[:i] + m[i+1:]; ValidateNumber(c) == nil && c != fix {
			if fix != "" {
				return ""
			}
			fix = c
		}
	}
	return fix
}

// titleScore counts the title characters read in the title zone of a view (back side).
func (r *Reader) titleScore(v view) (int, string, error) {
	t, err := r.pool.text(zone(v.g, zoneTitle).normalize(), ocrOpts{PSM: gosseract.PSM_SINGLE_BLOCK})
	if err != nil {
		return 0, "", err
	}
	t = compact(t)
	n := 0
	for _, c := range titleChars {
		if strings.ContainsRune(t, c) {
			n++
		}
	}
	return n, t, nil
}

// compact removes white space.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// Read reads one side of a card from an encoded photo (JPEG, PNG, WebP). threshold is
// idcard_threshold, applied to the ID_Photo legality score (≤ 0 means DefaultThreshold).
// The error is only for internal failures; every verdict about the photo is in Outcome.Result.
func (r *Reader) Read(ctx context.Context, side Side, data []byte, threshold float64) (*Outcome, error) {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	notSide := faceverify.ResultIDCardNotFrontside
	if side == Back {
		notSide = faceverify.ResultIDCardNotBackside
	} else if side != Front {
		return nil, fmt.Errorf("idcard: unknown side %q", side)
	}
	img, err := vision.Decode(data)
	if err != nil {
		return &Outcome{Result: notSide}, nil
	}
	if r.pp != nil {
		return r.ppRead(ctx, side, img, threshold)
	}
	views := r.views(img)
	switch side {
	case Front:
		return r.readFront(ctx, views, threshold)
	default:
		return r.readBack(ctx, views, threshold)
	}
}

func (r *Reader) readFront(ctx context.Context, views []view, threshold float64) (*Outcome, error) {
	var best *view
	var number string
	for i := range views {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.readNumber(views[i])
		if err != nil {
			return nil, err
		}
		if len(n) > len(number) || ValidateNumber(n) == nil && ValidateNumber(number) != nil {
			number, best = n, &views[i]
		}
		if ValidateNumber(number) == nil {
			break
		}
	}
	if best == nil {
		// No number anywhere: a back side, or no card at all.
		return &Outcome{Result: faceverify.ResultIDCardNotFrontside}, nil
	}
	v := *best
	out := &Outcome{Image: vision.EncodeJPEG(v.rgba, 90)}
	f := &out.Fields
	f.Number = number
	ls, err := r.readFrontFields(v, f)
	if err != nil {
		return nil, err
	}
	temporary := false
	for _, l := range ls {
		temporary = temporary || strings.Contains(l.Text, "临时")
	}
	return r.judgeFront(v, out, ls, temporary, threshold, PhotoMeasures{})
}

func (r *Reader) readBack(ctx context.Context, views []view, threshold float64) (*Outcome, error) {
	var best *view
	var title string
	bestScore := 0
	for i := range views {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, t, err := r.titleScore(views[i])
		if err != nil {
			return nil, err
		}
		if s > bestScore {
			bestScore, best, title = s, &views[i], t
		}
		if s >= 7 {
			break
		}
	}
	if best == nil || bestScore < 4 {
		return &Outcome{Result: faceverify.ResultIDCardNotBackside}, nil
	}
	v := *best
	out := &Outcome{Image: vision.EncodeJPEG(v.rgba, 90)}
	f := &out.Fields
	ls, err := r.readBackFields(v, f)
	if err != nil {
		return nil, err
	}
	return r.judgeBack(v, out, ls, title, threshold, PhotoMeasures{}), nil
}

// completeness: 0 the whole card outline is inside the photo; 1 the outline is cut but the
// fields were read; 2 the outline is cut and fields are missing.
func completeness(c candidate, contentOK bool) int {
	switch {
	case !c.Touches:
		return 0
	case contentOK:
		return 1
	}
	return 2
}

// judgeSide grades a side read by either OCR engine: its completeness (the photo's grade
// when measured, else from the candidate and whether its content was read) and its
// legality signals. ls are the text lines (their layout feeds Edited); temporary says 临时
// was read on the card.
func judgeSide(v view, ls []line, contentOK, temporary bool, threshold float64, pm PhotoMeasures) (int, faceverify.Legality) {
	c := completeness(v.cand, contentOK)
	if pm.Known && pm.CompletenessKnown {
		c = pm.Completeness
	}
	sig := measure(v)
	sig.Misalign = misalignment(ls)
	if debugLocate {
		fmt.Fprintf(os.Stderr, "misalign %.2f %v\nsignals chroma %.1f peak %.2f chromaHF %.3f\n", sig.Misalign, ls, sig.ChromaSpread, sig.PeakRatio, sig.ChromaHF)
	}
	sig.Temporary = temporary
	return c, legality(sig, threshold)
}

// judgeFront finishes a front read by either OCR engine: judgeSide, the portrait crop and
// its face, and the front's result. ls are the value lines.
func (r *Reader) judgeFront(v view, out *Outcome, ls []line, temporary bool, threshold float64, pm PhotoMeasures) (*Outcome, error) {
	f := &out.Fields
	var leg faceverify.Legality
	f.FrontCompleteness, leg = judgeSide(v, ls, f.Name != "" && f.Address != "", temporary, threshold, pm)
	f.FrontLegality = &leg

	portrait := cropRGBA(v.rgba, zonePortrait[0], zonePortrait[1], zonePortrait[2], zonePortrait[3])
	out.Portrait = vision.EncodeJPEG(portrait, 90)
	m := SideMeasures{NameRead: f.Name != "", NumberValid: ValidateNumber(f.Number) == nil,
		Consistency: CheckConsistency(*f, r.now()), IDPhoto: leg.IDPhoto, Edited: leg.Edited, Threshold: threshold, Photo: pm}
	if r.vision != nil {
		faces, err := r.vision.Faces(portrait, vision.NeedEmbedding)
		if err != nil && !errors.Is(err, vision.ErrBadImage) {
			return nil, fmt.Errorf("idcard: portrait: %w", err)
		}
		m.PortraitFace = PortraitNoFace
		if len(faces) > 0 {
			m.PortraitFace = PortraitFace
			f.PortraitEmbedding = faces[0].Embedding
		}
	}
	var rule Rule
	out.Result, rule = Decide(FrontRules, m)
	out.Retake = rule.Retake
	return out, nil
}

// judgeBack finishes a back read by either OCR engine: judgeSide and the back's result. title is the card title as read (临时 marks a temporary card).
func (r *Reader) judgeBack(v view, out *Outcome, ls []line, title string, threshold float64, pm PhotoMeasures) *Outcome {
	f := &out.Fields
	var leg faceverify.Legality
	f.BackCompleteness, leg = judgeSide(v, ls, f.IssuedBy != "" && f.ValidDateStart != "", strings.Contains(title, "临时"), threshold, pm)
	f.BackLegality = &leg
	var rule Rule
	out.Result, rule = Decide(BackRules, SideMeasures{
		BackComplete: f.IssuedBy != "" && f.ValidDateStart != "" && f.ValidDateEnd != "",
		Consistency:  CheckConsistency(*f, r.now()), IDPhoto: leg.IDPhoto, Edited: leg.Edited, Threshold: threshold, Photo: pm})
	out.Retake = rule.Retake
	return out
}
