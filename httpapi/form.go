package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/lite"
)

// Limits of one decoded body.
const (
	maxParts      = 64
	maxFieldBytes = 64 << 10
)

// ReadForm decodes a form-urlencoded or multipart body (at most maxBody bytes) plus the
// query string into a lite.Form. Every failure is a *faceverify.Error: ETOOLARGE over the
// limit, EINVALID for anything malformed; it never panics on any input.
func ReadForm(r *http.Request, maxBody int64) (lite.Form, error) {
	f := lite.Form{Values: url.Values{}, Files: map[string][][]byte{}}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return f, faceverify.Invalid("query", "malformed query string")
	}
	for k, vs := range q {
		f.Values[k] = append(f.Values[k], vs...)
	}
	if r.Body == nil || r.Method == http.MethodGet {
		return f, nil
	}
	if r.ContentLength > maxBody {
		return f, faceverify.Errorf(faceverify.ETOOLARGE, "request body over %d bytes", maxBody)
	}
	body := http.MaxBytesReader(nil, r.Body, maxBody)
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		data, err := readAll(body)
		if err != nil {
			return f, err
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return f, nil
		}
		return f, faceverify.Invalid("Content-Type", "missing Content-Type")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return f, faceverify.Invalid("Content-Type", "malformed Content-Type")
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		data, err := readAll(body)
		if err != nil {
			return f, err
		}
		vals, err := url.ParseQuery(string(data))
		if err != nil {
			return f, faceverify.Invalid("body", "malformed form body")
		}
		for k, vs := range vals {
			f.Values[k] = append(f.Values[k], vs...)
		}
		return f, nil
	case "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" {
			return f, faceverify.Invalid("Content-Type", "multipart without boundary")
		}
		mr := multipart.NewReader(body, boundary)
		for n := 0; ; n++ {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return f, nil
			}
			if err != nil {
				if tooLarge(err) {
					return f, faceverify.Errorf(faceverify.ETOOLARGE, "request body too large")
				}
				return f, faceverify.Invalid("body", "malformed multipart body")
			}
			if n >= maxParts {
				return f, faceverify.Invalid("body", "too many parts")
			}
			name := part.FormName()
			if name == "" {
				part.Close()
				continue
			}
			if part.FileName() != "" {
				data, err := readAll(part)
				if err != nil {
					return f, err
				}
				f.Files[name] = append(f.Files[name], data)
			} else {
				data, err := readAll(io.LimitReader(part, maxFieldBytes+1))
				if err != nil {
					return f, err
				}
				if len(data) > maxFieldBytes {
					return f, faceverify.Invalid(cleanKey(name), "field too long")
				}
				f.Values[name] = append(f.Values[name], string(data))
			}
			part.Close()
		}
	}
	return f, faceverify.Invalid("Content-Type", "unsupported Content-Type "+cleanKey(mt))
}

func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		if tooLarge(err) {
			return nil, faceverify.Errorf(faceverify.ETOOLARGE, "request body too large")
		}
		return nil, faceverify.Invalid("body", "unreadable body")
	}
	return data, nil
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func cleanKey(k string) string {
	k = strings.ToValidUTF8(k, "?")
	if len(k) > 64 {
		k = k[:64]
	}
	return k
}
