// Package admin implements the operator commands (`faceverify admin …`): tenants, the
// embedded identity registry, callbacks and erasure. It works on the same store the
// server uses, through the use cases where there is one.
package admin

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/internal/app"
	"github.com/faceverify/faceverify/verify"
)

// Run dispatches `admin <group> <verb> [flags]`.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return errors.New(usage)
	}
	cmd := args[0] + " " + args[1]
	fs := flag.NewFlagSet("admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config.Flags(fs, getenv)
	var (
		name, number, photo, id, token, kind, state string
		digitLang                                   string
		quota                                       int64
		disable, enable, lipSyncOff, lipSyncOn      bool
		disableKey, enableKey                       bool
		concurrency                                 int
		jobID                                       int64
		csvFile, photos, stateFile, reg             string
		restart                                     bool
		workers                                     int
	)
	fs.StringVar(&name, "name", "", "name")
	fs.StringVar(&number, "idcard-number", "", "ID card number")
	fs.StringVar(&number, "number", "", "ID card number (same as --idcard-number)")
	fs.StringVar(&csvFile, "csv", "", "registry import: CSV file with the header name,idcard_number,photo")
	fs.StringVar(&photos, "photos", "", "registry import: folder the photo column is relative to (default: the CSV's folder)")
	fs.StringVar(&stateFile, "import-state", "", "registry import: state file for resuming (default CSV.import-state)")
	fs.BoolVar(&restart, "restart", false, "registry import: start from the first row, ignoring the state file")
	fs.IntVar(&workers, "import-workers", 2, "registry import: rows enrolled concurrently")
	fs.StringVar(&reg, "registry", "", "app update: identity registry of the tenant (embedded, a name from --registries, or default)")
	fs.StringVar(&photo, "photo", "", "photo file")
	fs.StringVar(&id, "id", "", "tenant id")
	fs.StringVar(&token, "token", "", "biz_token / CertifyId")
	fs.StringVar(&kind, "kind", "notify", "job kind")
	fs.StringVar(&state, "state", "", "job state filter (queued, running, done, failed)")
	fs.Int64Var(&quota, "quota", -1, "verifications allowed (-1 = unlimited)")
	fs.BoolVar(&disable, "disable", false, "disable the tenant")
	fs.BoolVar(&enable, "enable", false, "enable the tenant")
	fs.BoolVar(&disableKey, "disable-key", false, "discontinue the tenant's API keys (new sessions refused)")
	fs.BoolVar(&enableKey, "enable-key", false, "enable the tenant's API keys again")
	fs.BoolVar(&lipSyncOff, "lip-sync-off", false, "turn the lip-voice sync check off for the tenant (operator-visible)")
	fs.BoolVar(&lipSyncOn, "lip-sync-on", false, "turn the lip-voice sync check back on")
	fs.StringVar(&digitLang, "digit-lang", "", "narrow the tenant's spoken digits to en or zh (both = back to either language)")
	fs.Int64Var(&jobID, "job", 0, "job id")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	// --concurrency is the config flag (server default); for app create/update it is the
	// tenant's own limit, 0 = server default unless given
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "concurrency" {
			concurrency = cfg.Concurrency
		}
	})
	if err := cfg.Validate(); err != nil {
		return err
	}
	needEngine := cmd == "registry add" || cmd == "registry import"
	a, err := app.Build(ctx, cfg, app.Logger(cfg, os.Stderr), app.Options{Engine: needEngine})
	if err != nil {
		return err
	}
	defer a.Close()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	switch cmd {
	case "app create":
		if name == "" {
			return errors.New("admin app create: --name is required")
		}
		t := NewTenant(name, quota)
		t.Concurrency = concurrency
		if err := a.Store.CreateTenant(ctx, t); err != nil {
			return err
		}
		return enc.Encode(struct {
			AppCode         string `json:"app_code"`
			AccessKeyID     string `json:"access_key_id"`
			AccessKeySecret string `json:"access_key_secret"`
			SceneID         string `json:"scene_id"`
			NotifySecret    string `json:"notify_secret"`
			ID              string `json:"id"`
		}{t.AppCode, t.AccessKeyID, t.AccessKeySecret, t.SceneID, t.NotifySecret, t.ID})
	case "app list":
		ts, err := a.Store.Tenants(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if err := enc.Encode(map[string]any{"id": t.ID, "name": t.Name, "app_code": t.AppCode, "access_key_id": t.AccessKeyID,
				"scene_id": t.SceneID, "disabled": t.Disabled, "quota": t.Quota, "used": t.Used, "concurrency": t.Concurrency, "checks": checksOut(t.Checks),
				"registry": a.Registries.NameFor(t)}); err != nil {
				return err
			}
		}
		return nil
	case "app update":
		// the same use case as the console's tenants page (verify.ChangeTenant)
		var ch verify.TenantChange
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "quota":
				ch.Quota = &quota
			case "concurrency":
				ch.Concurrency = &concurrency
			}
		})
		ch.Disabled = switchTo(disable, enable)
		ch.KeyDisabled = switchTo(disableKey, enableKey)
		ch.LipSyncOff = switchTo(lipSyncOff, lipSyncOn)
		if reg != "" {
			if reg == "default" {
				reg = ""
			}
			if !a.Registries.Known(reg) {
				return fmt.Errorf("admin app update --registry %q: not configured (known: %s)", reg, strings.Join(a.Registries.Names(), ", "))
			}
			ch.Registry = &reg
		}
		switch digitLang {
		case "":
		case "both", "any":
			none := ""
			ch.DigitLanguage = &none
		case "en", "zh":
			ch.DigitLanguage = &digitLang
		default:
			return fmt.Errorf("admin app update: --digit-lang %q: want en, zh or both", digitLang)
		}
		t, err := a.Service.ChangeTenant(ctx, id, ch)
		if err != nil {
			return fmt.Errorf("admin app update --id %q: %w", id, err)
		}
		return enc.Encode(map[string]any{"id": t.ID, "disabled": t.Disabled, "key_disabled": t.KeyDisabled, "quota": t.Quota, "concurrency": t.Concurrency, "checks": checksOut(t.Checks),
			"registry": a.Registries.NameFor(t)})
	case "app rotate-keys":
		c, err := a.Service.RotateKeys(ctx, id)
		if err != nil {
			return fmt.Errorf("admin app rotate-keys --id %q: %w", id, err)
		}
		return enc.Encode(c)
	case "user create", "audit list":
		return runConsole(ctx, a, cmd, name, token, id, enc)
	case "registry add":
		if photo == "" {
			return errors.New("admin registry add: --photo is required")
		}
		data, err := os.ReadFile(photo)
		if err != nil {
			return err
		}
		if err := a.Service.Enrol(ctx, name, strings.ToUpper(number), data); err != nil {
			return err
		}
		return enc.Encode(map[string]any{"enrolled": true})
	case "registry import":
		return importRegistry(ctx, a, csvFile, photos, stateFile, restart, workers, stdout, stderr)
	case "registry delete":
		if err := a.Service.DeleteRegistryEntry(ctx, strings.ToUpper(strings.TrimSpace(number))); err != nil {
			return err
		}
		return enc.Encode(map[string]any{"deleted": true})
	case "callbacks list":
		js, err := a.Store.Jobs(ctx, kind, state, 100)
		if err != nil {
			return err
		}
		for _, j := range js {
			atts, err := a.Store.JobAttempts(ctx, j.ID)
			if err != nil {
				return fmt.Errorf("admin callbacks list: job %d: %w", j.ID, err)
			}
			var history []attemptOut // null when the job has not run yet, as before
			for _, at := range atts {
				history = append(history, attemptOut(at))
			}
			if err := enc.Encode(map[string]any{"job": j.ID, "kind": j.Kind, "state": j.State, "attempts": j.Attempt,
				"next_run": j.RunAt.UTC().Format(time.RFC3339), "last_error": j.LastError, "history": history}); err != nil {
				return err
			}
		}
		return nil
	case "callbacks retry":
		if err := a.Store.RetryJob(ctx, jobID); err != nil {
			return err
		}
		return enc.Encode(map[string]any{"job": jobID, "state": faceverify.JobQueued})
	case "session delete":
		if err := a.Service.Delete(ctx, nil, "", token); err != nil {
			return err
		}
		return enc.Encode(map[string]any{"deleted": true})
	}
	return errors.New(usage)
}

