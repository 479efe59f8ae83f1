// Package s3 implements faceverify.BlobStore on an S3-compatible object store (minio-go v7;
// tested against versitygw, works with AWS S3, MinIO, Ceph RGW, …) for deployments where
// several API nodes and workers share one blob store. Like blob/fs, every object is sealed
// (AES-GCM, package seal) with its key as associated data before it leaves the process, so
// the object store only ever holds ciphertext that cannot be swapped between keys; the
// store's own server-side encryption, if any, is a second layer, not the first.
//
// Presigned URLs (Cloudauth pictureUrl) are the one exception, and a deliberate one: a
// presigned GET is served by the object store itself, which cannot unseal. Presign therefore
// writes a clear copy of the object under the reserved prefix "presigned/" + key and signs a
// GET of that copy valid for at most MaxPresignTTL (15 min). Copies older than MaxPresignTTL
// are deleted by PurgePresigned (run at most once a minute from Presign, and by operators;
// a bucket lifecycle rule on "presigned/" is the backstop); Delete and DeletePrefix remove
// the clear copies of what they delete, so erasure covers them. Keys under "presigned/" are
// refused for ordinary blobs and hidden from List. It must not know what the blobs mean.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/blob/fs"
	"github.com/faceverify/faceverify/seal"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// PresignPrefix holds the short-lived clear copies behind presigned URLs.
const PresignPrefix = "presigned/"

// MaxPresignTTL caps a presigned URL's validity (and the life of its clear copy).
const MaxPresignTTL = 15 * time.Minute

// Config locates a bucket.
type Config struct {
	Endpoint string // host:port
	Secure   bool   // https
	Bucket   string
	Access   string
	Secret   string
	Region   string // default us-east-1
	// Public is the endpoint (scheme://host:port) presigned URLs are signed for, when the
	// clients reach the object store under another name than the service does.
	Public string
	// Create makes the bucket when it does not exist.
	Create bool
}

// ParseSpec reads s3://bucket?endpoint=host:port&access=…&secret=…[&secure=true]
// [&region=…][&public=https://s3.example.com][&create=true]. endpoint may carry a scheme
// (http:// or https://). Without access/secret in the spec the credentials come from
// FACEVERIFY_S3_ACCESS / FACEVERIFY_S3_SECRET, then AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
// (keep secrets off command lines in production).
func ParseSpec(spec string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	u, err := url.Parse(spec)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return Config{}, fmt.Errorf("blob store: want s3://bucket?endpoint=host:port&…, got %q", Redact(spec))
	}
	q := u.Query()
	c := Config{Bucket: u.Host, Endpoint: q.Get("endpoint"), Access: q.Get("access"), Secret: q.Get("secret"),
		Region: q.Get("region"), Public: q.Get("public"), Secure: true}
	if c.Endpoint == "" {
		return Config{}, errors.New("blob store: s3:// needs endpoint=host:port")
	}
	switch {
	case strings.HasPrefix(c.Endpoint, "http://"):
		c.Secure, c.Endpoint = false, strings.TrimPrefix(c.Endpoint, "http://")
	case strings.HasPrefix(c.Endpoint, "https://"):
		c.Endpoint = strings.TrimPrefix(c.Endpoint, "https://")
	}
	for name, p := range map[string]*bool{"secure": &c.Secure, "create": &c.Create} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Config{}, fmt.Errorf("blob store: %s=%q", name, v)
			}
			*p = b
		}
	}
	if c.Access == "" {
		c.Access = first(getenv("FACEVERIFY_S3_ACCESS"), getenv("AWS_ACCESS_KEY_ID"))
	}
	if c.Secret == "" {
		c.Secret = first(getenv("FACEVERIFY_S3_SECRET"), getenv("AWS_SECRET_ACCESS_KEY"))
	}
	return c, nil
}

