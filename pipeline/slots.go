package pipeline

import (
	"context"
	"runtime"
)

// Slots is the one bound on model work running at once in a process: verdicts, ID card
// reads and reference-photo checks each hold a slot while they run, so a burst of uploads
// queues (in the job table for verdicts, in the request for the synchronous reads) instead
// of oversubscribing the cores and holding every clip's frames in memory at once.
type Slots struct{ c chan struct{} }

// NewSlots returns n slots (n < 1: one per core, GOMAXPROCS).
func NewSlots(n int) *Slots {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return &Slots{c: make(chan struct{}, n)}
}

// Acquire waits for a free slot (or ctx) and returns the function that frees it.
func (s *Slots) Acquire(ctx context.Context) (release func(), err error) {
	if s == nil {
		return func() {}, nil
	}
	select {
	case s.c <- struct{}{}:
		return func() { <-s.c }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Cap is the number of slots; Busy how many are held now.
func (s *Slots) Cap() int  { return cap(s.c) }
func (s *Slots) Busy() int { return len(s.c) }
