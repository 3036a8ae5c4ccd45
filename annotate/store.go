package annotate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store keeps Concord's data in SQLite (the default: one file, nothing to
// set up) or PostgreSQL. It issues no dialect-specific SQL; the choice of
// driver is made in Open alone.
type Store struct {
	// growth counts the paragraphs imported, for analyzeGrowth.
	growth growth
	// db takes every write. For SQLite it holds one connection: SQLite has a
	// single write lock, and writers queueing in Go's pool are served in
	// order, where writers queueing on the lock would retry on a busy
	// timeout and push the tail latency up several times over.
	db *gorm.DB
	// rdb serves reads. For SQLite it is a second pool of query-only
	// connections: in WAL mode readers never wait for the writer, so a long
	// export does not stall annotators. For PostgreSQL it is db itself.
	rdb     *gorm.DB
	dialect string
	// stmt holds the guarded write statements for the dialect.
	stmt        guardStatements
	now         func() time.Time
	schemas     schemaCache
	reports     reportCache
	labels      labelCache
	suggestions suggestionCache
	// credentials remembers whose each token and session is; see
	// credential.go.
	credentials credentialCache
	// loginSweep is when (Unix milliseconds) this store last deleted the
	// forgotten login counts; see sweepLogins.
	loginSweep atomic.Int64
	// writer (SQLite only) runs every write transaction; see writer.go.
	writer *writer
	// wpool and rpool (SQLite only) keep prepared statements for db and
	// rdb; see stmtpool.go.
	wpool, rpool *stmtPool
	// pgsql (PostgreSQL only) is db's own connection pool: the statements
	// every request makes (the credential check, the save) go to it
	// directly with their placeholders numbered once (see rebound), where
	// GORM would parse each statement anew on every call.
	pgsql *sql.DB
	// saves (PostgreSQL only) writes the common saves in batches; see
	// savebatch.go.
	saves *saveBatcher
	// rebinds holds each statement given to pgsql, by its "?" form.
	rebinds sync.Map
	// annotators remembers the ids of the users labelled imports found by
	// name (see ensureAnnotator).
	annotators sync.Map
	// checkpoints (SQLite only) moves committed pages from the WAL into
	// the database file; see checkpoint.go.
	checkpoints *checkpointer
	// consensusRunning holds a token while a consensus run is computed, so
	// that requests arriving together compute it once; see Consensus.
	consensusRunning chan struct{}
	// consensusPause spaces out the consensus runs pages start in the
	// background; see Consensus.
	consensusPause consensusPause
	// manyLabels is set once this store has found more labels than a
	// first consensus run is computed for while a page waits: from then
	// on, until the first run is stored, pages are told it is pending
	// without counting the labels again.
	manyLabels atomic.Bool
	// firstRunWait is the most labels for which the first consensus run
	// is computed while a page waits (the constant firstRunWait; tests
	// lower it).
	firstRunWait int
	// leaseHolder names this store in the consensus lease, which makes one
	// server at a time compute a run (see consensus_lease.go);
	// leaseWaits counts the times it found another holding it.
	leaseHolder string
	leaseWaits  atomic.Int64
	// closing is cancelled by Close, which then waits (background) for the
	// work started in the background, a consensus run, to stop.
	closing    context.Context
	stopAll    context.CancelFunc
	background sync.WaitGroup
	// fold folds the users' finished documents into done_documents; see
	// mine.go.
	fold folder
}

// readConns is how many query-only connections serve reads: enough for a
// long export to leave the annotators' reads room, and each costs a page
// cache of its own.
const readConns = 4

// postgresConns is how many connections a store keeps to PostgreSQL: enough
// for the requests one server runs at once on two to eight cores, few
// enough that several servers fit in PostgreSQL's default of 100.
const postgresConns = 24

// stmtCacheSize is how many prepared statements each SQLite pool keeps.
const stmtCacheSize = 512

