package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"

	"github.com/faceverify/faceverify/idcard"
	"github.com/faceverify/faceverify/internal/app"
	"github.com/faceverify/faceverify/registry"
)

// importRegistry runs `admin registry import`: refused rows as JSON lines on stdout,
// progress on stderr, and the summary as the last stdout line (also when it stops early).
func importRegistry(ctx context.Context, a *app.App, csvFile, photos, state string, restart bool, workers int, stdout, stderr io.Writer) error {
	if csvFile == "" {
		return errors.New("admin registry import: --csv is required")
	}
	if photos == "" {
		photos = filepath.Dir(csvFile)
	}
	im := &registry.Importer{
		CSV: csvFile, Photos: photos, State: state, Restart: restart, Workers: workers,
		Enrol:    a.Service.Enrol,
		Validate: idcard.ValidateNumber,
		Progress: stderr, Refusals: stdout,
	}
	sum, err := im.Run(ctx)
	if sum != nil {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.Encode(sum)
	}
	return err
}
