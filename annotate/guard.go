package annotate

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Every versioned write in Concord is one statement whose WHERE clause holds
// what the write depends on — the version being replaced, the paragraph
// still current, the schema still current — and is judged by the rows it
// changed: 1 means it applied, 0 that something changed since it was read
// (errStale), and the caller reads again to report the conflict or try once
// more. The statements are the same on SQLite and PostgreSQL, with one
// difference in how the guard's rows are held:
//
//   - SQLite runs one write transaction at a time (see writer.go), so a
//     guard evaluated inside the write is never stale.
//   - PostgreSQL runs writes side by side under READ COMMITTED. A guard that
//     only read the paragraph or schema row could pass while a re-import or
//     schema apply is changing that row, and the write would land after the
//     other transaction had read the labels it carries over or converts. So
//     on PostgreSQL the guard's sub-selects lock the rows they read FOR
//     SHARE. A re-import marks the old paragraphs not current, and a schema
//     apply marks the current schema version superseded, before reading any
//     labels; those updates wait for saves that hold the rows and make saves
//     that come later wait, and a save that waited re-checks the row as the
//     other transaction left it (PostgreSQL's rule for locked rows under
//     READ COMMITTED), finds it no longer current and fails its guard.
//     Either the save lands before the re-import or apply reads the labels,
//     or it is refused and retried against the new state. Shared row locks
//     do not make saves wait for each other.

// guardStatements are the guarded statements of the store, written for its
// dialect.
type guardStatements struct {
	putInsert, putInsertSkipped string
	putUpdate, putUpdateSkipped string
	annotationDelete            string
	goldInsert, goldUpdate      string
	// putInsertRecorded and putUpdateRecorded (PostgreSQL only) are
	// putInsert and putUpdate with the history row written by the same
	// statement, through a data-modifying WITH: a save is then one
	// statement that commits by itself, one round trip where BEGIN, the
	// write, the history insert and COMMIT would be four. SQLite has no
	// data-modifying WITH, and there the transaction costs no round trips.
	putInsertRecorded, putUpdateRecorded string
	// saveBatchCreate and saveBatchUpdate (PostgreSQL only) write a batch
	// of saves in one statement (see savebatch.go): first inserts, or
	// updates guarded by the version each save names and by labels that
	// differ from the stored ones, each with its history row. Each row's
	// guard checks its request's credential too, by its kind: none, a
	// token, or a session (see credential.go).
	saveBatchCreate, saveBatchUpdate string
}

