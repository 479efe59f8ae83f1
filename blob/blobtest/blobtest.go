// Package blobtest is the contract suite every faceverify.BlobStore must pass (blob/fs,
// blob/s3).
package blobtest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/faceverify/faceverify"
)

// Run runs the contract suite on a fresh empty store.
func Run(t *testing.T, newStore func(t *testing.T) faceverify.BlobStore) {
	ctx := context.Background()
	t.Run("PutGetDelete", func(t *testing.T) {
		s := newStore(t)
		data := bytes.Repeat([]byte{0xFF, 0xD8, 1, 2}, 1000)
		if err := s.Put(ctx, "sessions/tok/image_best.jpg", data); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "sessions/tok/image_best.jpg")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get: %v", err)
		}
		if err := s.PutFile(ctx, "sessions/tok/video.webm", strings.NewReader("video")); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "sessions/tok/image_best.jpg", []byte("v2")); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get(ctx, "sessions/tok/image_best.jpg"); string(got) != "v2" {
			t.Fatalf("overwrite: %q", got)
		}
		if err := s.Delete(ctx, "sessions/tok/image_best.jpg"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "sessions/tok/image_best.jpg"); faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
			t.Fatalf("deleted blob: %v", err)
		}
		if err := s.Delete(ctx, "sessions/tok/image_best.jpg"); err != nil {
			t.Fatalf("delete absent: %v", err)
		}
	})
	t.Run("PutFileOpenStream", func(t *testing.T) {
		s := newStore(t)
		video := make([]byte, 300<<10+7) // several sealed chunks
		for i := range video {
			video[i] = byte(i * 7)
		}
		if err := s.PutFile(ctx, "sessions/tok/video-1", bytes.NewReader(video)); err != nil {
			t.Fatal(err)
		}
		rc, err := s.Open(ctx, "sessions/tok/video-1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, video) {
			t.Fatalf("open: %v, %d bytes", err, len(got))
		}
		if got, err := s.Get(ctx, "sessions/tok/video-1"); err != nil || !bytes.Equal(got, video) {
			t.Fatalf("get of a streamed blob: %v", err)
		}
		if err := s.Put(ctx, "sessions/tok/small", []byte("one piece")); err != nil {
			t.Fatal(err)
		}
		if rc, err := s.Open(ctx, "sessions/tok/small"); err != nil {
			t.Fatal(err)
		} else if b, _ := io.ReadAll(rc); string(b) != "one piece" {
			t.Fatalf("open of a Put blob: %q", b)
		} else {
			rc.Close()
		}
		if _, err := s.Open(ctx, "sessions/tok/absent"); faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
			t.Fatalf("open absent: %v", err)
		}
	})
	t.Run("ListDeletePrefix", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{"sessions/a/1.jpg", "sessions/a/2.jpg", "sessions/ab/1.jpg", "registry/x.jpg"} {
			if err := s.Put(ctx, k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		keys, err := s.List(ctx, "sessions/a/")
		if err != nil || len(keys) != 2 {
			t.Fatalf("list: %v %v", keys, err)
		}
		if err := s.DeletePrefix(ctx, "sessions/a/"); err != nil {
			t.Fatal(err)
		}
		all, _ := s.List(ctx, "")
		if len(all) != 2 {
			t.Fatalf("after delete prefix: %v", all)
		}
	})
	t.Run("BadKeys", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{"", "/abs", "../x", "a/../../x", "a//b"} {
			if err := s.Put(ctx, k, []byte("x")); err == nil {
				t.Errorf("key %q accepted", k)
			}
		}
	})
}
