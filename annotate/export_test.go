package annotate

import "database/sql"

// SQLForTest returns the database handles behind the write pool and the
// read pool, so that tests can look at rows and pragmas directly.
func (s *Store) SQLForTest() (write, read *sql.DB) {
	write, _ = s.db.DB()
	read, _ = s.rdb.DB()
	return write, read
}