// newGuardStatements writes the guarded statements for a dialect.
func newGuardStatements(dialect string) guardStatements {
	// A write that adds or removes an annotation changes its paragraph's
	// count (counts.go): on PostgreSQL it locks the paragraph row FOR NO
	// KEY UPDATE from the start, as the count's update would take it anyway
	// and two saves upgrading shared locks on one row would deadlock.
	lock, write := "", ""
	if dialect == "postgres" {
		lock, write = " FOR SHARE", " FOR NO KEY UPDATE"
	}
	// The schema version read is the current one; the paragraph (id, true)
	// is current. Rows are locked in the same order everywhere — schema,
	// then document or paragraph — so that writes never wait on each other
	// in a circle; should the planner evaluate them the other way round,
	// PostgreSQL's deadlock detection ends one and the write is tried
	// again (see isTransient).
	guard := func(paragraphLock string) string {
		return "EXISTS (SELECT 1 FROM schema_versions WHERE version = ? AND superseded_at IS NULL" + lock + ")" +
			" AND EXISTS (SELECT 1 FROM paragraphs WHERE id = ? AND is_current = ?" + paragraphLock + ")"
	}
	current, adding := guard(lock), guard(write)
	// The user has not skipped the paragraph since the save read it.
	const skip = " AND NOT EXISTS (SELECT 1 FROM skips WHERE paragraph_id = ? AND user_id = ?)"
	noSkip, addingNoSkip := current+skip, adding+skip
	insert := "INSERT INTO annotations (paragraph_id, user_id, labels, version, schema_version, created_at, updated_at) SELECT ?, ?, ?, ?, ?, ?, ? WHERE "
	update := "UPDATE annotations SET labels = ?, version = ?, schema_version = ?, updated_at = ? WHERE id = ? AND version = ? AND "
	// The history row of a save: at, user, paragraph, action, before,
	// after, with the annotation's id from the write.
	recorded := func(write string) string {
		return "WITH w AS (" + write + " RETURNING id) INSERT INTO history (at, user_id, entity, entity_id, paragraph_id, action, before_value, after_value) SELECT ?, ?, 'annotation', w.id, ?, ?, ?, ? FROM w RETURNING entity_id"
	}
	var insertRecorded, updateRecorded string
	var batchCreate, batchUpdate string
	if dialect == "postgres" {
		insertRecorded, updateRecorded = recorded(insert+addingNoSkip), recorded(update+noSkip)
		// One row per save, numbered in the order given (by paragraph).
		const input = "WITH input AS (SELECT * FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS timestamptz[]), CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[])) WITH ORDINALITY AS i(paragraph_id, user_id, version, labels, at, kind, hash, role, ord))"
		// The schema version (the statement's last argument) is current,
		// and each row's paragraph is current and not skipped by its user.
		rowGuard := func(paragraphLock string) string {
			return "EXISTS (SELECT 1 FROM schema_versions WHERE version = CAST(? AS bigint) AND superseded_at IS NULL" + lock + ")" +
				" AND EXISTS (SELECT 1 FROM paragraphs WHERE id = i.paragraph_id AND is_current" + paragraphLock + ")" +
				" AND NOT EXISTS (SELECT 1 FROM skips WHERE skips.paragraph_id = i.paragraph_id AND skips.user_id = i.user_id)" +
				" AND " + batchProofGuard
		}
		batchCreate = input + ", w AS (INSERT INTO annotations (paragraph_id, user_id, labels, version, schema_version, created_at, updated_at)" +
			" SELECT i.paragraph_id, i.user_id, i.labels, 1, CAST(? AS bigint), i.at, i.at FROM input i WHERE " + rowGuard(write) +
			" ON CONFLICT DO NOTHING RETURNING id, paragraph_id, user_id, labels, created_at)," +
			" h AS (INSERT INTO history (at, user_id, entity, entity_id, paragraph_id, action, before_value, after_value) SELECT w.created_at, w.user_id, 'annotation', w.id, w.paragraph_id, 'create', NULL, w.labels FROM w)" +
			" SELECT i.ord, w.id, w.created_at FROM w JOIN input i ON i.paragraph_id = w.paragraph_id AND i.user_id = w.user_id"
		// The stored row at the named version gives the history its
		// "before"; the update's own guard (version, labels differ)
		// decides.
		batchUpdate = input + ", old AS (SELECT a.id, a.labels, i.ord FROM input i JOIN annotations a ON a.paragraph_id = i.paragraph_id AND a.user_id = i.user_id AND a.version = i.version)," +
			" w AS (UPDATE annotations SET labels = i.labels, version = i.version + 1, schema_version = CAST(? AS bigint), updated_at = i.at FROM old JOIN input i ON i.ord = old.ord" +
			" WHERE annotations.id = old.id AND annotations.version = i.version AND annotations.labels <> i.labels AND " + rowGuard(lock) +
			" RETURNING i.ord, annotations.id, annotations.created_at, annotations.paragraph_id, annotations.user_id, i.at, old.labels AS before, i.labels AS after)," +
			" h AS (INSERT INTO history (at, user_id, entity, entity_id, paragraph_id, action, before_value, after_value) SELECT w.at, w.user_id, 'annotation', w.id, w.paragraph_id, 'update', w.before, w.after FROM w)" +
			" SELECT w.ord, w.id, w.created_at FROM w"
	}
	return guardStatements{
		saveBatchCreate:   batchCreate,
		saveBatchUpdate:   batchUpdate,
		putInsertRecorded: insertRecorded,
		putUpdateRecorded: updateRecorded,
		putInsert:         insert + addingNoSkip,
		putInsertSkipped:  insert + adding,
		putUpdate:         update + noSkip,
		putUpdateSkipped:  update + current,
		// A removal needs only the paragraph current: the labels it
		// removes are in the history whatever the schema.
		annotationDelete: "DELETE FROM annotations WHERE id = ? AND version = ? AND EXISTS (SELECT 1 FROM paragraphs WHERE id = ? AND is_current = ?" + write + ")",
		goldInsert:       "INSERT INTO golds (paragraph_id, labels, version, method, decided_by, decided_at) SELECT ?, ?, ?, ?, ?, ? WHERE " + current,
		goldUpdate:       "UPDATE golds SET labels = ?, version = ?, method = ?, decided_by = ?, decided_at = ? WHERE id = ? AND version = ? AND " + current,
	}
}