// Open opens the database named by dsn and brings its tables up to date. A
// dsn starting with postgres:// or postgresql:// opens PostgreSQL; anything
// else is a path to an SQLite file, created if missing.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg := &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true,
		// Every write already runs in a transaction (a savepoint within a
		// group) that fails whole; GORM's own nested transactions, which it
		// opens around batched inserts, would add a savepoint with a new
		// random name each time, to be parsed and planned anew.
		DisableNestedTransaction: true,
		NowFunc:                  func() time.Time { return time.Now().UTC() },
	}
	s := &Store{now: func() time.Time { return time.Now().UTC() }, consensusRunning: make(chan struct{}, 1), leaseHolder: newLeaseHolder(), firstRunWait: firstRunWait}
	s.closing, s.stopAll = context.WithCancel(context.Background())
	s.fold.running = make(chan struct{}, 1)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		// pgx prepares and caches each statement per connection itself.
		db, err := gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		// PostgreSQL starts a process for every connection, so the pool
		// keeps the ones it opened: database/sql would otherwise keep two
		// idle and open a new one for nearly every request under load.
		sqlDB, err := db.DB()
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqlDB.SetMaxOpenConns(postgresConns)
		sqlDB.SetMaxIdleConns(postgresConns)
		s.pgsql = sqlDB
		s.db, s.rdb, s.dialect = db, db, "postgres"
		s.stmt = newGuardStatements(s.dialect)
	default:
		if dsn == "" {
			return nil, Invalidf("db", "no database path given")
		}
		path := strings.TrimPrefix(dsn, "sqlite://")
		// WAL lets readers run while one writer writes; foreign keys are off
		// in SQLite unless asked for; the busy timeout covers the moments
		// another process (a backup, a second concord command) holds the
		// lock; IMMEDIATE transactions take the write lock at BEGIN so two
		// transactions never deadlock upgrading from read to write.
		// synchronous=NORMAL is durable in WAL mode except on power loss.
		params := "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_synchronous=NORMAL"
		sqlDB, err := sql.Open(sqliteWriteDriver(), "file:"+path+"?"+params+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		sqlDB.SetMaxOpenConns(1)
		if err := sqlDB.PingContext(ctx); err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		s.wpool = newStmtPool(sqlDB, stmtCacheSize)
		wdb, err := gorm.Open(sqlite.New(sqlite.Config{Conn: s.wpool}), cfg)
		if err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		s.db, s.dialect = wdb, "sqlite"
		s.stmt = newGuardStatements(s.dialect)
		// Tables must exist before the query-only pool opens.
		if err := s.migrate(ctx); err != nil {
			_ = sqlDB.Close()
			return nil, err
		}
		rsql, err := sql.Open(sqliteReadDriver(), "file:"+path+"?_foreign_keys=on&_busy_timeout=10000&_query_only=1")
		if err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		// Keep every reader open: a closed one would be opened again and its
		// prepared statements prepared again.
		rsql.SetMaxOpenConns(readConns)
		rsql.SetMaxIdleConns(readConns)
		s.rpool = newStmtPool(rsql, stmtCacheSize)
		rdb, err := gorm.Open(sqlite.New(sqlite.Config{Conn: s.rpool}), cfg)
		if err != nil {
			_ = sqlDB.Close()
			_ = rsql.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		s.rdb = rdb
		csql, err := sql.Open(sqliteDriver(), "file:"+path+"?_busy_timeout="+strconv.Itoa(int(walRestartWait/time.Millisecond)))
		if err != nil {
			_ = sqlDB.Close()
			_ = rsql.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		csql.SetMaxOpenConns(1)
		s.checkpoints = startCheckpointer(csql, path+"-wal")
		s.writer = startWriter(wdb)
		s.writer.committed = s.checkpoints.committed
		return s, nil
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	s.saves = startSaveBatcher(s)
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	if err := db.AutoMigrate(models...); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if err := s.migrateCounts(ctx); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	// Databases made before schema versions knew when they were
	// superseded: every version but the newest is.
	if err := db.Exec("UPDATE schema_versions SET superseded_at = created_at WHERE superseded_at IS NULL AND version < (SELECT max(version) FROM schema_versions)").Error; err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if err := s.backfillOpenValueUsers(ctx); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if err := s.migrateOpenValueTerms(ctx); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

var registerDrivers = sync.OnceFunc(func() {
	sql.Register("concord_sqlite3", &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
		return err
	}})
	sql.Register("concord_sqlite3_reader", &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA temp_store = MEMORY; PRAGMA mmap_size = "+strconv.Itoa(readMmap), nil)
		return err
	}})
	sql.Register("concord_sqlite3_writer", &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA temp_store = MEMORY; PRAGMA cache_size = -"+strconv.Itoa(writeCacheKiB)+"; PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = "+strconv.Itoa(walLimit), nil)
		return err
	}})
})

// sqliteDriver returns the name of the SQLite driver Concord registers: the
// usual one, with temporary storage (the journals of savepoints inside a
// transaction among it) kept in memory rather than in temporary files.
func sqliteDriver() string {
	registerDrivers()
	return "concord_sqlite3"
}

