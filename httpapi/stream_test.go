package httpapi_test

import (
	"context"
	"crypto/sha256"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"testing"

	"github.com/faceverify/faceverify/internal/apitest"
)

// A video upload streams into the blob store: the server's heap grows by far less than the
// video (it used to read the whole upload into memory first), and the stored blob is the
// upload byte for byte.
func TestVideoUploadIsStreamed(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Flags: []string{"--workers", "0"}})
	var c liteResp
	s.PostForm(t, "/lite/v1/get_biz_token", apitest.LiteForm(), &c)
	tok := c.BizToken
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+tok, nil)
	apitest.Do(t, req, nil)

	const size = 16 << 20
	chunk := make([]byte, 32<<10)
	for i := range chunk {
		chunk[i] = byte(i * 31)
	}
	sum := sha256.New()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		w, _ := mw.CreateFormFile("video", "clip.webm")
		for n := 0; n < size; n += len(chunk) {
			w.Write(chunk)
			sum.Write(chunk)
		}
		mw.Close()
		pw.Close()
	}()
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+tok+"/video", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	var out map[string]any
	st := apitest.Do(t, req, &out)
	runtime.ReadMemStats(&m1)
	if st != http.StatusAccepted || out["accepted"] != true {
		t.Fatalf("upload: %d %+v", st, out)
	}
	grew := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("heap allocated during a %d MiB upload: %.1f MiB", size>>20, float64(grew)/(1<<20))
	if grew > size/4 {
		t.Errorf("a %d MiB upload allocated %d MiB: buffered, not streamed", size>>20, grew>>20)
	}
	ss, err := s.App.Store.Session(context.Background(), tok)
	if err != nil || ss.PendingVideoKey == "" {
		t.Fatalf("session: %v %+v", err, ss)
	}
	rc, err := s.App.Blobs.Open(context.Background(), ss.PendingVideoKey)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := sha256.New()
	if n, err := io.Copy(got, rc); err != nil || n != size || string(got.Sum(nil)) != string(sum.Sum(nil)) {
		t.Fatalf("stored video: %d bytes, %v, same hash %v", n, err, string(got.Sum(nil)) == string(sum.Sum(nil)))
	}
}
