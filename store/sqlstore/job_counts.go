package sqlstore

import (
	"context"
	"time"

	"github.com/faceverify/faceverify"
)

var _ faceverify.JobCounter = (*Store)(nil)

// JobCounts counts the queued, running and failed jobs by kind, with the oldest of each:
// queued by due time, running by claim time (the metrics' queue depth and job age).
func (s *Store) JobCounts(ctx context.Context) ([]faceverify.JobCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, state, COUNT(*),
		MIN(CASE state WHEN 'queued' THEN run_at WHEN 'running' THEN updated_at ELSE created_at END)
		FROM jobs WHERE state IN ('queued', 'running', 'failed') GROUP BY kind, state ORDER BY kind, state`)
	return collect(rows, err, func(row scanner) (faceverify.JobCount, error) {
		var c faceverify.JobCount
		var oldest int64
		err := row.Scan(&c.Kind, &c.State, &c.Count, &oldest)
		c.Oldest = time.UnixMilli(oldest)
		return c, err
	})
}
