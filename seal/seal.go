// Package seal encrypts personal data at rest with AES-256-GCM. A Box holds a key ring: the
// first key seals, every key opens, so keys rotate by prepending a new one and re-sealing at
// leisure (`faceverify admin rekey`). Ciphertexts carry the key id: "fv1" | id | nonce | sealed.
// It does not store keys; config loads them from env/file.
package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

var magic = []byte("fv1")

// ErrOpen is returned when a ciphertext cannot be opened (wrong key, tampered, truncated).
var ErrOpen = errors.New("seal: cannot open ciphertext")

// Key is one 32-byte key with a one-byte id.
type Key struct {
	ID  byte
	Raw []byte
}

// Box seals with the first key and opens with any.
type Box struct {
	keys  []Key
	aeads map[byte]cipher.AEAD
	index []byte // key for blind indexes (HMAC of look-up values), derived from the first key
}

// New returns a Box over keys (the first seals).
func New(keys ...Key) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	b := &Box{keys: keys, aeads: map[byte]cipher.AEAD{}}
	for _, k := range keys {
		if len(k.Raw) != 32 {
			return nil, fmt.Errorf("seal: key %d must be 32 bytes, got %d", k.ID, len(k.Raw))
		}
		if _, dup := b.aeads[k.ID]; dup {
			return nil, fmt.Errorf("seal: duplicate key id %d", k.ID)
		}
		blk, err := aes.NewCipher(k.Raw)
		if err != nil {
			return nil, err
		}
		g, err := cipher.NewGCM(blk)
		if err != nil {
			return nil, err
		}
		b.aeads[k.ID] = g
	}
	// The blind-index key must stay stable across rotations: derive it from the last
	// (oldest) key so prepending a new sealing key does not change look-up hashes.
	m := hmac.New(sha256.New, keys[len(keys)-1].Raw)
	m.Write([]byte("faceverify blind index"))
	b.index = m.Sum(nil)
	return b, nil
}

// ParseKeys reads "id:base64,id:base64" (id 1–255; the first seals).
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok {
			return nil, errors.New("seal: key must be id:base64")
		}
		var n int
		if _, err := fmt.Sscanf(id, "%d", &n); err != nil || n < 1 || n > 255 {
			return nil, fmt.Errorf("seal: bad key id %q", id)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %v", n, err)
		}
		keys = append(keys, Key{ID: byte(n), Raw: raw})
	}
	if len(keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	return keys, nil
}

// FormatKeys is the inverse of ParseKeys.
func FormatKeys(keys []Key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d:%s", k.ID, base64.StdEncoding.EncodeToString(k.Raw))
	}
	return strings.Join(parts, ",")
}

// NewKey returns a fresh random key with the given id.
func NewKey(id byte) Key {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		panic(err)
	}
	return Key{ID: id, Raw: raw}
}

// LoadOrCreate returns the key ring from spec if non-empty, else from the file at path,
// creating it (mode 0600) with one fresh key on first use.
func LoadOrCreate(spec, path string) (*Box, error) {
	if spec == "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			spec = strings.TrimSpace(string(data))
		case errors.Is(err, os.ErrNotExist):
			spec = FormatKeys([]Key{NewKey(1)})
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(path, []byte(spec+"\n"), 0o600); err != nil {
				return nil, err
			}
		default:
			return nil, err
		}
	}
	keys, err := ParseKeys(spec)
	if err != nil {
		return nil, err
	}
	return New(keys...)
}

// Seal encrypts plaintext; aad binds it to its context (e.g. the row or blob key).
func (b *Box) Seal(plaintext, aad []byte) []byte {
	k := b.keys[0]
	g := b.aeads[k.ID]
	out := make([]byte, 0, len(magic)+1+g.NonceSize()+len(plaintext)+g.Overhead())
	out = append(out, magic...)
	out = append(out, k.ID)
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	out = append(out, nonce...)
	return g.Seal(out, nonce, plaintext, aad)
}

// Open decrypts a Seal output.
func (b *Box) Open(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) > len(magic2) && string(ciphertext[:len(magic2)]) == string(magic2) {
		r, err := b.OpenStream(bytes.NewReader(ciphertext), aad)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}
	if len(ciphertext) < len(magic)+1 || string(ciphertext[:len(magic)]) != string(magic) {
		return nil, ErrOpen
	}
	g, ok := b.aeads[ciphertext[len(magic)]]
	if !ok {
		return nil, fmt.Errorf("%w: unknown key id %d", ErrOpen, ciphertext[len(magic)])
	}
	rest := ciphertext[len(magic)+1:]
	if len(rest) < g.NonceSize()+g.Overhead() {
		return nil, ErrOpen
	}
	pt, err := g.Open(nil, rest[:g.NonceSize()], rest[g.NonceSize():], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Sealed reports whether data looks like a Seal output.
func Sealed(data []byte) bool {
	return len(data) > len(magic) && (string(data[:len(magic)]) == string(magic) || string(data[:len(magic2)]) == string(magic2))
}

// PrimaryID is the id of the sealing key.
func (b *Box) PrimaryID() byte { return b.keys[0].ID }

// Index returns a keyed hash of a look-up value (e.g. an ID number) so it can be indexed
// without being stored in clear.
func (b *Box) Index(value string) string {
	m := hmac.New(sha256.New, b.index)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}
