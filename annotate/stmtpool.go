package annotate

import (
	"container/list"
	"context"
	"database/sql"
	"sync"

	"gorm.io/gorm"
)

// stmtPool is the connection pool GORM runs SQLite statements on: a
// database/sql pool with a bounded cache of prepared statements, shared by
// statements run inside and outside transactions.
//
// SQLite parses and plans a statement each time it is prepared, which costs
// about as much as running a small one. Every request runs the same few
// statements, so each is prepared once per connection and kept. GORM's own
// statement cache does not serve writes well: a statement first met inside
// a transaction is prepared on that transaction and prepared again in every
// later one, and every write here runs inside one. This cache prepares on
// the pool and hands a transaction the statement already prepared on its
// connection (sql.Tx.StmtContext).
//
// Statements that carry id lists differ from call to call, so the cache
// holds at most max statements and closes the least recently used, once
// nobody is using it.
type stmtPool struct {
	db  *sql.DB
	max int

	mu    sync.Mutex
	byKey map[string]*list.Element // of *poolStmt
	lru   list.List                // most recently used at the front
	// wanted holds statements first met inside a transaction. Preparing
	// them on the pool must wait until the transaction has given its
	// connection back: the write pool has a single connection.
	wanted map[string]struct{}
}

// poolStmt is one cached statement and how many callers are using it.
type poolStmt struct {
	query   string
	stmt    *sql.Stmt
	refs    int
	evicted bool
}

func newStmtPool(db *sql.DB, max int) *stmtPool {
	return &stmtPool{db: db, max: max, byKey: map[string]*list.Element{}, wanted: map[string]struct{}{}}
}

// cached returns the cached statement for query, marked in use, or nil.
func (p *stmtPool) cached(query string) *poolStmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byKey[query]
	if !ok {
		return nil
	}
	p.lru.MoveToFront(e)
	ps := e.Value.(*poolStmt)
	ps.refs++
	return ps
}

// acquire returns query's statement prepared on the pool, marked in use.
func (p *stmtPool) acquire(ctx context.Context, query string) (*poolStmt, error) {
	if ps := p.cached(query); ps != nil {
		return ps, nil
	}
	stmt, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return p.add(query, stmt), nil
}

// add caches stmt for query, unless another caller was first, and returns
// the cached statement marked in use.
func (p *stmtPool) add(query string, stmt *sql.Stmt) *poolStmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.byKey[query]; ok {
		_ = stmt.Close()
		p.lru.MoveToFront(e)
		ps := e.Value.(*poolStmt)
		ps.refs++
		return ps
	}
	ps := &poolStmt{query: query, stmt: stmt, refs: 1}
	p.byKey[query] = p.lru.PushFront(ps)
	for p.lru.Len() > p.max {
		old := p.lru.Remove(p.lru.Back()).(*poolStmt)
		delete(p.byKey, old.query)
		old.evicted = true
		if old.refs == 0 {
			_ = old.stmt.Close()
		}
	}
	return ps
}

// release marks ps no longer in use by one caller. A statement in use when
// it was evicted is closed by its last user. Rows and transactions that
// still depend on it keep it open until they end (database/sql sees to
// that).
func (p *stmtPool) release(ps *poolStmt) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps.refs--
	if ps.evicted && ps.refs == 0 {
		_ = ps.stmt.Close()
	}
}

// want notes a statement met inside a transaction, to prepare later.
func (p *stmtPool) want(query string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.wanted) < p.max {
		p.wanted[query] = struct{}{}
	}
}

// prepareWanted prepares on the pool the statements transactions met.
func (p *stmtPool) prepareWanted(ctx context.Context) {
	p.mu.Lock()
	if len(p.wanted) == 0 {
		p.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(p.wanted))
	for q := range p.wanted {
		if _, ok := p.byKey[q]; !ok {
			queries = append(queries, q)
		}
	}
	clear(p.wanted)
	p.mu.Unlock()
	for _, q := range queries {
		// A statement that fails to prepare here fails again, with its
		// error reported, when it is next run.
		if ps, err := p.acquire(ctx, q); err == nil {
			p.release(ps)
		}
	}
}

// close closes every cached statement.
func (p *stmtPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for e := p.lru.Front(); e != nil; e = e.Next() {
		ps := e.Value.(*poolStmt)
		ps.evicted = true
		if ps.refs == 0 {
			_ = ps.stmt.Close()
		}
	}
	p.lru.Init()
	clear(p.byKey)
}

// PrepareContext prepares a statement the caller closes.
func (p *stmtPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, query)
}

// ExecContext runs a statement that returns no rows.
func (p *stmtPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ps, err := p.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	defer p.release(ps)
	return ps.stmt.ExecContext(ctx, args...)
}

// QueryContext runs a query.
func (p *stmtPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ps, err := p.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	defer p.release(ps)
	return ps.stmt.QueryContext(ctx, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (p *stmtPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ps, err := p.acquire(ctx, query)
	if err != nil {
		// database/sql offers no Row holding an error; the pool reports the
		// same error when the query runs.
		return p.db.QueryRowContext(ctx, query, args...)
	}
	defer p.release(ps)
	return ps.stmt.QueryRowContext(ctx, args...)
}

// BeginTx starts a transaction whose statements come from the cache.
func (p *stmtPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &stmtTx{Tx: tx, pool: p}, nil
}

// GetDBConn returns the database/sql pool, for gorm.DB.DB.
func (p *stmtPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

// stmtTx is a transaction on a stmtPool.
type stmtTx struct {
	*sql.Tx
	pool *stmtPool
}

// stmt returns query's cached statement bound to the transaction, or nil
// if the cache does not hold it yet.
func (t *stmtTx) stmt(ctx context.Context, query string) (*sql.Stmt, func()) {
	ps := t.pool.cached(query)
	if ps == nil {
		t.pool.want(query)
		return nil, nil
	}
	return t.StmtContext(ctx, ps.stmt), func() { t.pool.release(ps) }
}

// ExecContext runs a statement that returns no rows.
func (t *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, done := t.stmt(ctx, query)
	if s == nil {
		return t.Tx.ExecContext(ctx, query, args...)
	}
	defer done()
	return s.ExecContext(ctx, args...)
}

// QueryContext runs a query.
func (t *stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, done := t.stmt(ctx, query)
	if s == nil {
		return t.Tx.QueryContext(ctx, query, args...)
	}
	defer done()
	return s.QueryContext(ctx, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (t *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, done := t.stmt(ctx, query)
	if s == nil {
		return t.Tx.QueryRowContext(ctx, query, args...)
	}
	defer done()
	return s.QueryRowContext(ctx, args...)
}

// Commit commits the transaction, then prepares the statements it met for
// the next ones.
func (t *stmtTx) Commit() error {
	err := t.Tx.Commit()
	t.pool.prepareWanted(context.Background())
	return err
}

// Rollback rolls the transaction back, then prepares the statements it met
// for the next ones.
func (t *stmtTx) Rollback() error {
	err := t.Tx.Rollback()
	t.pool.prepareWanted(context.Background())
	return err
}
