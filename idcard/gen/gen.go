// Package gen renders synthetic Chinese resident ID cards for tests and evaluation: random
// but valid identities (GB 11643-1999 numbers consistent with birth date and gender),
// both card sides in the GA 450 layout with Noto CJK text and OCR-B digits, portraits taken
// from face photos (LFW), and camera-like photos of them (background, rotation, perspective,
// blur, glare, JPEG noise). Variants produce the attacks the legality scores look for:
// grey photocopies, screen re-captures, pasted (edited) text and temporary cards.
//
// The cards are obviously synthetic (they say 样本 / SPECIMEN) and must never be used as
// identity documents. gen does no OCR and knows nothing about verification.
package gen

import (
	"fmt"
	"github.com/faceverify/faceverify/idcard/internal/geom"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/residentid"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Card size in pixels (ID-1 at ~10.5 px/mm), the same as idcard.CardW × CardH.
const (
	W = 900
	H = 568
)

// Options configure a Generator.
type Options struct {
	Seed     int64
	FacesDir string // directory of face photos (LFW layout: <person>/<file>.jpg); "" = no portrait
	FontDir  string // default /usr/share/fonts
	Now      time.Time
}

// Variant selects an attack rendering.
type Variant int

// The variants.
const (
	Genuine   Variant = iota
	Photocopy         // grey, contrast-crushed copy
	Screen            // re-captured from a display: pixel grid, moiré, refresh bands
	Edited            // the name pasted in a different font, size and position
	Expired           // validity ended before Now
)

// Card is one generated identity and its two rendered sides.
type Card struct {
	Identity    faceverify.IDCardResult
	Front, Back *image.RGBA
}

// Generator renders cards. Not safe for concurrent use.
type Generator struct {
	rng                 *rand.Rand
	sans, sansBold, ser *sfnt.Font
	ocrb                *sfnt.Font
	faces               []string
	now                 time.Time
}

// New loads fonts and lists the face photos.
func New(o Options) (*Generator, error) {
	if o.FontDir == "" {
		o.FontDir = "/usr/share/fonts"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	g := &Generator{rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x1dca4d)), now: o.Now}
	var err error
	if g.sans, err = loadCJK(filepath.Join(o.FontDir, "opentype/noto/NotoSansCJK-Regular.ttc")); err != nil {
		return nil, err
	}
	if g.sansBold, err = loadCJK(filepath.Join(o.FontDir, "opentype/noto/NotoSansCJK-Bold.ttc")); err != nil {
		return nil, err
	}
	if g.ser, err = loadCJK(filepath.Join(o.FontDir, "opentype/noto/NotoSerifCJK-Bold.ttc")); err != nil {
		return nil, err
	}
	// OCRBS.otf: x/image/font/sfnt cannot load the "8" of OCRB.otf (checked below).
	b, err := os.ReadFile(filepath.Join(o.FontDir, "opentype/ocr-b/OCRBS.otf"))
	if err != nil {
		return nil, err
	}
	if g.ocrb, err = opentype.Parse(b); err != nil {
		return nil, err
	}
	var buf sfnt.Buffer
	for _, r := range "0123456789X" {
		gi, err := g.ocrb.GlyphIndex(&buf, r)
		if err == nil {
			_, err = g.ocrb.LoadGlyph(&buf, gi, fixed.I(40), nil)
		}
		if err != nil || gi == 0 {
			return nil, fmt.Errorf("gen: OCR-B glyph %q unusable: %v", r, err)
		}
	}
	if o.FacesDir != "" {
		g.faces, _ = filepath.Glob(filepath.Join(o.FacesDir, "*", "*.jpg"))
		sort.Strings(g.faces)
	}
	return g, nil
}

