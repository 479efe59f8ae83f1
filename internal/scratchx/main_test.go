package scratch

import (
	"context"
	"github.com/faceverify/faceverify/media"
	"os"
	"testing"
	"time"
)

func TestX(t *testing.T) {
	for _, f := range os.Args[len(os.Args)-0:] {
		_ = f
	}
	for _, f := range []string{os.Getenv("F")} {
		t0 := time.Now()
		c, err := media.Extract(context.Background(), f, media.DefaultLimits())
		if c != nil {
			t.Logf("%s err=%v dur=%v %dx%d frames=%d pcm=%d as=%v vs=%v cont=%q %s %s %v", f, err, c.Duration, c.Width, c.Height, len(c.Frames), len(c.PCM), c.AudioStart, c.VideoStart, c.Container, c.VideoCodec, c.AudioCodec, time.Since(t0))
		} else {
			t.Log(err)
		}
	}
}
