package verify_test

// Use-case tests of the verdict with a fake Engine: how a liveness report and the face
// comparisons compose into the session's verdict, retries and erasure — pure logic, no
// models. (The real engine is exercised end to end in httpapi.)

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/verify"
)

// fakeEngine returns the next queued liveness report and compares templates by their
// first value: a live template matches a reference whose first value is the same.
type fakeEngine struct {
	reports []*faceverify.Liveness
	checked []string // challenges the checks were run against
}

func (f *fakeEngine) ReferenceFace(_ context.Context, img []byte) ([]float32, error) {
	if len(img) == 0 || img[0] == 'x' {
		return nil, faceverify.Invalid("image", "no face")
	}
	return []float32{float32(img[0])}, nil
}

func (f *fakeEngine) CheckVideo(_ context.Context, path, challenge string, _ faceverify.LivenessOptions) (*faceverify.Liveness, error) {
	f.checked = append(f.checked, challenge)
	r := f.reports[0]
	f.reports = f.reports[1:]
	c := *r
	c.Challenge = challenge
	return &c, nil
}

func (f *fakeEngine) ReadIDCard(context.Context, string, []byte, float64) (*faceverify.IDCardRead, error) {
	return nil, faceverify.Errorf(faceverify.EINTERNAL, "no OCR in the fake")
}

func (f *fakeEngine) Compare(live, ref []float32, far string) faceverify.Comparison {
	same := len(live) > 0 && len(ref) > 0 && live[0] == ref[0]
	c := faceverify.Comparison{Threshold: 62, Passed: same}
	if same {
		c.Confidence = 90
	} else {
		c.Confidence = 10
	}
	return c
}

func live(face byte) *faceverify.Liveness {
	return &faceverify.Liveness{Result: faceverify.ResultVideoOK, Embedding: []float32{float32(face)}, BestImage: []byte("best frame")}
}

func failed(r faceverify.Result) *faceverify.Liveness { return &faceverify.Liveness{Result: r} }

// session opens a session (Lite, comparison against references unless opt says otherwise)
// and brings it to the video step.
func (fx *fixture) session(t *testing.T, opt faceverify.Options, refs ...[]byte) string {
	t.Helper()
	ctx := context.Background()
	// opt.LivenessRetries 0 (no retake): the first video is the only one
	ss, err := fx.svc.Create(ctx, fx.tenant, verify.CreateRequest{Dialect: faceverify.DialectLite, Options: opt, RefImages: refs})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := fx.svc.Page(ctx, ss.Token); err != nil || v.State != faceverify.StateLiveness {
		t.Fatalf("page: %v %v", v, err)
	}
	return ss.Token
}

