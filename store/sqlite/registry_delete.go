package sqlite

import "context"

// DeleteRegistryEntry removes the embedded registry entry of number (erasure); ENOTFOUND
// when there is none. The photo blob is the caller's (verify) to delete.
func (s *Store) DeleteRegistryEntry(ctx context.Context, number string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM registry WHERE number_index = ?`, s.box.Index(number))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("registry entry")
	}
	return nil
}