// loadCJK returns the Simplified Chinese member of a Noto CJK collection.
func loadCJK(path string) (*sfnt.Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := opentype.ParseCollection(b)
	if err != nil {
		return nil, err
	}
	var buf sfnt.Buffer
	for i := 0; i < c.NumFonts(); i++ {
		f, err := c.Font(i)
		if err != nil {
			return nil, err
		}
		name, _ := f.Name(&buf, sfnt.NameIDFamily)
		if strings.HasSuffix(name, " SC") {
			return f, nil
		}
	}
	return c.Font(0)
}

type region struct{ code, province, city, county, towns string }

// regions: real GB/T 2260 county codes with their names (a small sample is enough).
var regions = []region{
	{"110108", "北京市", "", "海淀区", "中关村街道|学院路街道|清河街道"},
	{"310104", "上海市", "", "徐汇区", "天平路街道|湖南路街道|康健新村街道"},
	{"440305", "广东省", "深圳市", "南山区", "南头街道|粤海街道|蛇口街道"},
	{"330106", "浙江省", "杭州市", "西湖区", "北山街道|转塘街道|留下街道"},
	{"610304", "陕西省", "宝鸡市", "陈仓区", "钓渭镇|虢镇街道|千河镇"},
	{"510107", "四川省", "成都市", "武侯区", "浆洗街街道|火车南站街道|簇桥街道"},
	{"420111", "湖北省", "武汉市", "洪山区", "珞南街道|关山街道|狮子山街道"},
	{"370102", "山东省", "济南市", "历下区", "泉城路街道|大明湖街道|千佛山街道"},
	{"430104", "湖南省", "长沙市", "岳麓区", "望月湖街道|岳麓街道|橘子洲街道"},
	{"320102", "江苏省", "南京市", "玄武区", "梅园新村街道|新街口街道|玄武门街道"},
	{"500103", "重庆市", "", "渝中区", "解放碑街道|朝天门街道|两路口街道"},
	{"450103", "广西壮族自治区", "南宁市", "青秀区", "新竹街道|中山街道|津头街道"},
	{"530102", "云南省", "昆明市", "五华区", "华山街道|护国街道|大观街道"},
	{"650102", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "燕儿窝街道|胜利路街道|团结路街道"},
}

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞红建国志强文斌海燕鹏辉玲俊峰婷雪梅晨宇浩然欣怡子涵梓轩佳琪思远博文家豪晓东春生振华德明")
	streets  = []rune("人民建设解放中山和平光明幸福朝阳胜利新华文化友谊")
	ethnics  = []string{"汉", "汉", "汉", "汉", "汉", "汉", "壮", "回", "满", "维吾尔", "苗", "彝", "土家", "藏", "蒙古", "侗", "布依", "瑶", "白", "朝鲜", "哈尼", "黎", "哈萨克", "傣"}
)

func (g *Generator) pick(s []rune) string { return string(s[g.rng.IntN(len(s))]) }

