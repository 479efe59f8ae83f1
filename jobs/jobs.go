// Package jobs runs background work from the store's job table: verdicts and callbacks.
// Workers claim due jobs with a lease (a job whose worker dies is claimed again when the
// lease runs out), run the handler for the job's kind, and record each attempt; failures
// are retried with exponential backoff and full jitter until the kind's policy gives up.
// The same runner serves in-process workers (`serve --workers N`) and separate processes
// (`faceverify worker`). It does not know what the jobs do.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/faceverify/faceverify"
)

// Handler runs one job; detail describes the attempt (e.g. "HTTP 200").
type Handler func(ctx context.Context, j faceverify.Job) (detail string, err error)

// Policy says how a kind of job is retried.
type Policy struct {
	Base     time.Duration // first retry delay
	Max      time.Duration // cap of one delay
	GiveUp   time.Duration // no retry once the job is older than this (0: only MaxAttempts counts)
	Timeout  time.Duration // one attempt's time limit
	OnGiveUp func(ctx context.Context, j faceverify.Job, err error)
}

// Backoff returns the delay before retry number attempt (1-based), with full jitter.
func (p Policy) Backoff(attempt int) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	// full jitter in [d/2, d]: keeps retries spread without collapsing to zero
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Runner claims and runs jobs.
type Runner struct {
	Store    faceverify.Store
	Clock    faceverify.Clock
	Log      *slog.Logger
	Workers  int           // concurrent jobs
	Poll     time.Duration // idle polling interval
	Lease    time.Duration // claim lease; must exceed the longest attempt
	handlers map[string]Handler
	policies map[string]Policy
	wake     chan struct{}
	name     string
}

// New returns a runner with sensible defaults.
func New(store faceverify.Store, clock faceverify.Clock, log *slog.Logger, workers int) *Runner {
	host, _ := os.Hostname()
	if clock == nil {
		clock = faceverify.SystemClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{Store: store, Clock: clock, Log: log, Workers: workers, Poll: time.Second, Lease: 2 * time.Minute,
		handlers: map[string]Handler{}, policies: map[string]Policy{}, wake: make(chan struct{}, 1),
		name: fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))}
}

// Handle registers the handler and retry policy of a kind.
func (r *Runner) Handle(kind string, p Policy, h Handler) {
	if p.Base == 0 {
		p.Base = time.Second
	}
	if p.Max == 0 {
		p.Max = time.Hour
	}
	if p.Timeout == 0 {
		p.Timeout = r.Lease / 2
	}
	if limit := r.Lease * 4 / 5; p.Timeout > limit {
		p.Timeout = limit // an attempt must end before its lease does, or it could run twice at once
	}
	r.handlers[kind] = h
	r.policies[kind] = p
}

// Wake makes idle workers look for jobs now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx is done, then waits for running jobs to finish.
func (r *Runner) Run(ctx context.Context) {
	if r.Workers <= 0 {
		return
	}
	kinds := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		kinds = append(kinds, k)
	}
	sem := make(chan struct{}, r.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		free := r.Workers - len(sem)
		var claimed []faceverify.Job
		if free > 0 {
			var err error
			claimed, err = r.Store.ClaimJobs(ctx, kinds, r.name, free, r.Lease)
			if err != nil && ctx.Err() == nil {
				r.Log.Error("claim jobs", "err", err)
			}
		}
		for _, j := range claimed {
			sem <- struct{}{}
			wg.Add(1)
			go func(j faceverify.Job) {
				defer func() { <-sem; wg.Done(); r.Wake() }()
				r.run(context.WithoutCancel(ctx), j)
			}(j)
		}
		if len(claimed) > 0 && len(claimed) == free {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-time.After(r.Poll):
		}
	}
}

// RunOnce claims and runs due jobs until none is left (tests, admin commands).
func (r *Runner) RunOnce(ctx context.Context) int {
	kinds := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		kinds = append(kinds, k)
	}
	n := 0
	for {
		jobs, err := r.Store.ClaimJobs(ctx, kinds, r.name, 1, r.Lease)
		if err != nil || len(jobs) == 0 {
			return n
		}
		r.run(ctx, jobs[0])
		n++
	}
}

func (r *Runner) run(ctx context.Context, j faceverify.Job) {
	h, p := r.handlers[j.Kind], r.policies[j.Kind]
	start := r.Clock.Now()
	if j.MaxAttempts > 0 && j.Attempt >= j.MaxAttempts {
		// every attempt was lost with its worker (the store counts a lease that ran out):
		// the job crashes or hangs whoever runs it. Give it up without running it again.
		err := fmt.Errorf("jobs: all %d attempts lost with their worker (it crashed or hung)", j.Attempt)
		r.Log.Error("job given up", "kind", j.Kind, "job", j.ID, "err", err)
		last := j
		last.Attempt-- // the attempt recorded is the last one lost
		if ferr := r.Store.FinishJob(ctx, last, faceverify.JobAttempt{JobID: j.ID, Attempt: j.Attempt, At: start}, err, time.Time{}); ferr != nil {
			r.Log.Error("finish job", "job", j.ID, "err", ferr)
			return
		}
		if p.OnGiveUp != nil {
			p.OnGiveUp(ctx, j, err)
		}
		return
	}
	actx, cancel := context.WithTimeout(ctx, p.Timeout)
	detail, err := safeCall(actx, h, j)
	cancel()
	a := faceverify.JobAttempt{JobID: j.ID, Attempt: j.Attempt + 1, At: start, Detail: detail, Duration: r.Clock.Now().Sub(start)}
	var retryAt time.Time
	if err != nil {
		now := r.Clock.Now()
		tooOld := p.GiveUp > 0 && now.Sub(j.CreatedAt) >= p.GiveUp
		if j.Attempt+1 < j.MaxAttempts && !tooOld && !Permanent(err) {
			retryAt = now.Add(p.Backoff(j.Attempt + 1))
		}
		r.Log.Warn("job attempt failed", "kind", j.Kind, "job", j.ID, "attempt", j.Attempt+1, "detail", detail, "err", err, "retry_at", retryAt)
	}
	if ferr := r.Store.FinishJob(ctx, j, a, err, retryAt); ferr != nil {
		r.Log.Error("finish job", "job", j.ID, "err", ferr) // the lease will expire and the job run again
		return
	}
	if err != nil && retryAt.IsZero() && p.OnGiveUp != nil {
		p.OnGiveUp(ctx, j, err)
	}
}

// Permanent reports whether err says retrying cannot help (an error in its chain has a
// Permanent() bool method returning true, e.g. notify's guard refusals); such a job fails
// at once instead of being retried.
func Permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

func safeCall(ctx context.Context, h Handler, j faceverify.Job) (detail string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("job handler panic: %v", v)
		}
	}()
	return h(ctx, j)
}