func first(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// Redact hides the secret of a spec (its secret= parameter) for error messages and logs.
func Redact(spec string) string {
	if i := strings.Index(spec, "secret="); i >= 0 {
		j := strings.IndexByte(spec[i:], '&')
		if j < 0 {
			return spec[:i] + "secret=REDACTED"
		}
		return spec[:i] + "secret=REDACTED" + spec[i+j:]
	}
	return spec
}

// Store keeps sealed blobs in one bucket.
type Store struct {
	c       *minio.Client
	presign *minio.Client
	bucket  string
	box     *seal.Box

	mu        sync.Mutex
	lastPurge time.Time
}

var _ faceverify.BlobStore = (*Store)(nil)

// OpenSpec opens the store named by an s3:// spec.
func OpenSpec(ctx context.Context, spec string, box *seal.Box) (*Store, error) {
	c, err := ParseSpec(spec, nil)
	if err != nil {
		return nil, err
	}
	return Open(ctx, c, box)
}

// Open connects to the bucket (creating it if asked) and checks it is reachable.
func Open(ctx context.Context, cfg Config, box *seal.Box) (*Store, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	opts := func(secure bool) *minio.Options {
		return &minio.Options{Creds: credentials.NewStaticV4(cfg.Access, cfg.Secret, ""), Secure: secure,
			Region: cfg.Region, BucketLookup: minio.BucketLookupPath}
	}
	c, err := minio.New(cfg.Endpoint, opts(cfg.Secure))
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	s := &Store{c: c, presign: c, bucket: cfg.Bucket, box: box}
	if cfg.Public != "" {
		pu, err := url.Parse(cfg.Public)
		if err != nil || pu.Host == "" {
			return nil, fmt.Errorf("s3: public=%q: want scheme://host[:port]", cfg.Public)
		}
		if s.presign, err = minio.New(pu.Host, opts(pu.Scheme == "https")); err != nil {
			return nil, fmt.Errorf("s3: %w", err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ok, err := c.BucketExists(cctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: bucket %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !ok {
		if !cfg.Create {
			return nil, fmt.Errorf("s3: bucket %s does not exist at %s (create it, or add create=true)", cfg.Bucket, cfg.Endpoint)
		}
		if err := c.MakeBucket(cctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			if code := minio.ToErrorResponse(err).Code; code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return nil, fmt.Errorf("s3: create bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	return s, nil
}

// Ping checks the bucket is reachable (readiness).
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.c.BucketExists(ctx, s.bucket)
	return err
}

func check(key string) error {
	if !fs.ValidKey(key) || strings.HasPrefix(key, PresignPrefix) {
		return faceverify.Errorf(faceverify.EINVALID, "invalid blob key")
	}
	return nil
}

// Put stores data under key, sealed.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := check(key); err != nil {
		return err
	}
	sealed := s.box.Seal(data, []byte(key))
	_, err := s.c.PutObject(ctx, s.bucket, key, bytes.NewReader(sealed), int64(len(sealed)),
		minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true})
	if err != nil {
		return fmt.Errorf("s3: put: %w", err)
	}
	return nil
}

// PutFile stores the contents of r under key: sealed chunk by chunk (seal.SealStream) into
// a temporary file, then sent with its known length in one PUT, so memory stays at one
// chunk whatever the size (minio-go buffers whole parts of a stream of unknown length).
func (s *Store) PutFile(ctx context.Context, key string, r io.Reader) error {
	if err := check(key); err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "fv-s3-put-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w, err := s.box.SealStream(tmp, []byte(key))
	if err == nil {
		_, err = io.Copy(w, r)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = s.c.PutObject(ctx, s.bucket, key, tmp, size,
		minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true})
	if err != nil {
		return fmt.Errorf("s3: put: %w", err)
	}
	return nil
}

// Open streams the blob at key (ENOTFOUND if absent).
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := check(key); err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("s3: get: %w", err)
	}
	r, err := s.box.OpenStream(obj, []byte(key))
	if err != nil {
		obj.Close()
		if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" || code == "NotFound" {
			return nil, faceverify.Errorf(faceverify.ENOTFOUND, "blob not found")
		}
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, obj}, nil
}

func (s *Store) getRaw(ctx context.Context, key string) ([]byte, error) {
	obj, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err == nil {
		var raw []byte
		raw, err = io.ReadAll(obj)
		obj.Close()
		if err == nil {
			return raw, nil
		}
	}
	if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" || code == "NotFound" {
		return nil, faceverify.Errorf(faceverify.ENOTFOUND, "blob not found")
	}
	return nil, fmt.Errorf("s3: get: %w", err)
}

