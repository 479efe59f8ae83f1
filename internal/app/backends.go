package app

// Back ends: which database and blob store a spec names. sqlite: and file: are the
// embedded single-machine defaults; postgres:// and s3:// let several API nodes and
// workers share one database and one object store (docs/deploy.md).

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/blob/fs"
	"github.com/faceverify/faceverify/blob/s3"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/postgres"
	"github.com/faceverify/faceverify/store/sqlite"
	"github.com/faceverify/faceverify/store/sqlstore"
)

// OpenStore opens the database named by spec: sqlite:PATH or postgres://… (postgresql://
// too). PostgreSQL migrations are applied at open unless the DSN has migrate=false. The
// store reports what it works around on log.
func OpenStore(spec string, box *seal.Box, clock faceverify.Clock, log *slog.Logger) (faceverify.Store, error) {
	switch {
	case strings.HasPrefix(spec, "sqlite:"):
		path := strings.TrimPrefix(spec, "sqlite:")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		return sqlite.Open(path, box, clock, sqlstore.WithLogger(log))
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return postgres.Open(ctx, spec, box, clock, sqlstore.WithLogger(log))
	}
	return nil, fmt.Errorf("database %q: unsupported (use sqlite:PATH or postgres://…)", redactSpec(spec))
}

// OpenBlobs opens the blob store named by spec: file:DIR or s3://bucket?endpoint=….
func OpenBlobs(spec string, box *seal.Box) (faceverify.BlobStore, error) {
	switch {
	case strings.HasPrefix(spec, "file:"):
		return fs.Open(strings.TrimPrefix(spec, "file:"), box)
	case strings.HasPrefix(spec, "s3://"):
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return s3.OpenSpec(ctx, spec, box)
	}
	return nil, fmt.Errorf("blob store %q: unsupported (use file:DIR or s3://bucket?endpoint=…)", redactSpec(spec))
}

// Presigner is implemented by blob stores that can hand out time-limited GET URLs served
// by the object store itself (blob/s3). Others serve pictures through the service.
type Presigner interface {
	Presign(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// redactSpec keeps credentials out of error messages and logs.
func redactSpec(spec string) string {
	if i := strings.Index(spec, "://"); i >= 0 {
		if j := strings.IndexByte(spec[i+3:], '@'); j >= 0 {
			spec = spec[:i+3] + "REDACTED" + spec[i+3+j:]
		}
	}
	return s3.Redact(spec)
}
