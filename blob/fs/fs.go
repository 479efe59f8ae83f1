// Package fs implements faceverify.BlobStore on a local directory. Every object is sealed
// (AES-GCM, package seal) with its key as associated data, so images and videos are
// encrypted at rest and cannot be swapped between keys. Writes are atomic (temp + rename).
// It must not know what the blobs mean.
package fs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
)

// Store keeps blobs under Dir.
type Store struct {
	dir string
	box *seal.Box
}

var _ faceverify.BlobStore = (*Store)(nil)

// Open returns a store rooted at dir (created if needed).
func Open(dir string, box *seal.Box) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{dir: dir, box: box}, nil
}

// ValidKey reports whether key is a safe relative object name.
func ValidKey(key string) bool {
	if key == "" || len(key) > 512 || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") {
		return false
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}

func (s *Store) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", faceverify.Errorf(faceverify.EINVALID, "invalid blob key")
	}
	return filepath.Join(s.dir, filepath.FromSlash(key)), nil
}

// Put stores data under key.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	return s.write(key, func(f *os.File) error {
		_, err := f.Write(s.box.Seal(data, []byte(key)))
		return err
	})
}

// PutFile stores the contents of r under key, sealed chunk by chunk on the way to disk
// (seal.SealStream): memory stays at one chunk whatever the size.
func (s *Store) PutFile(ctx context.Context, key string, r io.Reader) error {
	return s.write(key, func(f *os.File) error {
		w, err := s.box.SealStream(f, []byte(key))
		if err == nil {
			_, err = io.Copy(w, r)
		}
		if err == nil {
			err = w.Close()
		}
		return err
	})
}

// write makes the blob at key atomically: fill writes a temporary file beside it, which is
// synced and renamed over key only when fill succeeded.
func (s *Store) write(key string, fill func(*os.File) error) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = fill(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Open streams the blob at key (ENOTFOUND if absent).
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, faceverify.Errorf(faceverify.ENOTFOUND, "blob not found")
	}
	if err != nil {
		return nil, err
	}
	r, err := s.box.OpenStream(f, []byte(key))
	if err != nil {
		f.Close()
		return nil, err
	}
	return readCloser{r, f}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Get returns the blob at key (ENOTFOUND if absent): Open, read whole.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Delete removes key; absent is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// DeletePrefix removes every blob whose key starts with prefix (a "dir/" prefix removes the folder).
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			return err
		}
	}
	if strings.HasSuffix(prefix, "/") && ValidKey(strings.TrimSuffix(prefix, "/")) {
		os.RemoveAll(filepath.Join(s.dir, filepath.FromSlash(strings.TrimSuffix(prefix, "/"))))
	}
	return nil
}

// List returns the keys starting with prefix, sorted.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(s.dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if strings.HasPrefix(key, prefix) {
			out = append(out, key)
		}
		return nil
	})
	return out, err
}
