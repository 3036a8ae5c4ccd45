package annotate

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"
)

// A document list of the caller's own work ("done by me", "left for me")
// reads which documents a user has finished from done_documents: a row per
// user and document whose paragraphs to label (current, not taken out by
// curation) the user has all labelled or skipped. Keeping that row in the
// transaction of each save would put a write of its own on every save, and
// on PostgreSQL a lock that annotators of one document wait for; so a save
// writes nothing for it, and the rows are folded in after the fact, from
// the annotations and skips themselves:
//
//   - Saves and skips only ever add: folding reads the annotations and
//     skips written since the last fold (by id, past a watermark kept in
//     settings) and adds a row for each user and document they finish.
//   - What can take a finished document away (an undo, an unskip, a
//     paragraph put back by curation, a new revision of the document) is
//     rare, and removes the row in its own transaction, through triggers
//     (and refreshDone for a re-import), then marks the document for
//     folding again (done_dirty), as does what can finish a document
//     without a save of the user's (a paragraph taken out, a labelled
//     import).
//
// So done_documents never claims a document that is not finished; it may
// lag behind the latest saves until the next fold. A page of the caller's
// own statuses folds first (a few thousand rows at most); when it cannot
// catch up (after a bulk import, say) it starts a fold in the background
// and reads the documents' progress directly, a window at a time, as it
// would without the rows.
//
// On PostgreSQL, ids are handed out before their transactions commit, so a
// fold can see a higher id before a lower one: the watermark only moves past
// rows older than foldLag, and rows after it are read again (and skipped if
// already folded). The folder and the triggers that remove rows take the
// document's row lock (FOR SHARE and FOR NO KEY UPDATE), so that a fold
// that checked a document before an undo committed cannot add its row back
// after the undo removed it.

// doneDocument marks a document whose paragraphs to label the user has all
// labelled or skipped, as the last fold found it.
type doneDocument struct {
	UserID     int64 `gorm:"primaryKey;autoIncrement:false"`
	DocumentID int64 `gorm:"primaryKey;autoIncrement:false;index:idx_done_document"`
}

func (doneDocument) TableName() string { return "done_documents" }

// doneDirty marks a document whose done_documents rows are to be computed
// again, for every user who worked in it.
type doneDirty struct {
	DocumentID int64 `gorm:"primaryKey;autoIncrement:false"`
}

func (doneDirty) TableName() string { return "done_dirty" }

// donePrefix holds, for a user, a document id up to which every document
// has the user's done_documents row: Left for me starts after it, so that
// an annotator who finished the first documents of a large corpus does not
// read past them on every page. A fold raises it over consecutive finished
// documents; a trigger lowers it below any row removed.
type donePrefix struct {
	UserID int64 `gorm:"primaryKey;autoIncrement:false"`
	Upto   int64 `gorm:"not null;default:0"`
}

func (donePrefix) TableName() string { return "done_prefix" }

func init() { models = append(models, &doneDocument{}, &doneDirty{}, &donePrefix{}) }

// Settings holding the folds' watermarks: the highest annotation and skip
// id folded, with every lower one.
const (
	settingDoneAnnotations = "done_annotations"
	settingDoneSkips       = "done_skips"
)

// foldChunk is how many annotations (and as many skips) one step of a fold
// reads; foldDirtyChunk how many marked documents.
const (
	foldChunk      = 2000
	foldDirtyChunk = 200
)

// foldLag is how old a row must be before a PostgreSQL fold's watermark
// moves past it (see above).
const foldLag = time.Minute

// keptSQL is the condition that paragraph p is one to label: curation has
// not taken it out.
const keptSQL = "NOT EXISTS (SELECT 1 FROM curations c WHERE c.paragraph_id = p.id AND c.status = '" + StatusConfirmed + "')"

// mineDoneSQL is the condition that user u has labelled or skipped every
// paragraph to label of document d, and that there is one.
func mineDoneSQL(u, d string) string {
	return fmt.Sprintf(`(EXISTS (SELECT 1 FROM paragraphs p WHERE p.is_current = TRUE AND p.document_id = %[2]s AND %[3]s)
 AND NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.is_current = TRUE AND p.document_id = %[2]s AND %[3]s
  AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.paragraph_id = p.id AND a.user_id = %[1]s)
  AND NOT EXISTS (SELECT 1 FROM skips k WHERE k.paragraph_id = p.id AND k.user_id = %[1]s)))`, u, d, keptSQL)
}

