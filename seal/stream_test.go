package seal

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func sealed(t *testing.T, b *Box, data, aad []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := b.SealStream(&buf, aad)
	if err != nil {
		t.Fatal(err)
	}
	// uneven writes
	for p := data; len(p) > 0; {
		k := min(len(p), 1+len(p)%7919)
		if _, err := w.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStreamRoundTrip(t *testing.T) {
	b, _ := New(NewKey(1))
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, StreamChunk - 1, StreamChunk, StreamChunk + 1, 3*StreamChunk + 17} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.IntN(256))
		}
		ct := sealed(t, b, data, []byte("k"))
		r, err := b.OpenStream(bytes.NewReader(ct), []byte("k"))
		if err != nil {
			t.Fatal(n, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: %v, equal %v", n, err, bytes.Equal(got, data))
		}
		if got, err := b.Open(ct, []byte("k")); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Open of a stream, %d bytes: %v", n, err)
		}
		if !Sealed(ct) {
			t.Fatal("Sealed(stream) = false")
		}
	}
}

func TestStreamRefusesTampering(t *testing.T) {
	b, _ := New(NewKey(1))
	data := bytes.Repeat([]byte("video"), StreamChunk) // 5 chunks
	ct := sealed(t, b, data, []byte("k"))
	read := func(c []byte, aad string) error {
		r, err := b.OpenStream(bytes.NewReader(c), []byte(aad))
		if err != nil {
			return err
		}
		_, err = io.ReadAll(r)
		return err
	}
	hdr, chunk := len(magic2)+1+prefixLen, StreamChunk+16
	flip := append([]byte(nil), ct...)
	flip[hdr+chunk+5] ^= 1
	swapped := append([]byte(nil), ct[:hdr]...)
	swapped = append(swapped, ct[hdr+chunk:hdr+2*chunk]...)
	swapped = append(swapped, ct[hdr:hdr+chunk]...)
	swapped = append(swapped, ct[hdr+2*chunk:]...)
	for name, c := range map[string][]byte{
		"flipped bit":        flip,
		"truncated at chunk": ct[:hdr+2*chunk],
		"truncated mid":      ct[:hdr+2*chunk+100],
		"chunks swapped":     swapped,
		"header only":        ct[:hdr],
	} {
		if err := read(c, "k"); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", name, err)
		}
	}
	if err := read(ct, "other key"); !errors.Is(err, ErrOpen) {
		t.Errorf("wrong aad: %v", err)
	}
	// the one-piece format still opens through OpenStream
	r, err := b.OpenStream(bytes.NewReader(b.Seal([]byte("photo"), []byte("k"))), []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r); string(got) != "photo" {
		t.Fatalf("fv1 via OpenStream: %q", got)
	}
}