// sqliteReadDriver is sqliteDriver for the query-only connections, which
// read the database file through a memory map of up to readMmap bytes.
// A page a read touches is then read where the operating system's page
// cache holds it, with no system call and no copy into a page cache of
// the connection's own: on a corpus far larger than a connection's cache,
// the rows a page shows (a queue page's paragraphs, labels and consensus,
// each on pages of their own) are read as fast as on a small one. The
// mapped pages are the file's, shared by the connections, and the kernel
// drops them when memory is short; they count in the process's resident
// size, not in its heap. The write connection reads as before, so that an
// import does not map the pages it passes.
func sqliteReadDriver() string {
	registerDrivers()
	return "concord_sqlite3_reader"
}

// readMmap is the most of the database file a read connection maps (see
// sqliteReadDriver); past it, pages are read as usual.
const readMmap = 1 << 30

// sqliteWriteDriver is sqliteDriver for the write connection, which leaves
// checkpoints to the checkpointer (see checkpoint.go) and keeps a page
// cache of writeCacheKiB: the pages every write passes (the indexes'
// upper levels, the tables' last pages that an import appends to) stay in
// it, rather than read again through the file after SQLite's default 2 MB
// cache let them go.
func sqliteWriteDriver() string {
	registerDrivers()
	return "concord_sqlite3_writer"
}

// writeCacheKiB is the write connection's page cache, in KiB: one cache,
// of the one connection that writes, whatever the corpus's size.
const writeCacheKiB = 64 << 10

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Close closes the database.
func (s *Store) Close() error {
	if s.saves != nil {
		s.saves.close()
	}
	s.stopAll()
	s.background.Wait()
	if s.writer != nil {
		s.writer.stop()
	}
	var errs []error
	if s.checkpoints != nil {
		errs = append(errs, s.checkpoints.close())
	}
	for _, p := range []*stmtPool{s.wpool, s.rpool} {
		if p != nil {
			p.close()
		}
	}
	for _, g := range []*gorm.DB{s.db, s.rdb} {
		if g == nil {
			continue
		}
		if d, err := g.DB(); err == nil {
			errs = append(errs, d.Close())
		}
		if s.rdb == s.db {
			break
		}
	}
	return errors.Join(errs...)
}

// SetClock replaces the store's clock; tests use it to fix timestamps.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// tx runs fn in one write transaction.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.writer != nil {
		return translate(s.writer.run(ctx, fn))
	}
	return translate(s.db.WithContext(ctx).Transaction(fn))
}

// read returns the read pool bound to ctx.
func (s *Store) read(ctx context.Context) *gorm.DB { return s.rdb.WithContext(ctx) }

// readRow runs a one-row query on the read pool, straight through
// database/sql: on SQLite to the pool's cached statement as written, on
// PostgreSQL with its placeholders numbered (see rebound). On the paths
// every request takes (the credential check, the read before a save) that
// saves GORM building the statement again each time. The arguments are
// plain values: no slices for GORM to expand.
func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.rpool != nil {
		return s.rpool.QueryRowContext(ctx, query, args...)
	}
	return s.pgsql.QueryRowContext(ctx, s.rebound(query), args...)
}

// rebound returns a statement written with "?" placeholders in
// PostgreSQL's numbered form ($1, $2, ...), computed once per statement.
// The statements given to it hold no "?" but placeholders.
func (s *Store) rebound(query string) string {
	if q, ok := s.rebinds.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	q := b.String()
	s.rebinds.Store(query, q)
	return q
}

// translate turns database errors into domain errors and leaves others alone.
func translate(err error) error {
	var de *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &de):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return &Error{Code: ENOTFOUND, Message: "not found"}
	case errors.Is(err, gorm.ErrDuplicatedKey), isUniqueViolation(err):
		return &Error{Code: ECONFLICT, Message: "already exists"}
	case isUnstorable(err):
		return fmt.Errorf("%w: %w", &Error{Code: EINVALID, Message: "the text holds a character the database cannot store (a NUL byte or a broken UTF-8 sequence); remove it and send it again"}, err)
	case isTransient(err):
		// Kept wrapped, so that the guarded writes see it and try again.
		return fmt.Errorf("%w: %w", &Error{Code: ECONFLICT, Message: "the database ended this write because another one changed the same rows at the same time; try again"}, err)
	case errors.Is(err, gorm.ErrForeignKeyViolated), isForeignKeyViolation(err):
		return &Error{Code: EINVALID, Message: "refers to something that does not exist (a user, paragraph or document removed or never there); check the ids sent"}
	}
	return err
}

// isForeignKeyViolation reports whether err is a foreign-key violation
// from either database driver, also where GORM did not translate it (raw
// statements).
func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey
}

// isUnstorable reports whether PostgreSQL refused text it cannot store: a
// NUL byte (22021) or a character outside the encoding (22P05). Inputs are
// checked before they reach the database (see CheckText); this catches any
// path that was missed, as a 400 rather than a 500.
func isUnstorable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05")
}

