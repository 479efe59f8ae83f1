package seal

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestSealOpenRotate(t *testing.T) {
	k1, k2 := NewKey(1), NewKey(2)
	old, err := New(k1)
	if err != nil {
		t.Fatal(err)
	}
	ct := old.Seal([]byte("张三 110101199003070012"), []byte("row1"))
	if bytes.Contains(ct, []byte("110101")) {
		t.Fatal("plaintext visible in ciphertext")
	}
	rotated, _ := New(k2, k1)
	pt, err := rotated.Open(ct, []byte("row1"))
	if err != nil || string(pt) != "张三 110101199003070012" {
		t.Fatalf("open after rotation: %q %v", pt, err)
	}
	if _, err := rotated.Open(ct, []byte("row2")); err == nil {
		t.Fatal("opened with wrong aad")
	}
	ct2 := rotated.Seal([]byte("x"), nil)
	if ct2[3] != 2 {
		t.Fatalf("new key not used: id %d", ct2[3])
	}
	if _, err := old.Open(ct2, nil); err == nil {
		t.Fatal("old ring opened a ciphertext of a newer key")
	}
	if old.Index("a") != rotated.Index("a") {
		t.Fatal("blind index changed across rotation")
	}
	tampered := append([]byte{}, ct...)
	tampered[len(tampered)-1] ^= 1
	if _, err := rotated.Open(tampered, []byte("row1")); err == nil {
		t.Fatal("tampered ciphertext opened")
	}
}

func TestLoadOrCreate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys", "master.key")
	a, err := LoadOrCreate("", p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreate("", p)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := b.Open(a.Seal([]byte("hi"), nil), nil)
	if err != nil || string(pt) != "hi" {
		t.Fatal("reloaded key ring cannot open")
	}
	if _, err := ParseKeys("0:AAAA"); err == nil {
		t.Fatal("id 0 accepted")
	}
	if _, err := New(Key{ID: 1, Raw: []byte("short")}); err == nil {
		t.Fatal("short key accepted")
	}
}