// Identity draws a random, valid identity.
func (g *Generator) Identity(v Variant) faceverify.IDCardResult {
	reg := regions[g.rng.IntN(len(regions))]
	birth := time.Date(1950+g.rng.IntN(55), time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
	seq := g.rng.IntN(1000)
	num := fmt.Sprintf("%s%s%03d", reg.code, birth.Format("20060102"), seq)
	num += string(residentid.CheckChar(num))
	gender := "女"
	if seq%2 == 1 {
		gender = "男"
	}
	name := g.pick(surnames) + g.pick(given)
	if g.rng.IntN(3) > 0 {
		name += g.pick(given)
	}
	towns := strings.Split(reg.towns, "|")
	addr := reg.province + reg.city + reg.county + towns[g.rng.IntN(len(towns))] +
		g.pick(streets) + g.pick(streets) + "路" + fmt.Sprint(1+g.rng.IntN(300)) + "号"
	issuer := reg.city + reg.county + "公安局"
	if reg.city == "" {
		issuer = reg.province[:len(reg.province)-len("市")] + "市公安局" + reg.county + "分局"
	}
	// Issued at 16+ years of age, between 2006 and last year; 10/20 years or long-term.
	age := g.now.Year() - birth.Year()
	startYear := g.now.Year() - 1 - g.rng.IntN(min(12, max(1, age-16)))
	start := time.Date(startYear, time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
	ageAt := start.Year() - birth.Year()
	end := ""
	switch {
	case ageAt >= 46:
		end = "长期"
	case ageAt >= 26:
		end = start.AddDate(20, 0, 0).Format("20060102")
	default:
		end = start.AddDate(10, 0, 0).Format("20060102")
	}
	if v == Expired {
		start = time.Date(g.now.Year()-11, time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
		end = start.AddDate(10, 0, 0).Format("20060102")
	} else if end != "长期" && end <= g.now.Format("20060102") {
		end = start.AddDate(20, 0, 0).Format("20060102")
	}
	return faceverify.IDCardResult{
		Name: name, Number: num, Gender: gender, Nationality: ethnics[g.rng.IntN(len(ethnics))],
		BirthYear: fmt.Sprint(birth.Year()), BirthMonth: fmt.Sprint(int(birth.Month())), BirthDay: fmt.Sprint(birth.Day()),
		Address: addr, IssuedBy: issuer, ValidDateStart: start.Format("20060102"), ValidDateEnd: end,
	}
}

// Card draws an identity and renders a genuine card.
func (g *Generator) Card() Card { return g.CardVariant(Genuine) }

// CardVariant draws an identity and renders the given variant.
func (g *Generator) CardVariant(v Variant) Card {
	id := g.Identity(v)
	c := Card{Identity: id, Front: g.RenderFront(id, v), Back: g.RenderBack(id)}
	switch v {
	case Photocopy:
		c.Front, c.Back = photocopy(c.Front), photocopy(c.Back)
	case Screen:
		c.Front, c.Back = g.screen(c.Front), g.screen(c.Back)
	}
	return c
}

func (g *Generator) face(f *sfnt.Font, px float64) font.Face {
	fc, _ := opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingNone})
	return fc
}

// text draws s with its left baseline at (x, y) (fractions of the card) and returns the
// advance in pixels.
func (g *Generator) text(dst *image.RGBA, f *sfnt.Font, px float64, col color.Color, x, y float64, s string) float64 {
	fc := g.face(f, px)
	defer fc.Close()
	d := &font.Drawer{Dst: dst, Src: image.NewUniform(col), Face: fc,
		Dot: fixed.P(int(x*W), int(y*H))}
	d.DrawString(s)
	return float64(d.Dot.X.Round()) - x*W
}

// background paints the light, coloured security print: a pale gradient and guilloche
// waves in two colours.
func (g *Generator) background(dst *image.RGBA, tintA, tintB [3]float64) {
	ph1, ph2 := g.rng.Float64()*6, g.rng.Float64()*6
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			fx, fy := float64(x)/W, float64(y)/H
			w1 := 0.5 + 0.5*math.Sin(fx*31+math.Sin(fy*9+ph1)*3)
			w2 := 0.5 + 0.5*math.Sin(fy*43+math.Sin(fx*7+ph2)*4)
			var c [3]float64
			for k := 0; k < 3; k++ {
				base := 236 - 10*fy
				c[k] = base - tintA[k]*w1*w1*w1 - tintB[k]*w2*w2*w2
			}
			i := y*dst.Stride + x*4
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(c[0]), uint8(c[1]), uint8(c[2]), 255
		}
	}
}

var (
	labelBlue = color.RGBA{40, 110, 170, 255}
	ink       = color.RGBA{22, 22, 26, 255}
)