// attempt uploads a video and runs the verdict job on it, as the job runner would.
func (fx *fixture) attempt(t *testing.T, token string) *faceverify.Session {
	t.Helper()
	ctx := context.Background()
	out, err := fx.svc.SubmitVideo(ctx, token, bytes.NewReader([]byte("video bytes")))
	if err != nil || !out.Result.IsZero() {
		t.Fatalf("upload: %+v %v", out, err)
	}
	if err := fx.svc.Decide(ctx, token, out.Session.PendingVideoKey); err != nil {
		t.Fatal(err)
	}
	ss, err := fx.store.Session(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func TestDecideVerdicts(t *testing.T) {
	ref := func(face byte) []byte { return []byte{face, 'j', 'p', 'g'} }
	cases := []struct {
		name    string
		opt     faceverify.Options
		refs    [][]byte
		reports []*faceverify.Liveness
		want    faceverify.Result
		state   faceverify.State
		compare []string // comparisons recorded in the verdict
	}{
		{name: "live and the same person", refs: [][]byte{ref(7)}, reports: []*faceverify.Liveness{live(7)},
			want: faceverify.ResultSuccess, state: faceverify.StateDone, compare: []string{"ref1"}},
		{name: "one of two references differs", refs: [][]byte{ref(7), ref(8)}, reports: []*faceverify.Liveness{live(7)},
			want: faceverify.ResultNotTheSame, state: faceverify.StateDone, compare: []string{"ref1", "ref2"}},
		{name: "live, no usable face template", refs: [][]byte{ref(7)},
			reports: []*faceverify.Liveness{{Result: faceverify.ResultVideoOK}}, want: faceverify.ResultNoFaceFound, state: faceverify.StateDone},
		{name: "liveness failure on the last attempt is the verdict", refs: [][]byte{ref(7)},
			reports: []*faceverify.Liveness{failed(faceverify.ResultFaceAttack)}, want: faceverify.ResultFaceAttack, state: faceverify.StateDone},
		{name: "a failed attempt with retries left, then success", opt: faceverify.Options{LivenessRetries: 2}, refs: [][]byte{ref(7)},
			reports: []*faceverify.Liveness{failed(faceverify.ResultSRError), live(7)}, want: faceverify.ResultSuccess,
			state: faceverify.StateDone, compare: []string{"ref1"}},
		{name: "registry: no entry for the number", opt: faceverify.Options{ComparisonType: faceverify.CompareRegistry,
			ClaimedName: "张三", ClaimedNumber: "110101199003074514"}, reports: []*faceverify.Liveness{live(7)},
			want: faceverify.ResultNoIDCardNumber, state: faceverify.StateDone},
		{name: "registry: name does not match", opt: faceverify.Options{ComparisonType: faceverify.CompareRegistry,
			ClaimedName: "李四", ClaimedNumber: "11010519491231002X"}, reports: []*faceverify.Liveness{live(7)},
			want: faceverify.ResultIDNumberNameNotMatch, state: faceverify.StateDone},
		{name: "registry: the same person", opt: faceverify.Options{ComparisonType: faceverify.CompareRegistry,
			ClaimedName: "张三", ClaimedNumber: "11010519491231002X"}, reports: []*faceverify.Liveness{live(7)},
			want: faceverify.ResultSuccess, state: faceverify.StateDone, compare: []string{"idcard"}},
		{name: "registry: another person", opt: faceverify.Options{ComparisonType: faceverify.CompareRegistry,
			ClaimedName: "张三", ClaimedNumber: "11010519491231002X"}, reports: []*faceverify.Liveness{live(9)},
			want: faceverify.ResultNotTheSame, state: faceverify.StateDone, compare: []string{"idcard"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eng := &fakeEngine{reports: c.reports}
			fx := newFixture(t, eng, verify.Config{})
			if err := fx.svc.Enrol(context.Background(), "张三", "11010519491231002X", ref(7)); err != nil {
				t.Fatal(err)
			}
			tok := fx.session(t, c.opt, c.refs...)
			var ss *faceverify.Session
			for i := range c.reports {
				ss = fx.attempt(t, tok)
				if i < len(c.reports)-1 {
					if ss.State != faceverify.StateLiveness || ss.LastAttempt == nil || ss.LastAttempt.Result != c.reports[i].Result {
						t.Fatalf("after attempt %d: %s %+v", i+1, ss.State, ss.LastAttempt)
					}
					if ss.Challenge == "" || ss.Challenge == eng.checked[i] {
						t.Fatalf("a retry must get a new challenge (%q after %q)", ss.Challenge, eng.checked[i])
					}
				}
			}
			if ss.State != c.state || ss.Verdict == nil || ss.Verdict.Result != c.want {
				t.Fatalf("state %s verdict %+v, want %s %v", ss.State, ss.Verdict, c.state, c.want)
			}
			if ss.PendingVideoKey != "" || ss.Verdict.DecidedAt.IsZero() || ss.Verdict.Liveness == nil {
				t.Fatalf("verdict record incomplete: pending %q %+v", ss.PendingVideoKey, ss.Verdict)
			}
			var got []string
			for k := range ss.Verdict.Verification {
				got = append(got, k)
			}
			if len(got) != len(c.compare) {
				t.Fatalf("comparisons %v, want %v", got, c.compare)
			}
			for _, k := range c.compare {
				if _, ok := ss.Verdict.Verification[k]; !ok {
					t.Fatalf("comparisons %v, want %v", got, c.compare)
				}
			}
			// the staged videos are gone once decided; the best frame is kept when liveness gave one
			keys, err := fx.blobs.List(context.Background(), "sessions/")
			if err != nil {
				t.Fatal(err)
			}
			best := false
			for _, k := range keys {
				if strings.Contains(k, "/video-") {
					t.Fatalf("staged video kept: %v", keys)
				}
				best = best || strings.HasSuffix(k, "/image_best.jpg")
			}
			if wantBest := len(c.reports[len(c.reports)-1].BestImage) > 0; best != wantBest {
				t.Fatalf("best frame stored %v, want %v (%v)", best, wantBest, keys)
			}
		})
	}
}

// A verdict job that fails for good ends the attempt with VIDEO_INTERNAL_ERROR, also when
// its update loses to a concurrent one: GiveUp runs once (nothing runs it again), so it
// re-reads the session and ends the attempt rather than leaving it in the deciding step.
func TestGiveUp(t *testing.T) {
	for _, conflict := range []bool{false, true} {
		fx := newFixture(t, &fakeEngine{}, verify.Config{})
		ctx := context.Background()
		tok := fx.session(t, faceverify.Options{}, []byte{7})
		out, err := fx.svc.SubmitVideo(ctx, tok, bytes.NewReader([]byte("video")))
		if err != nil {
			t.Fatal(err)
		}
		st := &conflictOnce{Store: fx.store, lost: !conflict}
		svc := verify.New(st, fx.blobs, &fakeEngine{}, fx.clock, nil, verify.Config{})
		if err := svc.GiveUp(ctx, tok, out.Session.PendingVideoKey, context.DeadlineExceeded); err != nil || !st.lost {
			t.Fatalf("give up (conflict %v): %v", conflict, err)
		}
		ss, _ := fx.store.Session(ctx, tok)
		if ss.State != faceverify.StateDone || ss.Verdict == nil || ss.Verdict.Result != faceverify.ResultVideoInternalError {
			t.Fatalf("conflict %v: %s %+v", conflict, ss.State, ss.Verdict)
		}
		// a late run of the same job finds the session decided and does nothing
		if err := fx.svc.Decide(ctx, tok, out.Session.PendingVideoKey); err != nil {
			t.Fatal(err)
		}
	}
}

// A video beyond the allowance while the last allowed one is being checked ends the session
// with VIDEO_MANY_TIMES; the pending verdict job then finds it decided (docs/lite.md).
func TestUploadBeyondAllowance(t *testing.T) {
	fx := newFixture(t, &fakeEngine{reports: []*faceverify.Liveness{live(7)}}, verify.Config{})
	ctx := context.Background()
	tok := fx.session(t, faceverify.Options{}, []byte{7}) // no retake: one video
	first, err := fx.svc.SubmitVideo(ctx, tok, bytes.NewReader([]byte("video 1")))
	if err != nil || first.Session.State != faceverify.StateDeciding {
		t.Fatalf("first: %+v %v", first, err)
	}
	pending := first.Session.PendingVideoKey
	out, err := fx.svc.SubmitVideo(ctx, tok, bytes.NewReader([]byte("video 2")))
	if err != nil || out.Result != faceverify.ResultVideoManyTimes || out.Session.State != faceverify.StateDone {
		t.Fatalf("beyond: %+v %v", out, err)
	}
	if err := fx.svc.Decide(ctx, tok, pending); err != nil {
		t.Fatal(err)
	}
	ss, _ := fx.store.Session(ctx, tok)
	if ss.Result() != faceverify.ResultVideoManyTimes {
		t.Fatalf("verdict %v", ss.Result())
	}
	if _, err := fx.svc.SubmitVideo(ctx, tok, bytes.NewReader([]byte("video 3"))); faceverify.ErrorCode(err) != faceverify.EUSED {
		t.Fatalf("after the end: %v", err)
	}
}

// An upload over the use case's limit is a failed attempt, not a transport error.
func TestOversizedVideoIsAnAttempt(t *testing.T) {
	fx := newFixture(t, &fakeEngine{}, verify.Config{MaxVideoBytes: 16})
	tok := fx.session(t, faceverify.Options{LivenessRetries: 2}, []byte{7})
	out, err := fx.svc.SubmitVideo(context.Background(), tok, bytes.NewReader(make([]byte, 17)))
	if err != nil || out.Result != faceverify.ResultVideoTooLarge || out.Session.Attempts != 1 || out.Session.State != faceverify.StateLiveness {
		t.Fatalf("%+v %v", out, err)
	}
}

// Re-enrolling a number replaces its photo and template: the old photo is erased with the
// entry it belonged to (privacy: nothing of a replaced entry stays behind).
func TestReEnrolErasesOldPhoto(t *testing.T) {
	fx := newFixture(t, &fakeEngine{}, verify.Config{})
	ctx := context.Background()
	const number = "11010519491231002X"
	if err := fx.svc.Enrol(ctx, "张三", number, []byte{7, 1}); err != nil {
		t.Fatal(err)
	}
	first, err := fx.store.RegistryEntry(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Enrol(ctx, "张三", number, []byte{9, 2}); err != nil {
		t.Fatal(err)
	}
	second, err := fx.store.RegistryEntry(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if second.PhotoKey == first.PhotoKey || len(second.Embedding) != 1 || second.Embedding[0] != 9 {
		t.Fatalf("entry not replaced: %+v", second)
	}
	keys, err := fx.blobs.List(ctx, "registry/")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != second.PhotoKey {
		t.Fatalf("registry photos %v, want only %s", keys, second.PhotoKey)
	}
	if data, err := fx.blobs.Get(ctx, second.PhotoKey); err != nil || !bytes.Equal(data, []byte{9, 2}) {
		t.Fatalf("new photo: %v %v", data, err)
	}
	// a refused photo changes nothing
	if err := fx.svc.Enrol(ctx, "张三", number, []byte("x")); err == nil {
		t.Fatal("a photo without a face was enrolled")
	}
	if keys, _ := fx.blobs.List(ctx, "registry/"); len(keys) != 1 {
		t.Fatalf("after a refused enrolment: %v", keys)
	}
}

// failDelete is a blob store whose deletes fail.
type failDelete struct{ faceverify.BlobStore }

func (failDelete) Delete(context.Context, string) error { return errors.New("disk gone") }

// A staged video that will not be decided is deleted; when the delete fails, the failure
// is logged (never dropped) and the upload's outcome is unchanged.
func TestRefusedUploadDeleteFailureIsLogged(t *testing.T) {
	fx := newFixture(t, &fakeEngine{}, verify.Config{MaxVideoBytes: 16})
	var logs bytes.Buffer
	fx.svc = verify.New(fx.store, failDelete{fx.blobs}, &fakeEngine{}, fx.clock,
		slog.New(slog.NewTextHandler(&logs, nil)), verify.Config{MaxVideoBytes: 16})
	tok := fx.session(t, faceverify.Options{LivenessRetries: 2}, []byte{7})
	ctx := context.Background()
	if _, err := fx.svc.SubmitVideo(ctx, tok, bytes.NewReader(nil)); faceverify.ErrorCode(err) != faceverify.EMISSING {
		t.Fatalf("empty upload: %v", err)
	}
	out, err := fx.svc.SubmitVideo(ctx, tok, bytes.NewReader(make([]byte, 17)))
	if err != nil || out.Result != faceverify.ResultVideoTooLarge {
		t.Fatalf("oversized: %+v %v", out, err)
	}
	if n := strings.Count(logs.String(), "staged video not deleted"); n != 2 || !strings.Contains(logs.String(), "disk gone") {
		t.Fatalf("want 2 logged delete failures, got %d:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), tok) {
		t.Fatalf("the log holds the whole token:\n%s", logs.String())
	}
}

// conflictOnce is a store whose first session update loses to a concurrent one (none does
// when lost is set from the start).
type conflictOnce struct {
	faceverify.Store
	lost bool
}

func (c *conflictOnce) UpdateSession(ctx context.Context, ss *faceverify.Session, jobs ...faceverify.Job) error {
	if !c.lost {
		c.lost = true
		return faceverify.Errorf(faceverify.ECONFLICT, "session changed")
	}
	return c.Store.UpdateSession(ctx, ss, jobs...)
}

// An oversized upload's failed attempt survives a lost update: the use case re-reads the
// session and applies the attempt again, as the other retrying use cases do.
func TestOversizedVideoRetriesAConflict(t *testing.T) {
	fx := newFixture(t, &fakeEngine{}, verify.Config{MaxVideoBytes: 16})
	tok := fx.session(t, faceverify.Options{LivenessRetries: 2}, []byte{7})
	st := &conflictOnce{Store: fx.store}
	svc := verify.New(st, fx.blobs, &fakeEngine{}, fx.clock, nil, verify.Config{MaxVideoBytes: 16})
	out, err := svc.SubmitVideo(context.Background(), tok, bytes.NewReader(make([]byte, 17)))
	if err != nil || !st.lost || out.Result != faceverify.ResultVideoTooLarge || out.Session.Attempts != 1 {
		t.Fatalf("%+v %v (conflict injected: %v)", out, err, st.lost)
	}
	if ss, _ := fx.store.Session(context.Background(), tok); ss.Attempts != 1 || ss.State != faceverify.StateLiveness {
		t.Fatalf("stored: attempts %d state %s", ss.Attempts, ss.State)
	}
}

// history checks a session's stored state changes: a chain from creation to the session's
// state (each change starts where the last ended) with the events in order.
func history(t *testing.T, fx *fixture, tok string, events ...string) []faceverify.StateChange {
	t.Helper()
	ctx := context.Background()
	ss, err := fx.store.Session(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	h, err := fx.store.StateChanges(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	prev := faceverify.State("")
	for _, c := range h {
		if c.From != prev {
			t.Fatalf("history breaks at %+v (previous state %q): %+v", c, prev, h)
		}
		prev = c.To
		got = append(got, c.Event+"/"+c.Actor)
	}
	if prev != ss.State {
		t.Fatalf("history ends in %q, the session is %s: %v", prev, ss.State, got)
	}
	if strings.Join(got, " ") != strings.Join(events, " ") {
		t.Fatalf("history %v\nwant    %v", got, events)
	}
	return h
}

// Every transition a use case makes is in the stored history with its cause.
func TestStateHistory(t *testing.T) {
	ctx := context.Background()
	const (
		api  = "/" + faceverify.ActorAPI
		page = "/" + faceverify.ActorPage
		job  = "/" + faceverify.ActorJob
	)
	t.Run("a failed attempt, then a verdict", func(t *testing.T) {
		fx := newFixture(t, &fakeEngine{reports: []*faceverify.Liveness{
			{Result: faceverify.ResultSRError, Rule: "digits: 2 of 4"}, live(7)}}, verify.Config{})
		tok := fx.session(t, faceverify.Options{LivenessRetries: 1}, []byte{7})
		fx.attempt(t, tok)
		fx.attempt(t, tok)
		h := history(t, fx, tok, faceverify.CauseCreated+api, faceverify.CausePageOpened+page,
			faceverify.CauseVideoUploaded+page, faceverify.CauseAttemptFailed+job,
			faceverify.CauseVideoUploaded+page, faceverify.CauseVerdict+job)
		if f := h[3]; f.Result != faceverify.ResultSRError || f.Detail != "digits: 2 of 4" {
			t.Fatalf("failed attempt: %+v", f)
		}
		if v := h[5]; v.Result != faceverify.ResultSuccess || v.To != faceverify.StateDone || h[4].Detail != "video 2" {
			t.Fatalf("verdict: %+v / %+v", v, h[4])
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		fx := newFixture(t, &fakeEngine{}, verify.Config{})
		tok := fx.session(t, faceverify.Options{}, []byte{7})
		if _, err := fx.svc.Cancel(ctx, tok); err != nil {
			t.Fatal(err)
		}
		h := history(t, fx, tok, faceverify.CauseCreated+api, faceverify.CausePageOpened+page, faceverify.CauseCancelled+page)
		if h[2].Result != faceverify.ResultUserCancel {
			t.Fatalf("cancel: %+v", h[2])
		}
	})
	t.Run("verdict job gave up", func(t *testing.T) {
		fx := newFixture(t, &fakeEngine{}, verify.Config{})
		tok := fx.session(t, faceverify.Options{}, []byte{7})
		out, err := fx.svc.SubmitVideo(ctx, tok, bytes.NewReader([]byte("video")))
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.svc.GiveUp(ctx, tok, out.Session.PendingVideoKey, context.DeadlineExceeded); err != nil {
			t.Fatal(err)
		}
		history(t, fx, tok, faceverify.CauseCreated+api, faceverify.CausePageOpened+page,
			faceverify.CauseVideoUploaded+page, faceverify.CauseJobGaveUp+job)
	})
	t.Run("expired by the sweep, by the page, by get_result", func(t *testing.T) {
		fx := newFixture(t, &fakeEngine{}, verify.Config{})
		sweep := fx.session(t, faceverify.Options{}, []byte{7})
		pageTok, err := fx.svc.Create(ctx, fx.tenant, verify.CreateRequest{Dialect: faceverify.DialectLite, RefImages: [][]byte{{7}}})
		if err != nil {
			t.Fatal(err)
		}
		apiTok, err := fx.svc.Create(ctx, fx.tenant, verify.CreateRequest{Dialect: faceverify.DialectLite, RefImages: [][]byte{{7}}})
		if err != nil {
			t.Fatal(err)
		}
		fx.clock.Advance(2 * time.Hour)
		if _, err := fx.svc.Page(ctx, pageTok.Token); faceverify.ErrorCode(err) != faceverify.EEXPIRED {
			t.Fatalf("page: %v", err)
		}
		if _, err := fx.svc.Result(ctx, fx.tenant, faceverify.DialectLite, apiTok.Token); err != nil {
			t.Fatal(err)
		}
		if n, _, err := fx.svc.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep expired %d: %v", n, err)
		}
		history(t, fx, sweep, faceverify.CauseCreated+api, faceverify.CausePageOpened+page, faceverify.CauseExpired+"/"+faceverify.ActorSweep)
		history(t, fx, pageTok.Token, faceverify.CauseCreated+api, faceverify.CauseExpired+page)
		history(t, fx, apiTok.Token, faceverify.CauseCreated+api, faceverify.CauseExpired+api)
	})
	t.Run("erased with the session", func(t *testing.T) {
		fx := newFixture(t, &fakeEngine{}, verify.Config{})
		tok := fx.session(t, faceverify.Options{}, []byte{7})
		if err := fx.svc.Delete(ctx, fx.tenant, faceverify.DialectLite, tok); err != nil {
			t.Fatal(err)
		}
		if h, err := fx.store.StateChanges(ctx, tok); err != nil || len(h) != 0 {
			t.Fatalf("history after erasure: %+v %v", h, err)
		}
	})
}
