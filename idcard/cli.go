package idcard

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/vision"
)

// CLIResult is the JSON printed by RunIDCard: the idcard_result object of
// faceid-lite-h5.txt plus the result of each side (empty when the side was read fine).
type CLIResult struct {
	IDCardResult  cliFields          `json:"idcard_result"`
	FrontResult   *faceverify.Result `json:"front_result,omitempty"`
	BackResult    *faceverify.Result `json:"back_result,omitempty"`
	NumberIsValid bool               `json:"idcard_number_valid"`
}

type cliFields struct {
	Name                  string               `json:"name"`
	Number                string               `json:"idcard_number"`
	Gender                string               `json:"gender"`
	Nationality           string               `json:"nationality"`
	BirthYear             string               `json:"birth_year"`
	BirthMonth            string               `json:"birth_month"`
	BirthDay              string               `json:"birth_day"`
	Address               string               `json:"address"`
	IssuedBy              string               `json:"issued_by"`
	ValidDateStart        string               `json:"valid_date_start"`
	ValidDateEnd          string               `json:"valid_date_end"`
	FrontsideLegality     *faceverify.Legality `json:"frontside_legality,omitempty"`
	BacksideLegality      *faceverify.Legality `json:"backside_legality,omitempty"`
	FrontsideCompleteness int                  `json:"frontside_completeness"`
	BacksideCompleteness  int                  `json:"backside_completeness"`
	ImagePortrait         string               `json:"image_portrait,omitempty"`
}

// RunIDCard is `faceverify idcard --front F [--back B] [--models DIR] [--ort LIB]
// [--tessdata DIR] [--ocr-models DIR] [--engine ppocr|tesseract] [--threshold 0.8]`: it reads the given sides and prints the idcard_result
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
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *front == "" && *back == "" {
		return errors.New("idcard: give --front and/or --back")
	}
	cfg := Config{TessdataDir: *tessdata, Workers: 1, Engine: *engine, OCRModelDir: *ocrModels, ORTLib: *ort}
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
	var out CLIResult
	f := &out.IDCardResult
	ctx := context.Background()
	if *front != "" {
		data, err := os.ReadFile(*front)
		if err != nil {
			return err
		}
		o, err := r.Read(ctx, Front, data, *threshold)
		if err != nil {
			return err
		}
		x := o.Fields
		f.Name, f.Number, f.Gender, f.Nationality = x.Name, x.Number, x.Gender, x.Nationality
		f.BirthYear, f.BirthMonth, f.BirthDay, f.Address = x.BirthYear, x.BirthMonth, x.BirthDay, x.Address
		f.FrontsideLegality, f.FrontsideCompleteness = x.FrontLegality, x.FrontCompleteness
		if len(o.Portrait) > 0 {
			f.ImagePortrait = base64.StdEncoding.EncodeToString(o.Portrait)
		}
		if res := o.Result; !res.IsZero() {
			out.FrontResult = &res
		}
		out.NumberIsValid = ValidateNumber(x.Number) == nil
	}
	if *back != "" {
		data, err := os.ReadFile(*back)
		if err != nil {
			return err
		}
		o, err := r.Read(ctx, Back, data, *threshold)
		if err != nil {
			return err
		}
		f.IssuedBy, f.ValidDateStart, f.ValidDateEnd = o.Fields.IssuedBy, o.Fields.ValidDateStart, o.Fields.ValidDateEnd
		f.BacksideLegality, f.BacksideCompleteness = o.Fields.BackLegality, o.Fields.BackCompleteness
		if res := o.Result; !res.IsZero() {
			out.BackResult = &res
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("idcard: %w", err)
	}
	return nil
}