// RenderFront draws the portrait side.
func (g *Generator) RenderFront(id faceverify.IDCardResult, v Variant) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	g.background(img, [3]float64{30, 12, 2}, [3]float64{4, 18, 26})
	ls, vs := 0.045*H, 0.058*H
	g.text(img, g.sans, ls, labelBlue, 0.085, 0.245, "姓  名")
	name := id.Name
	if v == Edited { // pasted: another font, bigger, shifted right and up
		g.text(img, g.ser, vs*1.15, ink, 0.235, 0.23, name)
	} else {
		g.text(img, g.sans, vs, ink, 0.20, 0.245, name)
	}
	g.text(img, g.sans, ls, labelBlue, 0.085, 0.355, "性  别")
	g.text(img, g.sans, vs, ink, 0.20, 0.355, id.Gender)
	g.text(img, g.sans, ls, labelBlue, 0.33, 0.355, "民  族")
	g.text(img, g.sans, vs, ink, 0.44, 0.355, id.Nationality)
	g.text(img, g.sans, ls, labelBlue, 0.085, 0.465, "出  生")
	x := 0.20
	x += g.text(img, g.sans, vs, ink, x, 0.465, id.BirthYear) / W
	x += g.text(img, g.sans, ls, labelBlue, x+0.012, 0.465, "年")/W + 0.024
	x += g.text(img, g.sans, vs, ink, x, 0.465, id.BirthMonth) / W
	x += g.text(img, g.sans, ls, labelBlue, x+0.012, 0.465, "月")/W + 0.024
	x += g.text(img, g.sans, vs, ink, x, 0.465, id.BirthDay) / W
	g.text(img, g.sans, ls, labelBlue, x+0.012, 0.465, "日")
	g.text(img, g.sans, ls, labelBlue, 0.085, 0.575, "住  址")
	addr := []rune(id.Address)
	for i := 0; len(addr) > 0 && i < 3; i++ {
		n := min(12, len(addr))
		g.text(img, g.sans, vs, ink, 0.20, 0.575+float64(i)*0.085, string(addr[:n]))
		addr = addr[n:]
	}
	g.text(img, g.sans, ls, labelBlue, 0.085, 0.865, "公民身份号码")
	g.text(img, g.ocrb, 0.066*H, ink, 0.33, 0.87, id.Number)
	g.text(img, g.sans, 0.03*H, color.RGBA{200, 60, 60, 255}, 0.02, 0.06, "样本 SPECIMEN · 测试专用")
	g.portrait(img)
	return img
}

// portrait pastes a face photo into the portrait area, lightened towards the card colour at
// its edges.
func (g *Generator) portrait(dst *image.RGBA) {
	r := image.Rect(571, 62, 832, 454) // 0.635–0.925 W, 0.11–0.80 H
	if len(g.faces) == 0 {
		return
	}
	f, err := os.Open(g.faces[g.rng.IntN(len(g.faces))])
	if err != nil {
		return
	}
	defer f.Close()
	src, err := jpeg.Decode(f)
	if err != nil {
		return
	}
	sb := src.Bounds()
	// LFW: the face sits in the centre; take a portrait-shaped crop around it.
	cw := sb.Dx() * 56 / 100
	ch := cw * r.Dy() / r.Dx()
	cx, cy := sb.Min.X+sb.Dx()/2, sb.Min.Y+sb.Dy()/2+sb.Dy()/20
	crop := image.Rect(cx-cw/2, cy-ch/2, cx+cw/2, cy+ch/2).Intersect(sb)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			sx := crop.Min.X + (x-r.Min.X)*crop.Dx()/r.Dx()
			sy := crop.Min.Y + (y-r.Min.Y)*crop.Dy()/r.Dy()
			cr, cg, cb, _ := src.At(sx, sy).RGBA()
			i := y*dst.Stride + x*4
			// fade the outer 6% into the card
			ex := math.Min(float64(x-r.Min.X), float64(r.Max.X-1-x)) / (0.06 * float64(r.Dx()))
			ey := math.Min(float64(y-r.Min.Y), float64(r.Max.Y-1-y)) / (0.06 * float64(r.Dy()))
			a := math.Min(1, math.Min(ex, ey))
			dst.Pix[i] = uint8(a*float64(cr>>8) + (1-a)*float64(dst.Pix[i]))
			dst.Pix[i+1] = uint8(a*float64(cg>>8) + (1-a)*float64(dst.Pix[i+1]))
			dst.Pix[i+2] = uint8(a*float64(cb>>8) + (1-a)*float64(dst.Pix[i+2]))
		}
	}
}

