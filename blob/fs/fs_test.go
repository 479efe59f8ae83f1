package fs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/blob/blobtest"
	"github.com/faceverify/faceverify/blob/fs"
	"github.com/faceverify/faceverify/seal"
)

func TestContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) faceverify.BlobStore {
		box, _ := seal.New(seal.NewKey(1))
		s, err := fs.Open(t.TempDir(), box)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	box, _ := seal.New(seal.NewKey(1))
	s, _ := fs.Open(dir, box)
	secret := []byte("JFIF portrait of 王小明")
	if err := s.Put(context.Background(), "sessions/t/image_best.jpg", secret); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "sessions", "t", "image_best.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("JFIF")) || !seal.Sealed(raw) {
		t.Fatal("blob stored in clear")
	}
	// A blob moved to another key does not open (the key is the associated data).
	os.MkdirAll(filepath.Join(dir, "sessions", "u"), 0o700)
	os.WriteFile(filepath.Join(dir, "sessions", "u", "image_best.jpg"), raw, 0o600)
	if _, err := s.Get(context.Background(), "sessions/u/image_best.jpg"); err == nil {
		t.Fatal("swapped blob opened")
	}
}
