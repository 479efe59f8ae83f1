package sqlstore

import (
	"context"
	"time"

	"github.com/faceverify/faceverify"
)

var _ faceverify.JobCounter = (*Store)(nil)

// jobCountsQuery: the job states from the domain constants, never retyped.
var jobCountsQuery = `SELECT kind, state, COUNT(*),
		MIN(CASE state WHEN ` + quoted(faceverify.JobQueued) + ` THEN run_at WHEN ` + quoted(faceverify.JobRunning) + ` THEN updated_at ELSE created_at END)
		FROM jobs WHERE state IN (` + quoted(faceverify.JobQueued, faceverify.JobRunning, faceverify.JobFailed) + `) GROUP BY kind, state ORDER BY kind, state`

// JobCounts counts the queued, running and failed jobs by kind, with the oldest of each:
// queued by due time, running by claim time (the metrics' queue depth and job age).
func (s *Store) JobCounts(ctx context.Context) ([]faceverify.JobCount, error) {
	rows, err := s.r.QueryContext(ctx, jobCountsQuery)
	return collect(rows, err, func(row scanner) (faceverify.JobCount, error) {
		var c faceverify.JobCount
		var oldest int64
		err := row.Scan(&c.Kind, &c.State, &c.Count, &oldest)
		c.Oldest = time.UnixMilli(oldest)
		return c, err
	})
}