const usage = `usage: faceverify admin <command> [flags]
  app create --name NAME [--quota N] [--concurrency N]
  app list
  app update --id ID [--disable|--enable] [--quota N] [--concurrency N] [--lip-sync-off|--lip-sync-on] [--digit-lang en|zh|both]
  app update --id ID [--disable-key|--enable-key]
  app update --id ID --registry NAME|embedded|default
  app rotate-keys --id ID                  new APPCODE and AccessKey pair, printed once
  registry add --name NAME --idcard-number NUMBER --photo FILE
  registry import --csv FILE [--photos DIR] [--import-state FILE] [--restart] [--import-workers N]
  registry delete --number NUMBER
  callbacks list [--kind notify] [--state failed]
  callbacks retry --job ID
  session delete --token TOKEN
  user create --name NAME [--id TENANT]    console operator (--id: sees only that tenant); password from stdin, or generated and printed once
  audit list [--token TARGET]              the console's audit log, newest first
common flags: --data DIR (or FACEVERIFY_DATA), --database, --blob, --keys`

// checksOut is how the CLI prints a tenant's checks (the domain type carries no JSON names).
type checksOut struct {
	LipSyncOff    bool   `json:"lip_sync_off,omitempty"`
	DigitLanguage string `json:"digit_language,omitempty"`
}

// attemptOut is how `callbacks list` prints one try of a job.
type attemptOut struct {
	JobID    int64         `json:"job_id"`
	Attempt  int           `json:"attempt"`
	At       time.Time     `json:"at"`
	Error    string        `json:"error,omitempty"`
	Detail   string        `json:"detail,omitempty"`
	Duration time.Duration `json:"duration"`
}

// switchTo is the value a pair of opposite flags sets (--disable/--enable and the like):
// true when set was given, false when unset was, nil (unchanged) when neither.
func switchTo(set, unset bool) *bool {
	var v bool
	switch {
	case set:
		v = true
	case !unset:
		return nil
	}
	return &v
}

// NewTenant returns a tenant with fresh random credentials.
func NewTenant(name string, quota int64) *faceverify.Tenant {
	scene, _ := rand.Int(rand.Reader, big.NewInt(9_000_000_000))
	c := verify.NewCredentials()
	return &faceverify.Tenant{
		ID: verify.RandHex(8), Name: name, AppCode: c.AppCode, AccessKeyID: c.AccessKeyID,
		AccessKeySecret: c.AccessKeySecret, SceneID: fmt.Sprint(1_000_000_000 + scene.Int64()), NotifySecret: verify.RandHex(16),
		Quota: quota,
	}
}
