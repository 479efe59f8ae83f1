package seal

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Streams (videos and other large blobs) are sealed in chunks so that neither side holds
// the whole object: "fv2" | key id | 7-byte random prefix, then chunks of up to
// StreamChunk plaintext bytes, each AES-GCM sealed with nonce prefix | chunk number
// (4 bytes) | last-chunk flag (1 byte) and the caller's aad. Reordered, dropped or
// truncated chunks fail to open (the STREAM construction of Hoang, Reyhanitabar, Rogaway
// and Vizár). Open accepts both formats.

var magic2 = []byte("fv2")

// StreamChunk is the plaintext size of one sealed chunk.
const StreamChunk = 64 << 10

const prefixLen = 7

type sealWriter struct {
	w      io.Writer
	g      cipher.AEAD
	prefix [prefixLen]byte
	aad    []byte
	buf    []byte
	out    []byte
	n      uint32
	err    error
	closed bool
}

// SealStream returns a writer that seals what is written to it onto w; Close writes the
// last chunk (it does not close w). aad binds the stream to its context, as with Seal.
func (b *Box) SealStream(w io.Writer, aad []byte) (io.WriteCloser, error) {
	k := b.keys[0]
	s := &sealWriter{w: w, g: b.aeads[k.ID], aad: append([]byte(nil), aad...), buf: make([]byte, 0, StreamChunk)}
	if _, err := rand.Read(s.prefix[:]); err != nil {
		return nil, err
	}
	hdr := append(append(append([]byte(nil), magic2...), k.ID), s.prefix[:]...)
	if _, err := w.Write(hdr); err != nil {
		return nil, err
	}
	return s, nil
}

func streamNonce(prefix []byte, n uint32, last bool) []byte {
	nonce := make([]byte, 12)
	copy(nonce, prefix)
	binary.BigEndian.PutUint32(nonce[prefixLen:], n)
	if last {
		nonce[11] = 1
	}
	return nonce
}

func (s *sealWriter) flush(last bool) error {
	if s.n == ^uint32(0) {
		return errors.New("seal: stream too long")
	}
	s.out = s.g.Seal(s.out[:0], streamNonce(s.prefix[:], s.n, last), s.buf, s.aad)
	s.n++
	s.buf = s.buf[:0]
	_, err := s.w.Write(s.out)
	return err
}

func (s *sealWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.closed {
		return 0, errors.New("seal: write after close")
	}
	n := 0
	for len(p) > 0 {
		if len(s.buf) == StreamChunk { // more follows: this chunk is not the last
			if s.err = s.flush(false); s.err != nil {
				return n, s.err
			}
		}
		k := copy(s.buf[len(s.buf):StreamChunk], p)
		s.buf = s.buf[:len(s.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

func (s *sealWriter) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	if s.err != nil {
		return s.err
	}
	s.err = s.flush(true)
	return s.err
}

type openReader struct {
	r      *bufio.Reader
	g      cipher.AEAD
	prefix []byte
	aad    []byte
	n      uint32
	ct     []byte
	pt     []byte
	off    int
	done   bool
	err    error
}

// OpenStream returns a reader of the plaintext of a sealed stream (SealStream) or of a
// whole Seal output read from r. A tampered or truncated stream reads as ErrOpen.
func (b *Box) OpenStream(r io.Reader, aad []byte) (io.Reader, error) {
	br := bufio.NewReaderSize(r, StreamChunk+64)
	hdr, err := br.Peek(len(magic2) + 1)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, ErrOpen
	}
	if err != nil {
		return nil, err // the underlying reader's (e.g. an object store's "not found")
	}
	if bytes.Equal(hdr[:len(magic)], magic) { // one-piece format: opened whole
		all, err := io.ReadAll(br)
		if err != nil {
			return nil, err
		}
		pt, err := b.Open(all, aad)
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(pt), nil
	}
	if !bytes.Equal(hdr[:len(magic2)], magic2) {
		return nil, ErrOpen
	}
	g, ok := b.aeads[hdr[len(magic2)]]
	if !ok {
		return nil, fmt.Errorf("%w: unknown key id %d", ErrOpen, hdr[len(magic2)])
	}
	br.Discard(len(magic2) + 1)
	prefix := make([]byte, prefixLen)
	if _, err := io.ReadFull(br, prefix); err != nil {
		return nil, ErrOpen
	}
	return &openReader{r: br, g: g, prefix: prefix, aad: append([]byte(nil), aad...), ct: make([]byte, StreamChunk+g.Overhead())}, nil
}

func (o *openReader) next() error {
	n, err := io.ReadFull(o.r, o.ct)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		// a short chunk is the last one
	case err != nil:
		return err
	}
	last := n < len(o.ct)
	if !last {
		if _, perr := o.r.Peek(1); perr == io.EOF {
			last = true
		} else if perr != nil {
			return perr
		}
	}
	pt, oerr := o.g.Open(o.pt[:0], streamNonce(o.prefix, o.n, last), o.ct[:n], o.aad)
	if oerr != nil {
		return ErrOpen
	}
	o.n++
	o.pt, o.off, o.done = pt, 0, last
	return nil
}

func (o *openReader) Read(p []byte) (int, error) {
	for o.off == len(o.pt) {
		if o.err != nil {
			return 0, o.err
		}
		if o.done {
			return 0, io.EOF
		}
		if err := o.next(); err != nil {
			o.err = err
			return 0, err
		}
	}
	k := copy(p, o.pt[o.off:])
	o.off += k
	return k, nil
}