// Get returns the blob at key (ENOTFOUND if absent).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := check(key); err != nil {
		return nil, err
	}
	raw, err := s.getRaw(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.box.Open(raw, []byte(key))
}

func (s *Store) remove(ctx context.Context, key string) error {
	err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchKey" {
		return fmt.Errorf("s3: delete: %w", err)
	}
	return nil
}

// Delete removes key and its presigned clear copy; absent is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := check(key); err != nil {
		return err
	}
	if err := s.remove(ctx, key); err != nil {
		return err
	}
	return s.remove(ctx, PresignPrefix+key)
}

func (s *Store) list(ctx context.Context, prefix string) ([]minio.ObjectInfo, error) {
	var out []minio.ObjectInfo
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("s3: list: %w", o.Err)
		}
		out = append(out, o)
	}
	return out, nil
}

// List returns the keys starting with prefix, sorted (presigned clear copies excluded).
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	objs, err := s.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		if !strings.HasPrefix(o.Key, PresignPrefix) {
			out = append(out, o.Key)
		}
	}
	sort.Strings(out)
	return out, nil
}

// DeletePrefix removes every blob whose key starts with prefix, and their clear copies.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	var keys []string
	for _, p := range []string{prefix, PresignPrefix + prefix} {
		objs, err := s.list(ctx, p)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if p == prefix && strings.HasPrefix(o.Key, PresignPrefix) {
				continue // prefix "" lists everything: copies are handled by the second pass
			}
			keys = append(keys, o.Key)
		}
	}
	return s.removeKeys(ctx, keys)
}

func (s *Store) removeKeys(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	ch := make(chan minio.ObjectInfo, len(keys))
	for _, k := range keys {
		ch <- minio.ObjectInfo{Key: k}
	}
	close(ch)
	for e := range s.c.RemoveObjects(ctx, s.bucket, ch, minio.RemoveObjectsOptions{}) {
		if e.Err != nil && minio.ToErrorResponse(e.Err).Code != "NoSuchKey" {
			return fmt.Errorf("s3: delete %s: %w", e.ObjectName, e.Err)
		}
	}
	return nil
}

// Presign returns a URL that GETs the (unsealed) blob at key straight from the object
// store for ttl (at most MaxPresignTTL). See the package comment for the clear copy it
// writes and how that copy is removed.
func (s *Store) Presign(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > MaxPresignTTL {
		ttl = MaxPresignTTL
	}
	data, err := s.Get(ctx, key)
	if err != nil {
		return "", err
	}
	clear := PresignPrefix + key
	_, err = s.c.PutObject(ctx, s.bucket, clear, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType(key), DisableMultipart: true, CacheControl: "private, no-store"})
	if err != nil {
		return "", fmt.Errorf("s3: presign copy: %w", err)
	}
	u, err := s.presign.PresignedGetObject(ctx, s.bucket, clear, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("s3: presign: %w", err)
	}
	s.mu.Lock()
	due := time.Since(s.lastPurge) > time.Minute
	if due {
		s.lastPurge = time.Now()
	}
	s.mu.Unlock()
	if due {
		go s.PurgePresigned(context.WithoutCancel(ctx), time.Now())
	}
	return u.String(), nil
}

// PurgePresigned deletes clear copies written more than MaxPresignTTL before now (their
// URLs have expired); it returns how many it deleted.
func (s *Store) PurgePresigned(ctx context.Context, now time.Time) (int, error) {
	objs, err := s.list(ctx, PresignPrefix)
	if err != nil {
		return 0, err
	}
	var old []string
	for _, o := range objs {
		if o.LastModified.Add(MaxPresignTTL).Before(now) {
			old = append(old, o.Key)
		}
	}
	return len(old), s.removeKeys(ctx, old)
}

func contentType(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".webp":
		return "image/webp"
	case ".webm":
		return "video/webm"
	case ".mp4":
		return "video/mp4"
	}
	return "application/octet-stream"
}