// insertGuarded runs a guarded INSERT … SELECT … WHERE guard and returns
// the new row's id. A guard that fails, or a unique key already taken by a
// write that came first, is errStale.
func (s *Store) insertGuarded(tx *gorm.DB, insert string, args ...any) (int64, error) {
	var id int64
	var err error
	if s.dialect == "sqlite" {
		// SQLite reports the new id without RETURNING, which costs it a
		// temporary result table.
		var res sql.Result
		if res, err = tx.Statement.ConnPool.ExecContext(tx.Statement.Context, insert, args...); err == nil {
			var n int64
			if n, err = res.RowsAffected(); err == nil && n == 0 {
				err = sql.ErrNoRows
			} else if err == nil {
				id, err = res.LastInsertId()
			}
		}
	} else {
		err = tx.Raw(insert+" RETURNING id", args...).Row().Scan(&id)
	}
	if isUniqueViolation(err) || errors.Is(err, sql.ErrNoRows) {
		return 0, errStale
	}
	return id, err
}

// lockRow returns tx with its next query locking the rows it reads, in the
// given strength ("UPDATE" or "SHARE"), on PostgreSQL; SQLite, whose
// writes run one at a time, needs no row locks.
func (s *Store) lockRow(tx *gorm.DB, strength string) *gorm.DB {
	if s.dialect != "postgres" {
		return tx
	}
	return tx.Clauses(clause.Locking{Strength: strength})
}

// retryable reports whether a guarded write should be tried again: its
// guard failed, or PostgreSQL ended its transaction to break a deadlock or
// a serialization failure.
func retryable(err error) bool {
	return errors.Is(err, errStale) || isTransient(err)
}

// isTransient reports whether err is PostgreSQL ending a transaction that
// may succeed when run again: a deadlock (40P01) or a serialization failure
// (40001).
func isTransient(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// writeRecorded runs one of the statements that write and record a save at
// once, outside any transaction, and returns the annotation's id. A guard
// that fails, or a unique key already taken, is errStale.
func (s *Store) writeRecorded(ctx context.Context, stmt string, args ...any) (int64, error) {
	var id int64
	err := s.db.WithContext(ctx).Raw(stmt, args...).Row().Scan(&id)
	if isUniqueViolation(err) || errors.Is(err, sql.ErrNoRows) {
		return 0, errStale
	}
	if err != nil {
		return 0, translate(err)
	}
	return id, nil
}

// currentSchema returns the current schema: from the cache, or, when fresh
// is set (after a guard failed), as the database has it now.
func (s *Store) currentSchema(ctx context.Context, fresh bool) (*Schema, error) {
	if fresh {
		return s.schemaIn(s.read(ctx))
	}
	return s.Schema(ctx)
}
