package idcard

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/lite"
	"github.com/faceverify/faceverify/vision"
)

// CLIResult is the JSON printed by RunIDCard: the idcard_result object of
// faceid-lite-h5.txt plus the result of each side (empty when the side was read fine).
type CLIResult struct {
	IDCardResult  *lite.IDCardResult `json:"idcard_result"`
	FrontResult   *CLISideResult     `json:"front_result,omitempty"`
	BackResult    *CLISideResult     `json:"back_result,omitempty"`
	NumberIsValid bool               `json:"idcard_number_valid"`
}

// CLISideResult is the result of reading one side, in Lite's words.
type CLISideResult struct {
	Code    int    `json:"result_code"`
	Message string `json:"result_message"`
}

func cliSideResult(r *faceverify.Result) *CLISideResult {
	if r == nil {
		return nil
	}
	return &CLISideResult{Code: r.Code, Message: r.Message}
}

// RunIDCard is `faceverify idcard --front F [--back B] [--models DIR] [--ort LIB]
// [--tessdata DIR] [--ocr-models DIR] [--engine ppocr|tesseract] [--threshold 0.8] [--trace]`: it reads the given sides and prints the idcard_result
// JSON (image_portrait base64). Without --models the portrait face check is skipped.
func RunIDCard(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("idcard", flag.ContinueOnError)
	front := fs.String("front", "", "photo of the portrait side (JPEG/PNG/WebP)")
	back := fs.String("back", "", "photo of the emblem side")
	models := fs.String("models", "", "face model directory (enables the portrait face check)")
	ort := fs.String("ort", "", "ONNX Runtime library (default: vision.DefaultORTLib())")
	tessdata := fs.String("tessdata", "", "tessdata directory (default: tesseract's)")
	ocrModels := fs.String("ocr-models", "", "PP-OCR model directory (default: DefaultOCRModelDir())")
	engine := fs.String("engine", "", "OCR engine: ppocr | tesseract (default: ppocr when its models are present)")
	threshold := fs.Float64("threshold", DefaultThreshold, "idcard_threshold on ID_Photo legality")
	trace := fs.Bool("trace", false, "print every text line the PP-OCR reader finds to stderr (box, text, doubtful characters)")
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *front == "" && *back == "" {
		return errors.New("idcard: give --front and/or --back")
	}
	cfg := Config{TessdataDir: *tessdata, Workers: 1, Engine: *engine, OCRModelDir: *ocrModels, ORTLib: *ort}
	if *trace {
		cfg.Trace = os.Stderr
	}
	if *models != "" {
		lib := *ort
		if lib == "" {
			lib = vision.DefaultORTLib()
		}
		eng, err := vision.Open(vision.Config{ModelDir: *models, LibPath: lib, Threads: 1})
		if err != nil {
			return err
		}
		defer eng.Close()
		cfg.Vision = eng
	}
	r, err := Open(cfg)
	if err != nil {
		return err
	}
	defer r.Close()
	var (
		out      CLIResult
		fields   faceverify.IDCardResult
		portrait []byte
	)
	read := func(path string, side Side) (*Outcome, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return r.Read(context.Background(), side, data, *threshold)
	}
	if *front != "" {
		o, err := read(*front, Front)
		if err != nil {
			return err
		}
		fields.Merge("front", o.Fields)
		portrait = o.Portrait
		if res := o.Result; !res.IsZero() {
			out.FrontResult = cliSideResult(&res)
		}
		out.NumberIsValid = ValidateNumber(o.Fields.Number) == nil
	}
	if *back != "" {
		o, err := read(*back, Back)
		if err != nil {
			return err
		}
		fields.Merge("back", o.Fields)
		if res := o.Result; !res.IsZero() {
			out.BackResult = cliSideResult(&res)
		}
	}
	out.IDCardResult = lite.RenderIDCard(&fields, portrait)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("idcard: %w", err)
	}
	return nil
}
