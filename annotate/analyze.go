package annotate

import (
	"context"
	"log/slog"
	"sync"
)

// PostgreSQL plans a statement from what it knows of the tables' sizes,
// which its autovacuum brings up to date a minute or more after they
// change. An import into a new database grows the tables from nothing in
// less time than that: its statements keep plans made for a handful of
// rows (a scan of every document for each batch's keys, a pass over every
// paragraph for each batch's progress), and each batch costs more than the
// one before. The store therefore analyzes those tables itself during a
// labelled import, each time the paragraphs it has imported double, from
// analyzeFirst on: a few times over a large import, and never again once
// the tables are large next to what is added. The document import's
// statements keep their index plans without it, and the analyzing would
// cost it a fifth of its time. SQLite's statements do not depend on such
// statistics here.
const analyzeFirst = 5000

// analyzeTables are the tables an import writes whose statistics its
// statements' plans depend on: documents are looked up by key, paragraphs
// by hash and document, curations by paragraph. The others are only
// appended to, or read by a unique index.
const analyzeTables = "documents, paragraphs, curations"

// growth counts the paragraphs a store has imported, for analyzeGrowth.
type growth struct {
	mu       sync.Mutex
	imported int
	next     int
}

// analyzeGrowth notes that a labelled import committed n more paragraphs and, on
// PostgreSQL, analyzes the tables an import writes when the paragraphs
// imported since the store opened reach the next mark (see analyzeFirst).
// A failure is logged, not returned: the import is stored, and only its
// speed depends on the statistics.
func (s *Store) analyzeGrowth(ctx context.Context, n int) {
	if s.dialect != "postgres" || n <= 0 {
		return
	}
	g := &s.growth
	g.mu.Lock()
	g.imported += n
	if g.next == 0 {
		g.next = analyzeFirst
	}
	due := g.imported >= g.next
	if due {
		g.next = 2 * g.imported
	}
	g.mu.Unlock()
	if !due {
		return
	}
	// Outside the lock: another import's batch need not wait for it.
	if err := s.db.WithContext(ctx).Exec("ANALYZE " + analyzeTables).Error; err != nil && ctx.Err() == nil {
		slog.Warn("analyze after an import", "error", err)
	}
}