// doneTriggers returns the statements that create the triggers removing
// done_documents rows.
func doneTriggers(dialect string) []string {
	confirmed := "'" + StatusConfirmed + "'"
	if dialect == "postgres" {
		return []string{
			`CREATE OR REPLACE FUNCTION concord_done_forget(u bigint, doc bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF doc IS NULL THEN
    RETURN;
  END IF;
  PERFORM 1 FROM documents WHERE id = doc FOR NO KEY UPDATE;
  IF u IS NULL THEN
    DELETE FROM done_documents WHERE document_id = doc;
  ELSE
    DELETE FROM done_documents WHERE user_id = u AND document_id = doc;
  END IF;
  INSERT INTO done_dirty (document_id) VALUES (doc) ON CONFLICT DO NOTHING;
END $$`,
			`CREATE OR REPLACE FUNCTION concord_done_row_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM concord_done_forget(OLD.user_id, (SELECT document_id FROM paragraphs WHERE id = OLD.paragraph_id));
  RETURN NULL;
END $$`,
			`CREATE OR REPLACE TRIGGER annotations_done_delete AFTER DELETE ON annotations FOR EACH ROW EXECUTE FUNCTION concord_done_row_deleted()`,
			`CREATE OR REPLACE TRIGGER skips_done_delete AFTER DELETE ON skips FOR EACH ROW EXECUTE FUNCTION concord_done_row_deleted()`,
			`CREATE OR REPLACE FUNCTION concord_done_curation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE doc bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT document_id INTO doc FROM paragraphs WHERE id = OLD.paragraph_id;
  ELSE
    SELECT document_id INTO doc FROM paragraphs WHERE id = NEW.paragraph_id;
  END IF;
  IF doc IS NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status = ` + confirmed + ` THEN
    INSERT INTO done_dirty (document_id) VALUES (doc) ON CONFLICT DO NOTHING;
  ELSE
    PERFORM concord_done_forget(NULL, doc);
  END IF;
  RETURN NULL;
END $$`,
			`CREATE OR REPLACE TRIGGER curations_done_insert AFTER INSERT ON curations FOR EACH ROW WHEN (NEW.status = ` + confirmed + `) EXECUTE FUNCTION concord_done_curation()`,
			`CREATE OR REPLACE TRIGGER curations_done_update AFTER UPDATE OF status ON curations FOR EACH ROW WHEN ((OLD.status = ` + confirmed + `) <> (NEW.status = ` + confirmed + `)) EXECUTE FUNCTION concord_done_curation()`,
			`CREATE OR REPLACE TRIGGER curations_done_delete AFTER DELETE ON curations FOR EACH ROW WHEN (OLD.status = ` + confirmed + `) EXECUTE FUNCTION concord_done_curation()`,
			`CREATE OR REPLACE FUNCTION concord_done_prefix() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE done_prefix SET upto = OLD.document_id - 1 WHERE user_id = OLD.user_id AND upto >= OLD.document_id;
  RETURN NULL;
END $$`,
			`CREATE OR REPLACE TRIGGER done_documents_prefix AFTER DELETE ON done_documents FOR EACH ROW EXECUTE FUNCTION concord_done_prefix()`,
		}
	}
	doc := func(row string) string {
		return "(SELECT document_id FROM paragraphs WHERE id = " + row + ".paragraph_id)"
	}
	forget := func(row, user string) string {
		cond := "document_id = " + doc(row)
		if user != "" {
			cond = "user_id = " + user + " AND " + cond
		}
		return `DELETE FROM done_documents WHERE ` + cond + `;
  INSERT INTO done_dirty (document_id) SELECT document_id FROM paragraphs WHERE id = ` + row + `.paragraph_id ON CONFLICT DO NOTHING;`
	}
	return []string{
		`CREATE TRIGGER IF NOT EXISTS annotations_done_delete AFTER DELETE ON annotations BEGIN
  ` + forget("OLD", "OLD.user_id") + `
END`,
		`CREATE TRIGGER IF NOT EXISTS skips_done_delete AFTER DELETE ON skips BEGIN
  ` + forget("OLD", "OLD.user_id") + `
END`,
		`CREATE TRIGGER IF NOT EXISTS curations_done_insert AFTER INSERT ON curations WHEN NEW.status = ` + confirmed + ` BEGIN
  INSERT INTO done_dirty (document_id) SELECT document_id FROM paragraphs WHERE id = NEW.paragraph_id ON CONFLICT DO NOTHING;
END`,
		`CREATE TRIGGER IF NOT EXISTS curations_done_confirm AFTER UPDATE OF status ON curations WHEN OLD.status <> ` + confirmed + ` AND NEW.status = ` + confirmed + ` BEGIN
  INSERT INTO done_dirty (document_id) SELECT document_id FROM paragraphs WHERE id = NEW.paragraph_id ON CONFLICT DO NOTHING;
END`,
		`CREATE TRIGGER IF NOT EXISTS curations_done_unconfirm AFTER UPDATE OF status ON curations WHEN OLD.status = ` + confirmed + ` AND NEW.status <> ` + confirmed + ` BEGIN
  ` + forget("NEW", "") + `
END`,
		`CREATE TRIGGER IF NOT EXISTS curations_done_delete AFTER DELETE ON curations WHEN OLD.status = ` + confirmed + ` BEGIN
  ` + forget("OLD", "") + `
END`,
		`CREATE TRIGGER IF NOT EXISTS done_documents_prefix AFTER DELETE ON done_documents BEGIN
  UPDATE done_prefix SET upto = OLD.document_id - 1 WHERE user_id = OLD.user_id AND upto >= OLD.document_id;
END`,
	}
}