// RenderBack draws the emblem side.
func (g *Generator) RenderBack(id faceverify.IDCardResult) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	g.background(img, [3]float64{6, 16, 30}, [3]float64{24, 8, 18})
	// Emblem: a red disc with a golden ring and five stars.
	cx, cy, rad := 0.16*W, 0.27*H, 0.17*H
	for y := int(cy - rad); y <= int(cy+rad); y++ {
		for x := int(cx - rad); x <= int(cx+rad); x++ {
			d := math.Hypot(float64(x)-cx, float64(y)-cy)
			i := y*img.Stride + x*4
			switch {
			case d <= rad*0.8:
				img.Pix[i], img.Pix[i+1], img.Pix[i+2] = 200, 30, 30
			case d <= rad:
				img.Pix[i], img.Pix[i+1], img.Pix[i+2] = 225, 180, 40
			}
		}
	}
	g.text(img, g.sans, 0.12*H, color.RGBA{235, 200, 50, 255}, 0.115, 0.31, "★")
	g.text(img, g.ser, 0.085*H, ink, 0.36, 0.22, "中华人民共和国")
	g.text(img, g.ser, 0.125*H, ink, 0.33, 0.42, "居民身份证")
	ls, vs := 0.045*H, 0.052*H
	g.text(img, g.sans, ls, ink, 0.22, 0.755, "签发机关")
	g.text(img, g.sans, vs, ink, 0.385, 0.755, id.IssuedBy)
	g.text(img, g.sans, ls, ink, 0.22, 0.875, "有效期限")
	end := id.ValidDateEnd
	if end != "长期" {
		end = end[:4] + "." + end[4:6] + "." + end[6:]
	}
	s := id.ValidDateStart
	g.text(img, g.sans, vs, ink, 0.385, 0.875, s[:4]+"."+s[4:6]+"."+s[6:]+"-"+end)
	g.text(img, g.sans, 0.03*H, color.RGBA{200, 60, 60, 255}, 0.02, 0.06, "样本 SPECIMEN · 测试专用")
	return img
}

// photocopy turns a card grey with crushed contrast and toner speckle.
func photocopy(src *image.RGBA) *image.RGBA {
	out := image.NewRGBA(src.Rect)
	for i := 0; i < len(src.Pix); i += 4 {
		l := 0.299*float64(src.Pix[i]) + 0.587*float64(src.Pix[i+1]) + 0.114*float64(src.Pix[i+2])
		l = clamp((l-40)*1.25, 0, 255)
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(l), uint8(l), uint8(l), 255
	}
	return out
}

// screen imitates a photo of the card on a display: the RGB sub-pixel grid of a 3-px pitch
// display, a beat (moiré) pattern and faint refresh bands.
func (g *Generator) screen(src *image.RGBA) *image.RGBA {
	out := image.NewRGBA(src.Rect)
	ph := g.rng.Float64() * 6
	ang := 0.05 + 0.1*g.rng.Float64()
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			i := y*src.Stride + x*4
			u := float64(x)*math.Cos(ang) + float64(y)*math.Sin(ang)
			moire := 0.93 + 0.07*math.Sin(u*2*math.Pi/7.3+ph)
			band := 0.96 + 0.04*math.Sin(float64(y)*2*math.Pi/41)
			for c := 0; c < 3; c++ {
				sub := 0.88
				if x%3 == c {
					sub = 1.2
				}
				out.Pix[i+c] = uint8(clamp(float64(src.Pix[i+c])*moire*band*sub, 0, 255))
			}
			out.Pix[i+3] = 255
		}
	}
	return out
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// PhotoOptions shape the simulated camera shot.
type PhotoOptions struct {
	Scale       float64 // card width / photo width (0 = random 0.6–0.85)
	MaxRotate   float64 // degrees (default 8)
	Perspective float64 // corner jitter, fraction of the card (default 0.03)
	Blur        int     // box blur radius in photo pixels (default random 0–1)
	Glare       bool
	Quality     int // JPEG quality (0 = random 60–90)
}

