package postgres

import "context"

// DeleteRegistryEntry removes the embedded registry entry of number (erasure); ENOTFOUND
// when there is none. The photo blob is the caller's (verify) to delete.
func (s *Store) DeleteRegistryEntry(ctx context.Context, number string) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM registry WHERE number_index = $1`, s.box.Index(number))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("registry entry")
	}
	return nil
}
