package livecorpus

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/faceverify/faceverify/internal/testenv"
)

const pad640 = "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25"

// format of an output clip.
type format int

const (
	mp4     format = iota // H.264/AAC, moov at the end (ffmpeg's default)
	fmp4                  // fragmented MP4 (browser MediaRecorder in Chrome ≥ 126 / Safari)
	webmVP8               // VP8/Opus written to a pipe: no duration, no cues (MediaRecorder)
	webmVP9               // VP9/Opus, same
)

func (f format) ext() string {
	if f == webmVP8 || f == webmVP9 {
		return "webm"
	}
	return "mp4"
}

// encode muxes the video of vin (with extra filter vf after scaling) and audio wav (""
// = no audio track) into out.
func (g *gen) encode(vin []string, vf string, audio string, f format, out string, extra ...string) error {
	args := []string{"-nostdin", "-v", "error", "-y"}
	args = append(args, vin...)
	if audio != "" {
		args = append(args, "-i", audio)
	}
	filt := pad640
	if vf != "" {
		filt += "," + vf
	}
	args = append(args, "-map", "0:v:0")
	if audio != "" {
		args = append(args, "-map", "1:a:0")
	} else if !hasMap(extra) {
		args = append(args, "-an")
	}
	args = append(args, "-vf", filt)
	args = append(args, extra...)
	switch f {
	case mp4, fmp4:
		args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k")
		if f == fmp4 {
			args = append(args, "-movflags", "frag_keyframe+empty_moov+default_base_moof")
		}
		args = append(args, "-shortest", out)
		return run("ffmpeg", args...)
	case webmVP8, webmVP9:
		codec := "libvpx"
		if f == webmVP9 {
			codec = "libvpx-vp9"
		}
		args = append(args, "-c:v", codec, "-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k", "-c:a", "libopus", "-b:a", "48k", "-shortest", "-f", "webm", "pipe:1")
		// Writing to a pipe makes the muxer unable to seek back: no duration, no cues —
		// what MediaRecorder produces.
		fo, err := os.Create(out)
		if err != nil {
			return err
		}
		defer fo.Close()
		return runTo(fo, "ffmpeg", args...)
	}
	return fmt.Errorf("bad format")
}

// genuine builds a talking clip whose sound track is replaced by the four digits, each
// placed on a voiced stretch of the original speech (so the mouth moves while each digit
// sounds). It returns the audio wav.
func (g *gen) digitsOnSpeech(video string, digits string, mk func(d byte) (string, error), noise float64) (string, float64, error) {
	segs, total, err := g.speechSegments(video)
	if err != nil {
		return "", 0, err
	}
	slots := alignDigits(segs)
	if slots == nil {
		return "", 0, fmt.Errorf("%s: fewer than 4 voiced stretches", video)
	}
	var ws []placed
	prevEnd := 0.0
	for i := 0; i < 4; i++ {
		f, err := mk(digits[i])
		if err != nil {
			return "", 0, err
		}
		at := max(slots[i][0], prevEnd+0.08)
		prevEnd = at + testenv.WavSeconds(f)
		ws = append(ws, placed{file: f, at: at})
	}
	a, err := g.mix(ws, total, noise)
	return a, total, err
}

// digitsEven places the digits evenly from 0.6 s with natural length.
func (g *gen) digitsEven(digits string, mk func(d byte) (string, error), total float64) (string, error) {
	var ws []placed
	for i := 0; i < 4; i++ {
		f, err := mk(digits[i])
		if err != nil {
			return "", err
		}
		ws = append(ws, placed{file: f, at: 0.6 + float64(i)*0.8})
	}
	return g.mix(ws, total, 0)
}