// Photo places a card side on a background like a phone photo and returns it as JPEG.
func (g *Generator) Photo(card *image.RGBA) []byte {
	return g.PhotoWith(card, PhotoOptions{Glare: g.rng.IntN(3) == 0})
}

// PhotoWith is Photo with explicit options.
func (g *Generator) PhotoWith(card *image.RGBA, o PhotoOptions) []byte {
	if o.Scale == 0 {
		o.Scale = 0.6 + 0.25*g.rng.Float64()
	}
	if o.MaxRotate == 0 {
		o.MaxRotate = 8
	}
	if o.Perspective == 0 {
		o.Perspective = 0.03
	}
	if o.Blur == 0 {
		o.Blur = g.rng.IntN(2)
	}
	if o.Quality == 0 {
		o.Quality = 60 + g.rng.IntN(31)
	}
	pw := int(float64(W) / o.Scale)
	ph := pw * 3 / 4
	dst := image.NewRGBA(image.Rect(0, 0, pw, ph))
	// Background: a dark desk colour with a soft gradient and sensor noise.
	base := [3]float64{40 + 60*g.rng.Float64(), 40 + 50*g.rng.Float64(), 35 + 40*g.rng.Float64()}
	for y := 0; y < ph; y++ {
		for x := 0; x < pw; x++ {
			i := y*dst.Stride + x*4
			f := 0.8 + 0.4*float64(x+y)/float64(pw+ph)
			for c := 0; c < 3; c++ {
				dst.Pix[i+c] = uint8(clamp(base[c]*f+g.rng.NormFloat64()*3, 0, 255))
			}
			dst.Pix[i+3] = 255
		}
	}
	// Card corners: centred, rotated, each corner jittered (perspective).
	th := (g.rng.Float64()*2 - 1) * o.MaxRotate * math.Pi / 180
	cx, cy := float64(pw)/2+(g.rng.Float64()-0.5)*0.1*float64(pw), float64(ph)/2+(g.rng.Float64()-0.5)*0.1*float64(ph)
	var q [4][2]float64
	for k, c := range [4][2]float64{{-W / 2, -H / 2}, {W / 2, -H / 2}, {W / 2, H / 2}, {-W / 2, H / 2}} {
		jx := (g.rng.Float64()*2 - 1) * o.Perspective * W
		jy := (g.rng.Float64()*2 - 1) * o.Perspective * H
		x, y := c[0]+jx, c[1]+jy
		q[k] = [2]float64{cx + x*math.Cos(th) - y*math.Sin(th), cy + x*math.Sin(th) + y*math.Cos(th)}
	}
	hm := homography(q)
	// Inverse map: for each photo pixel, find the card pixel (card → photo homography inverted).
	inv := invert3(hm)
	var gx, gy, gr float64
	if o.Glare {
		gx, gy, gr = cx+(g.rng.Float64()-0.5)*W*0.6, cy+(g.rng.Float64()-0.5)*H*0.5, H*(0.15+0.2*g.rng.Float64())
	}
	for y := 0; y < ph; y++ {
		for x := 0; x < pw; x++ {
			u, v, ok := onCard(inv, x, y)
			if !ok {
				continue
			}
			i := y*dst.Stride + x*4
			gl := 0.0
			if gr > 0 {
				X, Y := float64(x)+0.5, float64(y)+0.5
				gl = 150 * math.Exp(-(math.Pow(X-gx, 2)+math.Pow(Y-gy, 2))/(2*gr*gr))
			}
			p := geom.Bilinear(card, u, v)
			for c := 0; c < 3; c++ {
				dst.Pix[i+c] = uint8(clamp(p[c]+gl, 0, 255))
			}
		}
	}
	if o.Blur > 0 {
		dst = boxBlur(dst, o.Blur)
	}
	return EncodeJPEG(dst, o.Quality)
}

