package app

// Back ends: which database and blob store a spec names. (Owned by the scale-out work:
// postgres:// and s3:// are added here.)

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/blob/fs"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlite"
)

// OpenStore opens the database named by spec.
func OpenStore(spec string, box *seal.Box, clock faceverify.Clock) (faceverify.Store, error) {
	switch {
	case strings.HasPrefix(spec, "sqlite:"):
		path := strings.TrimPrefix(spec, "sqlite:")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		return sqlite.Open(path, box, clock)
	}
	return nil, fmt.Errorf("database %q: unsupported (use sqlite:PATH)", spec)
}

// OpenBlobs opens the blob store named by spec.
func OpenBlobs(spec string, box *seal.Box) (faceverify.BlobStore, error) {
	switch {
	case strings.HasPrefix(spec, "file:"):
		return fs.Open(strings.TrimPrefix(spec, "file:"), box)
	}
	return nil, fmt.Errorf("blob store %q: unsupported (use file:DIR)", spec)
}