// migrateDone creates the triggers. A database made before them has no
// watermarks, so the first fold reads every annotation and skip.
func (s *Store) migrateDone(tx *gorm.DB) error {
	for _, stmt := range doneTriggers(s.dialect) {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("create trigger: %w", err)
		}
	}
	return nil
}

// refreshDone takes back the done_documents rows of the documents with the
// given ids and marks them for folding again, in tx: a writer that changed
// their paragraphs (a new revision) calls it.
func (s *Store) refreshDone(tx *gorm.DB, ids []int64) error {
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		if err := lockDocuments(tx, s.dialect, "FOR NO KEY UPDATE", part); err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM done_documents WHERE document_id IN ?", part).Error; err != nil {
			return err
		}
		if err := markDirty(tx, part); err != nil {
			return err
		}
	}
	return nil
}

// markDirty marks the documents with the given ids for folding again.
func markDirty(tx *gorm.DB, ids []int64) error {
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		if err := tx.Exec("INSERT INTO done_dirty (document_id) SELECT id FROM documents WHERE id IN ? ON CONFLICT DO NOTHING", part).Error; err != nil {
			return err
		}
	}
	return nil
}

// folder is a store's state of folding: one fold at a time in a store, and
// the ids a PostgreSQL fold already folded past its watermark.
type folder struct {
	mu      sync.Mutex
	running chan struct{} // holds a token while a background fold runs
	seen    map[foldKey]bool
	// touched holds the users whose done_documents rows a fold added and
	// whose prefix it has not walked since.
	touched map[int64]bool
}

// foldKey names an annotation or skip folded.
type foldKey struct {
	skip bool
	id   int64
}

// foldRow is an annotation or skip read by a fold.
type foldRow struct {
	ID         int64
	UserID     int64
	DocumentID int64
	CreatedAt  time.Time
}

