package testenv

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
)

// File is one file field of a multipart form.
type File struct {
	Field, Name string
	Data        []byte
}

// Multipart encodes fields (every value of each, keys in order) and then files as a
// multipart/form-data body; it returns the body and its Content-Type.
func Multipart(fields url.Values, files ...File) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range fields[k] {
			mw.WriteField(k, v) // writes to a bytes.Buffer cannot fail
		}
	}
	for _, f := range files {
		w, _ := mw.CreateFormFile(f.Field, f.Name)
		w.Write(f.Data)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// UploadRequest is a POST to url of a multipart form holding one file, data, as field
// (named name), the way the page uploads a video or a photo.
func UploadRequest(url, field, name string, data []byte) *http.Request {
	body, ct := Multipart(nil, File{Field: field, Name: name, Data: data})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic("testenv: UploadRequest: " + err.Error()) // a malformed URL is the test's own bug
	}
	req.Header.Set("Content-Type", ct)
	return req
}

// VideoRequest is the page's upload of a liveness clip to the service at base: POST
// {base}/h5/v1/sessions/{token}/video with the clip as the multipart field "video".
func VideoRequest(base, token, name string, clip []byte) *http.Request {
	return UploadRequest(base+"/h5/v1/sessions/"+token+"/video", "video", name, clip)
}
