// Command faceverify is the whole service in one binary: `serve` (API + page + in-process
// workers), `worker`, `migrate`, `admin`, and the model tools `compare`, `antispoof`,
// `liveness`, `idcard`, `bench`. main only parses the command line and wires packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/idcard"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/app"
	"github.com/faceverify/faceverify/internal/loadgen"
	"github.com/faceverify/faceverify/pipeline"
	"github.com/faceverify/faceverify/vision"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "faceverify:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: faceverify <command> [flags]
  serve      API, page and in-process workers (--addr, --data, --workers …)
  worker     job workers only (verdicts, callbacks)
  migrate    apply database migrations and exit
  admin      tenants, registry, callbacks, erasure (faceverify admin help)
  compare    compare faces: compare A.jpg B.jpg | compare --pairs pairs.txt --root DIR
  antispoof  passive anti-spoof score of images, or --eval over a dataset
  calibrate  refit the similarity → score table on labelled pairs (docs/calibration.md)
  liveness   check a video: liveness --video FILE --digits 4821 [--ref PHOTO]
  idcard     read an ID card: idcard --front F [--back B]
  bench      load generators: bench tokens [--n N] [--c 32] | bench verdicts [--clips DIR] [--c N]
Every flag has an env fallback FACEVERIFY_<FLAG>; see docs/config.md.`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve", "worker", "migrate":
		return runService(ctx, cmd, rest, getenv, stderr)
	case "admin":
		return admin.Run(ctx, rest, getenv, stdout, stderr)
	case "compare":
		return vision.RunCompare(rest, stdout)
	case "antispoof":
		return vision.RunAntispoof(rest, stdout)
	case "calibrate":
		return vision.RunCalibrate(rest, stdout)
	case "liveness":
		return pipeline.RunLiveness(rest, stdout)
	case "idcard":
		return idcard.RunIDCard(rest, stdout)
	case "bench":
		if len(rest) > 0 && rest[0] == "verdicts" {
			return pipeline.RunBenchVerdicts(ctx, rest[1:], stdout)
		}
		return loadgen.Run(ctx, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func runService(ctx context.Context, cmd string, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := config.Parse(fs, args, getenv)
	if err != nil {
		return err
	}
	log := app.Logger(cfg, os.Stderr)
	a, err := app.Build(ctx, cfg, log, app.Options{Engine: cmd != "migrate"})
	if err != nil {
		return err
	}
	defer a.Close()
	switch cmd {
	case "migrate":
		log.Info("migrations applied", "database", cfg.Database)
		return nil
	case "worker":
		if cfg.Workers == 0 {
			return errors.New("worker: --workers must be at least 1")
		}
		a.RunWorkers(ctx)
		return nil
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return a.Serve(ctx, ln)
}
