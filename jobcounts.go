package faceverify

import (
	"context"
	"time"
)

// JobCount is the number of jobs of one kind in one state, with the oldest of them: for
// queued jobs the earliest due time (RunAt), for running ones the earliest claim (UpdatedAt).
type JobCount struct {
	Kind   string
	State  string
	Count  int
	Oldest time.Time
}

// JobCounter is implemented by stores that can count their live jobs cheaply (queued,
// running and failed ones, from an index); the metrics adapter reads it at scrape time.
type JobCounter interface {
	JobCounts(ctx context.Context) ([]JobCount, error)
}