// isUniqueViolation reports whether err is a unique-constraint violation
// from either database driver, also where GORM did not translate it (raw
// statements).
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}

// notFound returns err translated, with "not found" worded for what.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return NotFoundf(format, args...)
	}
	return translate(err)
}

// record appends one row to the history inside tx.
func (s *Store) record(tx *gorm.DB, c Change) error {
	if c.At.IsZero() {
		c.At = s.now()
	}
	// A plain statement rather than tx.Create: every write makes one, and
	// the model's reflection-driven insert costs several times as much
	// while holding the write lock.
	_, err := s.exec(tx, "INSERT INTO history (at, user_id, entity, entity_id, paragraph_id, action, before_value, after_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		c.At, c.UserID, c.Entity, c.EntityID, c.ParagraphID, c.Action, c.Before, c.After)
	return err
}

// exec runs a statement in tx and returns how many rows it changed. On
// SQLite the statement goes to the transaction's connection as written,
// without GORM building it again: on the write path, which holds the single
// write lock, GORM's building cost more than SQLite's running it. Elsewhere
// GORM rewrites the "?" placeholders for the database.
func (s *Store) exec(tx *gorm.DB, query string, args ...any) (int64, error) {
	if s.dialect != "sqlite" {
		res := tx.Exec(query, args...)
		return res.RowsAffected, res.Error
	}
	res, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Setting names.
const (
	// SettingOverlap is how many annotators each paragraph needs.
	SettingOverlap = "overlap"
)

// DefaultOverlap is the overlap until an admin sets one: two annotators per
// paragraph, the least that agreement can be measured on.
const DefaultOverlap = 2

// Overlap returns how many annotators each paragraph needs.
func (s *Store) Overlap(ctx context.Context) (int, error) {
	var st Setting
	err := s.read(ctx).Where("name = ?", SettingOverlap).Limit(1).Find(&st).Error
	if err != nil {
		return 0, translate(err)
	}
	if st.Value == "" {
		return DefaultOverlap, nil
	}
	n, err := strconv.Atoi(st.Value)
	if err != nil {
		return DefaultOverlap, nil
	}
	return n, nil
}

// SetOverlap sets how many annotators each paragraph needs (1 to 50).
func (s *Store) SetOverlap(ctx context.Context, by int64, n int) error {
	if n < 1 || n > 50 {
		return Invalidf("overlap", "overlap must be between 1 and 50, got %d", n)
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		var old Setting
		if err := tx.Where("name = ?", SettingOverlap).Limit(1).Find(&old).Error; err != nil {
			return err
		}
		if err := tx.Save(&Setting{Key: SettingOverlap, Value: strconv.Itoa(n)}).Error; err != nil {
			return err
		}
		if old.Value != strconv.Itoa(n) {
			// Every paragraph may open or close: the documents' states are
			// computed once afterwards rather than once per paragraph.
			if err := s.deferCounts(tx); err != nil {
				return err
			}
			if err := reopen(tx); err != nil {
				return err
			}
			if err := s.resumeCounts(tx); err != nil {
				return err
			}
			if err := refreshProgress(tx, nil); err != nil {
				return err
			}
		}
		return s.record(tx, Change{UserID: by, Entity: "setting", Action: "set", Before: toJSON(map[string]string{SettingOverlap: old.Value}), After: toJSON(map[string]int{SettingOverlap: n})})
	})
}

// Backup writes a consistent copy of the database to path while it stays in
// use. SQLite only; the file must not exist yet.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != "sqlite" {
		return Invalidf("backup", "backup copies SQLite databases; use pg_dump for PostgreSQL")
	}
	if path == "" {
		return Invalidf("path", "give the file to write the backup to")
	}
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// HistoryPage is one page of a paragraph's history; Next is the cursor of
// the page after, 0 on the last.
type HistoryPage struct {
	Changes []Change `json:"history"`
	Next    int64    `json:"next,omitempty"`
}

// History returns one page of every change to a paragraph's labels, skips,
// notes and flags, oldest first.
func (s *Store) History(ctx context.Context, paragraphID int64, q ListQuery) (*HistoryPage, error) {
	if err := checkList(&q.Limit, DefaultHistoryLimit, MaxHistoryLimit, q.After); err != nil {
		return nil, err
	}
	cs, next, err := pageByID(s.read(ctx).Where("paragraph_id = ?", paragraphID), "id", q.After, q.Limit, func(c *Change) int64 { return c.ID })
	if err != nil {
		return nil, err
	}
	return &HistoryPage{Changes: cs, Next: next}, nil
}
