package httpapi_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/livecorpus"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/internal/voicetest"
)

// padMP4 returns an MP4 clip grown to size bytes with a top-level free box (valid MP4: the
// decoder skips it), so the content is the clip's own.
func padMP4(t *testing.T, clip string, size int) string {
	t.Helper()
	data, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	n := size - len(data)
	if n < 8 {
		t.Fatalf("%s is already %d bytes", clip, len(data))
	}
	box := make([]byte, n)
	binary.BigEndian.PutUint32(box, uint32(n))
	copy(box[4:], "free")
	out := filepath.Join(t.TempDir(), "padded.mp4")
	if err := os.WriteFile(out, append(data, box...), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// --max-video-mb raises the limit everywhere it applies: a 25 MB upload under a 30 MiB
// limit is accepted at the door and decided on its content by the engine, not refused
// there as VIDEO_TOO_LARGE (the engine used to keep its own 20 MiB).
func TestMaxVideoMBReachesEngine(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Engine: true, Flags: []string{"--max-video-mb", "30"}})
	s.Tenant.Checks.LipSyncOff = true // genuine corpus clips are dubbed with digits (docs/liveness.md)
	if err := s.App.Store.UpdateTenant(context.Background(), s.Tenant); err != nil {
		t.Fatal(err)
	}
	cases, err := livecorpus.Ensure(livecorpus.Dir(), testenv.Datasets(t, "talking"))
	if err != nil {
		t.Fatal(err)
	}
	var clip livecorpus.Case
	for _, c := range cases {
		if c.Want == "VIDEO_OK" && c.Preferences == 2 && strings.HasSuffix(c.File, ".mp4") {
			clip = c
			break
		}
	}
	if clip.File == "" {
		t.Fatal("no genuine MP4 clip in the corpus")
	}
	file := padMP4(t, clip.File, 25_000_000)
	tok := newToken(t, s)
	if v := pageView(t, s, tok); v["step"] != "video" {
		t.Fatalf("first step %v", v["step"])
	}
	voicetest.PinChallenge(t, s.App.Store, tok, clip.Challenge)
	if st, out := uploadVideo(t, s, tok, file); st != 202 {
		t.Fatalf("25 MB upload under a 30 MiB limit: %d %v", st, out)
	}
	v := waitStep(t, s, tok, "processing")
	for _, k := range []string{"last_result", "result"} {
		if r, _ := v[k].(map[string]any); r != nil {
			if m := r["message"]; m == "VIDEO_TOO_LARGE" || m == "VIDEO_FORMAT_UNSUPPORTED" || m == "VIDEO_INTERNAL_ERROR" {
				t.Fatalf("the engine refused the accepted 25 MB upload: %s %v", k, r)
			}
		}
	}
	if r, _ := v["last_result"].(map[string]any); r != nil && v["step"] == "video" {
		t.Logf("the clip failed liveness on its content: %v", r) // still decided by the engine, not its size
	}
	t.Logf("decided: step %v result %v last %v", v["step"], v["result"], v["last_result"])
}