// NonCard renders a photo that is not an ID card: a face photo (or a gradient) with a line of
// unrelated text, as JPEG.
func (g *Generator) NonCard() []byte {
	dst := image.NewRGBA(image.Rect(0, 0, 800, 600))
	draw.Draw(dst, dst.Rect, image.NewUniform(color.RGBA{120, 150, 170, 255}), image.Point{}, draw.Src)
	if len(g.faces) > 0 {
		if f, err := os.Open(g.faces[g.rng.IntN(len(g.faces))]); err == nil {
			if src, err := jpeg.Decode(f); err == nil {
				draw.Draw(dst, image.Rect(275, 80, 525, 330), src, src.Bounds().Min, draw.Src)
			}
			f.Close()
		}
	}
	g.textAt(dst, "今天天气很好，我们去公园散步。", 60, 450, 40)
	return EncodeJPEG(dst, 85)
}

func (g *Generator) textAt(dst *image.RGBA, s string, x, y int, px float64) {
	fc := g.face(g.sans, px)
	defer fc.Close()
	d := &font.Drawer{Dst: dst, Src: image.NewUniform(ink), Face: fc, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// Blank returns a plain grey JPEG.
func Blank(w, h int) []byte {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, image.NewUniform(color.RGBA{128, 128, 128, 255}), image.Point{}, draw.Src)
	return EncodeJPEG(dst, 90)
}

// EncodeJPEG encodes a rendered side at JPEG quality q (tests that want a clean card image
// take 95).
func EncodeJPEG(img image.Image, q int) []byte { return geom.EncodeJPEG(img, q) }

func boxBlur(src *image.RGBA, r int) *image.RGBA {
	tmp := image.NewRGBA(src.Rect)
	out := image.NewRGBA(src.Rect)
	blurPass(tmp, src, r, 1, 0)
	blurPass(out, tmp, r, 0, 1)
	return out
}

// blurPass sets every pixel of dst to the mean colour (opaque) of the pixels of src at most
// r away along (dx, dy): (1, 0) a row, (0, 1) a column.
func blurPass(dst, src *image.RGBA, r, dx, dy int) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]int
			n := 0
			for k := -r; k <= r; k++ {
				kx, ky := x+k*dx, y+k*dy
				if kx < 0 || ky < 0 || kx >= w || ky >= h {
					continue
				}
				for c := 0; c < 3; c++ {
					s[c] += int(src.Pix[ky*src.Stride+kx*4+c])
				}
				n++
			}
			for c := 0; c < 3; c++ {
				dst.Pix[y*dst.Stride+x*4+c] = uint8(s[c] / n)
			}
			dst.Pix[y*dst.Stride+x*4+3] = 255
		}
	}
}

// homography maps card pixel (u,v) to photo coordinates for corners q of (0,0),(W,0),(W,H),(0,H).
func homography(q [4][2]float64) [9]float64 { return geom.Homography(q, W, H) }

// onCard maps the photo pixel (x, y) through inv (photo → card) onto the card: ok is false
// where it falls outside the card or its rounded corners (3 mm).
func onCard(inv [9]float64, x, y int) (u, v float64, ok bool) {
	u, v = geom.Project(inv, x, y)
	if u < 0 || v < 0 || u > W-1 || v > H-1 {
		return u, v, false
	}
	const rc = 0.035 * W
	ex, ey := math.Max(0, math.Max(rc-u, u-(W-1-rc))), math.Max(0, math.Max(rc-v, v-(H-1-rc)))
	return u, v, math.Hypot(ex, ey) <= rc
}

func invert3(m [9]float64) [9]float64 {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	det := a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	return [9]float64{
		(e*i - f*h) / det, (c*h - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*h - e*g) / det, (b*g - a*h) / det, (a*e - b*d) / det,
	}
}