// foldDone folds in what was written since the last fold and reports
// whether it caught up: whether done_documents now holds every document
// finished by the writes committed before it began. With a budget above 0
// it reads about that many new annotations (as many skips, a tenth as many
// marked documents) at most, and gives up at once, not caught up, when
// another fold of this store is running; with 0 it waits for that one and
// folds until caught up.
func (s *Store) foldDone(ctx context.Context, budget int) (bool, error) {
	f := &s.fold
	if budget > 0 {
		if !f.mu.TryLock() {
			return false, nil
		}
	} else {
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	if f.seen == nil {
		f.seen = map[foldKey]bool{}
	}
	caught, err := s.foldDirty(ctx, budget/10)
	if err != nil {
		return false, err
	}
	for _, skip := range []bool{false, true} {
		ok, err := s.foldRows(ctx, skip, budget)
		if err != nil {
			return false, err
		}
		caught = caught && ok
	}
	if err := s.foldPrefixes(ctx, budget); err != nil {
		return false, err
	}
	return caught, nil
}

// foldDirty computes again the rows of the marked documents, about budget
// of them at most (0: all), and reports whether none is left.
func (s *Store) foldDirty(ctx context.Context, budget int) (bool, error) {
	const users = `(SELECT a.user_id AS u FROM annotations a JOIN paragraphs p ON p.id = a.paragraph_id WHERE p.is_current = TRUE AND p.document_id = ?
 UNION SELECT k.user_id FROM skips k JOIN paragraphs p ON p.id = k.paragraph_id WHERE p.is_current = TRUE AND p.document_id = ?)`
	each := func(tx *gorm.DB, doc int64) error {
		// It removes rows, so it takes the lock the triggers that remove
		// rows take.
		if err := lockDocuments(tx, s.dialect, "FOR NO KEY UPDATE", []int64{doc}); err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM done_dirty WHERE document_id = ?", doc).Error; err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM done_documents WHERE document_id = ? AND NOT "+mineDoneSQL("done_documents.user_id", "done_documents.document_id"), doc).Error; err != nil {
			return err
		}
		if err := tx.Exec("INSERT INTO done_documents (user_id, document_id) SELECT us.u, d.id FROM documents d, "+users+" us WHERE d.id = ? AND "+mineDoneSQL("us.u", "d.id")+" ON CONFLICT DO NOTHING", doc, doc, doc).Error; err != nil {
			return err
		}
		var us []int64
		if err := tx.Raw("SELECT user_id FROM done_documents WHERE document_id = ?", doc).Scan(&us).Error; err != nil {
			return err
		}
		s.touch(us...)
		return nil
	}
	done := 0
	for {
		var ids []int64
		if err := s.read(ctx).Model(&doneDirty{}).Order("document_id").Limit(foldDirtyChunk).Pluck("document_id", &ids).Error; err != nil {
			return false, translate(err)
		}
		if err := s.foldEach(ctx, ids, each); err != nil {
			return false, err
		}
		done += len(ids)
		if len(ids) < foldDirtyChunk {
			return true, nil
		}
		if budget > 0 && done >= budget {
			return false, nil
		}
	}
}