// Build generates the corpus into dir from the datasets directory ds.
func Build(dir, ds string) ([]Case, error) {
	g := &gen{dir: dir, ds: ds}
	if err := os.MkdirAll(filepath.Join(dir, "work"), 0o755); err != nil {
		return nil, err
	}
	talk := func(n string) string { return filepath.Join(ds, "talking", n) }
	face := func(n string) string { return filepath.Join(ds, "faces", "deepface", n) }
	var cases []Case
	add := func(c Case) { cases = append(cases, c) }
	out := func(name string, f format) string { return filepath.Join(dir, name+"."+f.ext()) }
	esp := func(v voice) func(d byte) (string, error) {
		return func(d byte) (string, error) { return g.word(v, d) }
	}
	// dub lays the digits (spoken by mk) on the voiced stretches of video's own speech and
	// encodes video with that sound track as name in format f: vf filters the picture,
	// after are input options that follow "-i video".
	dub := func(name, video, digits string, mk func(d byte) (string, error), noise float64, f format, vf string, after ...string) (string, error) {
		a, _, err := g.digitsOnSpeech(video, digits, mk, noise)
		if err != nil {
			return "", err
		}
		o := out(name, f)
		return o, g.encode(append([]string{"-i", video}, after...), vf, a, f, o)
	}

	// Genuine: real talking faces, digits on the voiced stretches of their own speech.
	type gcase struct {
		name, clip, digits string
		v                  voice
		fsdd               string
		f                  format
		noise              float64
	}
	genuine := []gcase{
		{"genuine_vox00373_mp4", "vox_audio_00373.mp4", "7340", voice{"en-gb", 130, 50}, "", mp4, 0},
		{"genuine_vox00010_mp4", "vox_input_00010.mp4", "9153", voice{"en-us", 130, 50}, "", mp4, 0},
		{"genuine_vox00015_fmp4", "vox_audio_00015.mp4", "2619", voice{"en+f2", 145, 60}, "", fmp4, 0.02},
		{"genuine_vox00086_webm_vp8", "vox_audio_00086.mp4", "2619", voice{"en+f2", 160, 70}, "", webmVP8, 0},
		{"genuine_vox00098_webm_vp9", "vox_input_00098.mp4", "9153", voice{"en-us", 130, 50}, "", webmVP9, 0.01},
		{"genuine_lrs2_00004_mp4", "lrs2_00004.mp4", "7340", voice{"en-gb", 130, 50}, "", mp4, 0},
	}
	for _, c := range genuine {
		mk := esp(c.v)
		vdesc := c.v.String()
		if c.fsdd != "" {
			sp := c.fsdd
			mk = func(d byte) (string, error) { return g.fsddWord(sp, d, 7) }
			vdesc = "FSDD speaker " + sp + " take 7 (8 kHz, upsampled)"
		}
		o, err := dub(c.name, talk(c.clip), c.digits, mk, c.noise, c.f, "")
		if err != nil {
			return nil, err
		}
		add(Case{Name: c.name, File: o, Challenge: c.digits, Preferences: 2, Want: "VIDEO_OK", Voice: vdesc, Source: "talking/" + c.clip, NoLipSync: true,
			Shows: "real talking face (moving, live, one identity) with its sound replaced by the challenge digits placed on the voiced stretches of the person's own speech; lip-sync is switched off for this case because the lips do not say these digits (the sync check is proven on the real clips, see TestLipSyncRealClips)"})
	}
	g0 := cases[0]
	// Wrong digits / 3 of 4 on the first genuine clip (spoken 4821).
	add(Case{Name: "wrong_digits", File: g0.File, Challenge: "5962", Preferences: 1, Want: "SR_ERROR", Voice: g0.Voice, Source: g0.Source, NoLipSync: true,
		Shows: "genuine clip, challenge differs in every digit"})
	add(Case{Name: "three_of_four_pref1", File: g0.File, Challenge: "7345", Preferences: 1, Want: "VIDEO_OK", Voice: g0.Voice, Source: g0.Source, NoLipSync: true,
		Shows: "3 of 4 digits right passes with liveness_preferences=1"})
	add(Case{Name: "three_of_four_pref2", File: g0.File, Challenge: "7345", Preferences: 2, Want: "SR_ERROR", Voice: g0.Voice, Source: g0.Source, NoLipSync: true,
		Shows: "3 of 4 digits right fails with liveness_preferences=2"})
	add(Case{Name: "too_large", File: g0.File, Challenge: "4821", Preferences: 2, Want: "VIDEO_TOO_LARGE", MaxBytes: 20000, Source: g0.Source,
		Shows: "size limit (configured 20 kB here)"})

	// Silent track / no track.
	{
		o := out("silent_track", mp4)
		if err := g.encode([]string{"-i", talk("vox_input_00010.mp4"), "-f", "lavfi", "-t", "4.3", "-i", "anullsrc=r=48000:cl=mono"}, "", "", mp4, o, "-map", "1:a:0", "-c:a", "aac"); err != nil {
			return nil, err
		}
		add(Case{Name: "silent_track", File: o, Challenge: "4821", Preferences: 2, Want: "NO_AUDIO", Source: "talking/vox_input_00010.mp4", Shows: "audio track present but digital silence (muted microphone)"})
		o2 := out("no_audio_track", mp4)
		if err := g.encode([]string{"-i", talk("vox_input_00010.mp4")}, "", "", mp4, o2); err != nil {
			return nil, err
		}
		add(Case{Name: "no_audio_track", File: o2, Challenge: "4821", Preferences: 2, Want: "NO_AUDIO", Source: "talking/vox_input_00010.mp4", Shows: "no audio track at all"})
	}
	v1 := voice{"en-us", 150, 50}
	// No face: a test pattern with a voice reading the digits.
	{
		a, err := g.digitsEven("4821", esp(v1), 4.5)
		if err != nil {
			return nil, err
		}
		o := out("no_face", mp4)
		if err := g.encode([]string{"-f", "lavfi", "-t", "4.5", "-i", "testsrc2=size=640x480:rate=25"}, "", a, mp4, o); err != nil {
			return nil, err
		}
		add(Case{Name: "no_face", File: o, Challenge: "4821", Preferences: 2, Want: "NO_FACE_FOUND", Voice: v1.String(), Source: "lavfi testsrc2", Shows: "no face in the picture"})
	}
	// Still photo + voice.
	{
		a, err := g.digitsEven("3907", esp(voice{"en", 140, 50}), 4.2)
		if err != nil {
			return nil, err
		}
		o := out("still_photo_voice", mp4)
		if err := g.encode([]string{"-loop", "1", "-framerate", "25", "-t", "4.2", "-i", face("img1.jpg")}, "", a, mp4, o); err != nil {
			return nil, err
		}
		add(Case{Name: "still_photo_voice", File: o, Challenge: "3907", Preferences: 2, Want: "FAIL_LIVING_FACE_ATTACK", Voice: "espeak-ng -v en -s 140", Source: "faces/deepface/img1.jpg",
			Shows: "a still photo held to the camera while a voice reads the right digits"})
		// Frozen frame of a real talking clip, with digits on its speech: the photo attack
		// with a real video frame (the digits are aligned to speech the picture does not show).
		o2, err := dub("frozen_frame_voice", talk("vox_input_00010.mp4"), "4821", esp(v1), 0, mp4, "trim=end_frame=1,loop=loop=200:size=1,setpts=N/25/TB")
		if err != nil {
			return nil, err
		}
		add(Case{Name: "frozen_frame_voice", File: o2, Challenge: "4821", Preferences: 2, Want: "FAIL_LIVING_FACE_ATTACK", Voice: v1.String(), Source: "talking/vox_input_00010.mp4 (first frame)",
			Shows: "one frame of a real clip frozen, with the right digits spoken"})
	}
	// Two faces side by side, both talking.
	{
		a, _, err := g.digitsOnSpeech(talk("vox_input_00010.mp4"), "4821", esp(v1), 0)
		if err != nil {
			return nil, err
		}
		o := out("two_faces", mp4)
		vin := []string{"-i", talk("vox_input_00010.mp4"), "-i", talk("vox_audio_00373.mp4")}
		// encode with a complex filter: hstack of the two 224×224 clips
		args := []string{"-nostdin", "-v", "error", "-y"}
		args = append(args, vin...)
		args = append(args, "-i", a, "-filter_complex", "[0:v]scale=300:300,fps=25[a];[1:v]scale=300:300,fps=25[b];[a][b]hstack,pad=640:480:20:90[v]",
			"-map", "[v]", "-map", "2:a:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", o)
		if err := run("ffmpeg", args...); err != nil {
			return nil, err
		}
		add(Case{Name: "two_faces", File: o, Challenge: "4821", Preferences: 2, Want: "FAIL_LIVING_FACE_ATTACK", Voice: v1.String(), Source: "talking/vox_input_00010.mp4 + vox_audio_00373.mp4",
			Shows: "two people in the picture"})
	}
	// Face swap midway: 2.6 s of one person then 2.6 s of another, digits on their speech.
	{
		cat := g.tmp("mp4")
		args := []string{"-nostdin", "-v", "error", "-y", "-t", "2.6", "-i", talk("vox_audio_00373.mp4"), "-t", "2.6", "-i", talk("vox_audio_00015.mp4"),
			"-filter_complex", "[0:v]scale=224:224,fps=25,setsar=1[v0];[1:v]scale=224:224,fps=25,setsar=1[v1];[0:a]aresample=16000,aformat=channel_layouts=mono[a0];[1:a]aresample=16000,aformat=channel_layouts=mono[a1];[v0][a0][v1][a1]concat=n=2:v=1:a=1[v][a]",
			"-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-c:a", "aac", cat}
		if err := run("ffmpeg", args...); err != nil {
			return nil, err
		}
		o, err := dub("face_swap", cat, "5162", esp(voice{"en-gb", 140, 50}), 0, mp4, "")
		if err != nil {
			return nil, err
		}
		add(Case{Name: "face_swap", File: o, Challenge: "5162", Preferences: 2, Want: "CHANGE_FACE_ATTACK", Voice: "espeak-ng -v en-gb -s 140", Source: "talking/vox_audio_00373.mp4 then vox_audio_00015.mp4",
			Shows: "the person changes half way through"})
	}
	// Durations.
	{
		o := out("too_short", mp4)
		if err := g.encode([]string{"-t", "1.2", "-i", g0.File}, "", "", mp4, o, "-map", "0:a:0"); err != nil {
			return nil, err
		}
		add(Case{Name: "too_short", File: o, Challenge: "4821", Preferences: 2, Want: "INVALID_VIDEO_DURATION", Source: g0.Source, Shows: "1.2 s clip"})
		o2 := out("too_long", mp4)
		if err := g.encode([]string{"-stream_loop", "2", "-i", talk("vox_input_00098.mp4")}, "", "", mp4, o2, "-map", "0:a:0", "-t", "24"); err != nil {
			return nil, err
		}
		add(Case{Name: "too_long", File: o2, Challenge: "4821", Preferences: 2, Want: "INVALID_VIDEO_DURATION", Source: "talking/vox_input_00098.mp4 looped", Shows: "24 s clip"})
	}
	// Audio only, corrupt, truncated.
	{
		a, err := g.digitsEven("4821", esp(v1), 4)
		if err != nil {
			return nil, err
		}
		o := filepath.Join(dir, "audio_only.m4a")
		if err := run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", a, "-c:a", "aac", o); err != nil {
			return nil, err
		}
		add(Case{Name: "audio_only", File: o, Challenge: "4821", Preferences: 2, Want: "VIDEO_FORMAT_UNSUPPORTED", Voice: v1.String(), Shows: "an audio file uploaded as the video"})
		b, err := os.ReadFile(g0.File)
		if err != nil {
			return nil, err
		}
		o2 := filepath.Join(dir, "truncated.mp4")
		if err := os.WriteFile(o2, b[:len(b)*6/10], 0o644); err != nil {
			return nil, err
		}
		add(Case{Name: "truncated_mp4", File: o2, Challenge: "4821", Preferences: 2, Want: "VIDEO_FORMAT_UNSUPPORTED", Source: g0.Source, Shows: "upload cut off (the moov box at the end is missing)"})
		junk := make([]byte, 200000)
		x := uint32(2463534242)
		for i := range junk {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			junk[i] = byte(x)
		}
		o3 := filepath.Join(dir, "garbage.webm")
		if err := os.WriteFile(o3, junk, 0o644); err != nil {
			return nil, err
		}
		add(Case{Name: "garbage", File: o3, Challenge: "4821", Preferences: 2, Want: "VIDEO_FORMAT_UNSUPPORTED", Shows: "random bytes"})
	}
	// Audio starts 1.5 s after the video.
	{
		o, err := dub("av_offset", talk("vox_input_00098.mp4"), "4821", esp(v1), 0, mp4, "", "-itsoffset", "1.5")
		if err != nil {
			return nil, err
		}
		add(Case{Name: "av_offset", File: o, Challenge: "4821", Preferences: 2, Want: "NOT_SYNCHRONIZED", Voice: v1.String(), Source: "talking/vox_input_00098.mp4", Shows: "audio track starts 1.5 s after the video track"})
	}
	// Dubbed: a real talking face with another real person's speech laid over it, and the
	// same face with its own speech (which passes the sync gate and then fails on digits).
	{
		o := out("dubbed_real_speech", mp4)
		if err := g.encode([]string{"-i", talk("vox_audio_00086.mp4")}, "", talk("vox_pose_731200067.mp4"), mp4, o); err != nil {
			return nil, err
		}
		add(Case{Name: "dubbed_real_speech", File: o, Challenge: "4821", Preferences: 2, Want: "LIP_VOICE_NOT_SYNC", Source: "video talking/vox_audio_00086.mp4, audio talking/vox_pose_731200067.mp4",
			Shows: "real talking face, another person's real speech over it (dubbing / replayed video)"})
		o2 := out("own_speech_no_digits", mp4)
		if err := g.encode([]string{"-i", talk("vox_input_00098.mp4")}, "", talk("vox_input_00098.mp4"), mp4, o2); err != nil {
			return nil, err
		}
		add(Case{Name: "own_speech_no_digits", File: o2, Challenge: "4821", Preferences: 2, Want: "SR_ERROR", Source: "talking/vox_input_00098.mp4 (own audio)",
			Shows: "real talking face with its own speech: passes the lip/voice checks, fails because no digits are read"})
	}
	// Low quality: very dark and blurred.
	{
		o, err := dub("dark_blurred", talk("vox_input_00010.mp4"), "4821", esp(v1), 0, mp4, "boxblur=6:2,eq=brightness=-0.30:contrast=0.5")
		if err != nil {
			return nil, err
		}
		add(Case{Name: "dark_blurred", File: o, Challenge: "4821", Preferences: 2, Want: "FACE_QUALITY_TOO_LOW", Voice: v1.String(), Source: "talking/vox_input_00010.mp4", Shows: "face too dark and blurred to use"})
	}
	os.RemoveAll(filepath.Join(dir, "work"))
	_ = strconv.Itoa
	return cases, nil
}

func runTo(w *os.File, name string, args ...string) error {
	cmd := execCommand(name, args...)
	cmd.Stdout = w
	return testenv.Run(cmd, 800)
}

func hasMap(a []string) bool {
	for _, s := range a {
		if s == "-map" {
			return true
		}
	}
	return false
}
