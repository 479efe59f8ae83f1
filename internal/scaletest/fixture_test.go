package scaletest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify/internal/livecorpus"
	"github.com/faceverify/faceverify/internal/pgtest"
	"github.com/faceverify/faceverify/internal/s3test"
	"github.com/faceverify/faceverify/internal/scaletest"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/seal"
)

// backends is one PostgreSQL database, one S3 bucket and one sealing key ring shared by
// every process of a test.
type backends struct {
	Database, Blob, Keys string
	Models, ORTLib       string
	S3                   *s3test.Server
}

func startBackends(t *testing.T) *backends {
	t.Helper()
	b := &backends{Models: testenv.ModelDir(t), ORTLib: testenv.ORTLib(t)}
	pg := pgtest.Start(t)
	b.Database = pg.NewDatabase(t)
	b.S3 = s3test.Start(t)
	b.Blob = b.S3.Spec(b.S3.NewBucket(t))
	b.Keys = seal.FormatKeys([]seal.Key{seal.NewKey(1)})
	return b
}

// flags are the back-end flags every process gets.
func (b *backends) flags(t *testing.T) []string {
	return []string{"--data", t.TempDir(), "--database", b.Database, "--blob", b.Blob, "--keys", b.Keys,
		"--models", b.Models, "--ort-lib", b.ORTLib, "--log-format", "text", "--notify-allow", "127.0.0.1/32"}
}

// genuineClip returns a genuine corpus clip (a real face, its digits spoken), its digits,
// and a frame of it to enrol as the registry photo.
func genuineClip(t *testing.T) (video []byte, digits string, photo []byte) {
	t.Helper()
	testenv.Tool(t, "ffmpeg")
	cases, err := livecorpus.Ensure(livecorpus.Dir(), testenv.Datasets(t, "talking"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.Want == "VIDEO_OK" && c.Preferences == 2 && c.MaxBytes == 0 {
			video, err = os.ReadFile(c.File)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "frame.jpg")
			cmd := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-ss", "1", "-i", c.File, "-frames:v", "1", "-q:v", "2", out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg frame: %v %s", err, b)
			}
			photo, _ = os.ReadFile(out)
			return video, c.Challenge, photo
		}
	}
	t.Fatal("no genuine clip in the liveness corpus")
	return nil, "", nil
}

var ctx = context.Background()

func TestMain(m *testing.M) {
	code := m.Run()
	scaletest.Cleanup()
	os.Exit(code)
}