// foldEach runs fn for each document: on SQLite all in one transaction, on
// PostgreSQL each in its own, so that a fold holds one document's lock at a
// time and never waits for a lock while holding another.
func (s *Store) foldEach(ctx context.Context, docs []int64, fn func(tx *gorm.DB, doc int64) error) error {
	if len(docs) == 0 {
		return nil
	}
	if s.dialect != "postgres" {
		return s.tx(ctx, func(tx *gorm.DB) error {
			for _, d := range docs {
				if err := fn(tx, d); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for _, d := range docs {
		if err := s.tx(ctx, func(tx *gorm.DB) error { return fn(tx, d) }); err != nil {
			return err
		}
	}
	return nil
}

// lockDocuments locks the rows of the documents with the given ids, in id
// order, on PostgreSQL (SQLite has one writer at a time).
func lockDocuments(tx *gorm.DB, dialect, mode string, ids []int64) error {
	if dialect != "postgres" || len(ids) == 0 {
		return nil
	}
	return tx.Exec("SELECT 1 FROM documents WHERE id IN ? ORDER BY id "+mode, ids).Error
}

// touch records that a fold added rows of the users.
func (s *Store) touch(users ...int64) {
	if s.fold.touched == nil {
		s.fold.touched = map[int64]bool{}
	}
	for _, u := range users {
		s.fold.touched[u] = true
	}
}

// prefixChunk is how many documents one step of a prefix walk reads.
const prefixChunk = 1000

// foldPrefixes raises the prefixes of the users the folds touched, each
// over about budget documents at most (0: all).
func (s *Store) foldPrefixes(ctx context.Context, budget int) error {
	for u := range s.fold.touched {
		walked, err := s.walkPrefix(ctx, u, budget)
		if err != nil {
			return err
		}
		if walked {
			delete(s.fold.touched, u)
		}
	}
	return nil
}

// walkPrefix raises the user's prefix over the consecutive documents after
// it that have the user's done_documents row, and reports whether it got to
// the end of them (within budget documents, unless 0).
//
// On PostgreSQL each step locks the documents it is about to pass before it
// reads their rows, so a removal (whose trigger lowers the prefix) either
// committed before the read or waits for the step's commit and lowers what
// the step raised; the raise only applies if no removal lowered the prefix
// since it was read. A document whose id leaves a gap after the one before
// and that is younger than foldLag ends the walk, as an import that has not
// committed yet may hold the missing id.
func (s *Store) walkPrefix(ctx context.Context, user int64, budget int) (bool, error) {
	postgres := s.dialect == "postgres"
	// Most walks end at once: the document after the prefix is not
	// finished. That is read without a write.
	upto, err := s.prefix(ctx, user)
	if err != nil {
		return false, err
	}
	var passable []bool
	err = s.read(ctx).Raw("SELECT EXISTS (SELECT 1 FROM done_documents m WHERE m.user_id = ? AND m.document_id = d.id) FROM documents d WHERE d.id > ? ORDER BY d.id LIMIT 1", user, upto).Scan(&passable).Error
	if err != nil {
		return false, translate(err)
	}
	if len(passable) == 0 || !passable[0] {
		return true, nil
	}
	for walked := 0; budget == 0 || walked < budget; walked += prefixChunk {
		end := false
		err := s.tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Exec("INSERT INTO done_prefix (user_id, upto) VALUES (?, 0) ON CONFLICT DO NOTHING", user).Error; err != nil {
				return err
			}
			var upto int64
			if err := tx.Raw("SELECT upto FROM done_prefix WHERE user_id = ?", user).Scan(&upto).Error; err != nil {
				return err
			}
			var docs []Document
			if err := tx.Select("id", "created_at").Where("id > ?", upto).Order("id").Limit(prefixChunk).Find(&docs).Error; err != nil {
				return err
			}
			end = len(docs) < prefixChunk
			ids := make([]int64, len(docs))
			for i, d := range docs {
				ids[i] = d.ID
			}
			if err := lockDocuments(tx, s.dialect, "FOR SHARE", ids); err != nil {
				return err
			}
			var rows []int64
			if err := tx.Raw("SELECT document_id FROM done_documents WHERE user_id = ? AND document_id IN ?", user, ids).Scan(&rows).Error; err != nil {
				return err
			}
			done := make(map[int64]bool, len(rows))
			for _, id := range rows {
				done[id] = true
			}
			next, cutoff := upto, s.now().Add(-foldLag)
			for _, d := range docs {
				if !done[d.ID] || (postgres && d.ID != next+1 && !d.CreatedAt.Before(cutoff)) {
					end = true
					break
				}
				next = d.ID
			}
			if next == upto {
				return nil
			}
			return tx.Exec("UPDATE done_prefix SET upto = ? WHERE user_id = ? AND upto = ?", next, user, upto).Error
		})
		if err != nil {
			return false, translate(err)
		}
		if end {
			return true, nil
		}
	}
	return false, nil
}

// prefix returns the user's prefix: every document up to it has the user's
// done_documents row.
func (s *Store) prefix(ctx context.Context, user int64) (int64, error) {
	var upto []int64
	if err := s.read(ctx).Raw("SELECT upto FROM done_prefix WHERE user_id = ?", user).Scan(&upto).Error; err != nil {
		return 0, translate(err)
	}
	if len(upto) == 0 {
		return 0, nil
	}
	return upto[0], nil
}

// foldRows folds the annotations (skips when skip is set) past the
// watermark, about budget new ones at most (0: all), and reports whether it
// read them all.
func (s *Store) foldRows(ctx context.Context, skip bool, budget int) (bool, error) {
	table, setting := "annotations", settingDoneAnnotations
	if skip {
		table, setting = "skips", settingDoneSkips
	}
	mark, err := s.foldMark(ctx, setting)
	if err != nil {
		return false, err
	}
	// The new mark: past every row read on SQLite, whose ids are given in
	// commit order; on PostgreSQL past the rows older than foldLag that
	// come before any younger one.
	next, moving := mark, true
	cutoff := s.now().Add(-foldLag)
	each := func(users map[int64][]int64) func(tx *gorm.DB, doc int64) error {
		return func(tx *gorm.DB, doc int64) error {
			// A lock that the triggers removing the document's rows
			// wait for.
			if err := lockDocuments(tx, s.dialect, "FOR SHARE", []int64{doc}); err != nil {
				return err
			}
			return tx.Exec("INSERT INTO done_documents (user_id, document_id) SELECT u.id, d.id FROM users u, documents d WHERE d.id = ? AND u.id IN ? AND "+mineDoneSQL("u.id", "d.id")+" ON CONFLICT DO NOTHING", doc, users[doc]).Error
		}
	}
	from, fresh := mark, 0
	for {
		var rows []foldRow
		err = s.read(ctx).Raw("SELECT r.id, r.user_id, p.document_id, r.created_at FROM "+table+" r JOIN paragraphs p ON p.id = r.paragraph_id WHERE r.id > ? ORDER BY r.id LIMIT ?", from, foldChunk).Scan(&rows).Error
		if err != nil {
			return false, translate(err)
		}
		users := map[int64][]int64{}
		var docs []int64
		var folded []foldKey
		for _, r := range rows {
			if moving && (s.dialect != "postgres" || r.CreatedAt.Before(cutoff)) {
				next = r.ID
			} else {
				moving = false
			}
			key := foldKey{skip, r.ID}
			if s.fold.seen[key] {
				continue
			}
			folded = append(folded, key)
			if _, ok := users[r.DocumentID]; !ok {
				docs = append(docs, r.DocumentID)
			}
			if !slices.Contains(users[r.DocumentID], r.UserID) {
				users[r.DocumentID] = append(users[r.DocumentID], r.UserID)
				s.touch(r.UserID)
			}
		}
		slices.Sort(docs)
		if err := s.foldEach(ctx, docs, each(users)); err != nil {
			return false, err
		}
		// Rows past the new mark are read again by the next fold and
		// skipped.
		for _, k := range folded {
			if k.id > next {
				s.fold.seen[k] = true
			}
		}
		fresh += len(folded)
		// The mark moves after each chunk, so that a long fold that stops
		// keeps what it did.
		if next > mark {
			if err := s.tx(ctx, func(tx *gorm.DB) error {
				return tx.Exec("UPDATE settings SET value = ? WHERE name = ? AND CAST(value AS BIGINT) < ?", strconv.FormatInt(next, 10), setting, next).Error
			}); err != nil {
				return false, err
			}
			for k := range s.fold.seen {
				if k.skip == skip && k.id <= next {
					delete(s.fold.seen, k)
				}
			}
			mark = next
		}
		if len(rows) > 0 {
			from = rows[len(rows)-1].ID
		}
		if len(rows) < foldChunk {
			return true, nil
		}
		if budget > 0 && fresh >= budget {
			return false, nil
		}
	}
}

// foldMark returns a fold's watermark, creating its setting at 0.
func (s *Store) foldMark(ctx context.Context, setting string) (int64, error) {
	var st Setting
	if err := s.read(ctx).Where("name = ?", setting).Limit(1).Find(&st).Error; err != nil {
		return 0, translate(err)
	}
	if st.Value == "" {
		err := s.tx(ctx, func(tx *gorm.DB) error {
			return tx.Exec("INSERT INTO settings (name, value) VALUES (?, '0') ON CONFLICT DO NOTHING", setting).Error
		})
		return 0, translate(err)
	}
	n, err := strconv.ParseInt(st.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("setting %s: %w", setting, err)
	}
	return n, nil
}

// FoldFinished brings every user's finished documents, which the Done by me
// and Left for me filters of DocumentPage read, up to date with every write
// so far. A server does this as those pages ask, in the background; a tool
// that wrote labels with plain SQL, or wants the filters exact at once,
// calls it. It returns when caught up or when ctx ends.
func (s *Store) FoldFinished(ctx context.Context) error {
	_, err := s.foldDone(ctx, 0)
	return err
}

// foldInBackground starts a fold until caught up in the background, unless
// one is running. Close stops it and waits for it.
func (s *Store) foldInBackground() {
	select {
	case s.fold.running <- struct{}{}:
	default:
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer func() { <-s.fold.running }()
		// A fold that fails leaves what it folded; the next page tries
		// again.
		_, _ = s.foldDone(s.closing, 0)
	}()
}

// foldOnRead is how many rows a page of the caller's own statuses folds
// before it reads.
const foldOnRead = 4 * foldChunk
