package annotate

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Each document carries where its labelling stands (documents.progress_state:
// not started, in progress, done), so that a list of the documents in
// progress reads an index over (progress_state, id) rather than computing
// every document's progress until it has found a page of them. The database
// keeps the state itself, in the transaction of each write that can change
// it, whatever path wrote it: a trigger on paragraphs recomputes the
// document's state when one of its paragraphs gets its first annotation,
// loses its last, closes or opens (the overlap is reached or left) or stops
// being current; a trigger on curations does when a paragraph is taken out
// or put back. Writers that change many paragraphs at once (an import, a
// change of the overlap) recompute the documents they touched themselves
// (refreshProgress), and stand the paragraph trigger aside while they do,
// as they do the count trigger (see deferCounts).
//
// On PostgreSQL the trigger locks the document's row before it reads the
// paragraphs, so that two annotators closing a document's last two open
// paragraphs side by side cannot each see the other's still open: the second
// waits for the first to commit and then sees both closed. It takes the lock
// only when a paragraph's state changes (at most twice in a paragraph's life
// under the default overlap), not on every save.

// Document progress states.
const (
	// progressNotStarted: no annotation on any current paragraph, and
	// paragraphs to label.
	progressNotStarted = 0
	// progressInProgress: annotations, and a paragraph to label that
	// still needs annotators.
	progressInProgress = 1
	// progressDone: every paragraph to label has the annotators it needs.
	progressDone = 2
	// progressNothingLeft: nothing to label, curation took out every
	// current paragraph. The document is in none of the team's statuses,
	// and done for each user.
	progressNothingLeft = 3
)

// progressStates maps the document statuses a DocumentQuery takes to the
// state they read from the index.
var progressStates = map[string]int{DocNotStarted: progressNotStarted, DocInProgress: progressInProgress, DocDone: progressDone}

// progressSQL computes the state of the document whose id doc names, from
// its current paragraphs: each subquery reads one document's paragraphs by
// an index, so it costs what the document holds, not the corpus.
func progressSQL(doc string) string {
	return fmt.Sprintf(`(CASE
  WHEN NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.is_current = TRUE AND p.document_id = %[1]s AND %[2]s) THEN %[6]d
  WHEN NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.is_current = TRUE AND p.document_id = %[1]s AND p.annotators > 0) THEN %[3]d
  WHEN EXISTS (SELECT 1 FROM paragraphs p WHERE p.is_current = TRUE AND p.is_open = TRUE AND p.document_id = %[1]s AND %[2]s) THEN %[4]d
  ELSE %[5]d END)`, doc, keptSQL, progressNotStarted, progressInProgress, progressDone, progressNothingLeft)
}

// keptSQL is true of a paragraph p that curation has not taken out.
const keptSQL = "NOT EXISTS (SELECT 1 FROM curations c WHERE c.paragraph_id = p.id AND c.status = '" + StatusConfirmed + "')"

// userLeftSQL computes whether the document whose id doc names has a
// current paragraph to label that the user whose id user names has neither
// labelled nor skipped, from that document's paragraphs alone.
func userLeftSQL(user, doc string) string {
	return `EXISTS (SELECT 1 FROM paragraphs p WHERE p.is_current = TRUE AND p.document_id = ` + doc + ` AND ` + keptSQL + `
  AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.paragraph_id = p.id AND a.user_id = ` + user + `)
  AND NOT EXISTS (SELECT 1 FROM skips k WHERE k.paragraph_id = p.id AND k.user_id = ` + user + `))`
}

// paragraphChangedSQL is the condition under which an update of a
// paragraph can change its document's state.
const paragraphChangedSQL = `OLD.is_open <> NEW.is_open OR (OLD.annotators > 0) <> (NEW.annotators > 0) OR OLD.is_current <> NEW.is_current`

// progressTriggers returns the statements that create the triggers keeping
// documents.progress_state.
func progressTriggers(dialect string) []string {
	if dialect == "postgres" {
		return []string{
			`CREATE OR REPLACE FUNCTION concord_document_progress(doc bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE st integer;
BEGIN
  PERFORM 1 FROM documents WHERE id = doc FOR NO KEY UPDATE;
  st := ` + progressSQL("doc") + `;
  UPDATE documents SET progress_state = st WHERE id = doc AND progress_state <> st;
END $$`,
			`CREATE OR REPLACE FUNCTION concord_paragraph_progress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('concord.deferred_counts', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM concord_document_progress(NEW.document_id);
  RETURN NULL;
END $$`,
			`CREATE OR REPLACE TRIGGER paragraphs_progress AFTER UPDATE OF annotators, is_open, is_current ON paragraphs FOR EACH ROW WHEN (` + paragraphChangedSQL + `) EXECUTE FUNCTION concord_paragraph_progress()`,
			`CREATE OR REPLACE FUNCTION concord_curation_progress() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE doc bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT document_id INTO doc FROM paragraphs WHERE id = OLD.paragraph_id;
  ELSE
    SELECT document_id INTO doc FROM paragraphs WHERE id = NEW.paragraph_id;
  END IF;
  IF doc IS NOT NULL THEN
    PERFORM concord_document_progress(doc);
    UPDATE user_documents SET is_left = ` + userLeftSQL("user_documents.user_id", "doc") + ` WHERE document_id = doc;
  END IF;
  RETURN NULL;
END $$`,
			`CREATE OR REPLACE TRIGGER curations_progress_insert AFTER INSERT ON curations FOR EACH ROW WHEN (NEW.status = '` + StatusConfirmed + `') EXECUTE FUNCTION concord_curation_progress()`,
			`CREATE OR REPLACE TRIGGER curations_progress_update AFTER UPDATE OF status ON curations FOR EACH ROW WHEN ((OLD.status = '` + StatusConfirmed + `') <> (NEW.status = '` + StatusConfirmed + `')) EXECUTE FUNCTION concord_curation_progress()`,
			`CREATE OR REPLACE TRIGGER curations_progress_delete AFTER DELETE ON curations FOR EACH ROW WHEN (OLD.status = '` + StatusConfirmed + `') EXECUTE FUNCTION concord_curation_progress()`,
			// The row is made first and locked, then computed in a
			// statement of its own, which sees what was committed while
			// it waited for the lock: one user saving a document's last two
			// paragraphs from two tabs at once leaves it done.
			`CREATE OR REPLACE FUNCTION concord_user_document(u bigint, par bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE d bigint;
BEGIN
  SELECT document_id INTO d FROM paragraphs WHERE id = par AND is_current;
  IF d IS NULL THEN
    RETURN;
  END IF;
  INSERT INTO user_documents (user_id, document_id, is_left) VALUES (u, d, TRUE) ON CONFLICT DO NOTHING;
  PERFORM 1 FROM user_documents WHERE user_id = u AND document_id = d FOR UPDATE;
  UPDATE user_documents SET is_left = ` + userLeftSQL("u", "d") + ` WHERE user_id = u AND document_id = d;
END $$`,
			`CREATE OR REPLACE FUNCTION concord_user_progress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF current_setting('concord.deferred_counts', true) = 'on' THEN
      RETURN NULL;
    END IF;
    PERFORM concord_user_document(NEW.user_id, NEW.paragraph_id);
  ELSE
    PERFORM concord_user_document(OLD.user_id, OLD.paragraph_id);
  END IF;
  RETURN NULL;
END $$`,
			`CREATE OR REPLACE TRIGGER annotations_user_progress AFTER INSERT OR DELETE ON annotations FOR EACH ROW EXECUTE FUNCTION concord_user_progress()`,
			`CREATE OR REPLACE TRIGGER skips_user_progress AFTER INSERT OR DELETE ON skips FOR EACH ROW EXECUTE FUNCTION concord_user_progress()`,
		}
	}
	user := func(table, row string) string {
		deferred := ""
		if row == "NEW" {
			deferred = " WHEN NOT EXISTS (SELECT 1 FROM deferred_counts)"
		}
		op := map[string]string{"NEW": "INSERT", "OLD": "DELETE"}[row]
		return `CREATE TRIGGER IF NOT EXISTS ` + table + `_user_progress_` + strings.ToLower(op) + ` AFTER ` + op + ` ON ` + table + deferred + ` BEGIN
  INSERT INTO user_documents (user_id, document_id, is_left) SELECT ` + row + `.user_id, q.document_id, ` + userLeftSQL(row+".user_id", "q.document_id") + `
  FROM paragraphs q WHERE q.id = ` + row + `.paragraph_id AND q.is_current = TRUE
  ON CONFLICT (user_id, document_id) DO UPDATE SET is_left = excluded.is_left;
END`
	}
	curation := func(row string) string {
		doc := `(SELECT document_id FROM paragraphs WHERE id = ` + row + `.paragraph_id)`
		return `UPDATE documents SET progress_state = ` + progressSQL("documents.id") + ` WHERE id = ` + doc + ` AND progress_state <> ` + progressSQL("documents.id") + `;
  UPDATE user_documents SET is_left = ` + userLeftSQL("user_documents.user_id", "user_documents.document_id") + ` WHERE document_id = ` + doc + `;`
	}
	return []string{
		`CREATE TRIGGER IF NOT EXISTS paragraphs_progress AFTER UPDATE OF annotators, is_open, is_current ON paragraphs WHEN (` + paragraphChangedSQL + `) AND NOT EXISTS (SELECT 1 FROM deferred_counts) BEGIN
  UPDATE documents SET progress_state = ` + progressSQL("NEW.document_id") + ` WHERE id = NEW.document_id AND progress_state <> ` + progressSQL("NEW.document_id") + `;
END`,
		`CREATE TRIGGER IF NOT EXISTS curations_progress_insert AFTER INSERT ON curations WHEN NEW.status = '` + StatusConfirmed + `' BEGIN
  ` + curation("NEW") + `
END`,
		`CREATE TRIGGER IF NOT EXISTS curations_progress_update AFTER UPDATE OF status ON curations WHEN (OLD.status = '` + StatusConfirmed + `') <> (NEW.status = '` + StatusConfirmed + `') BEGIN
  ` + curation("NEW") + `
END`,
		`CREATE TRIGGER IF NOT EXISTS curations_progress_delete AFTER DELETE ON curations WHEN OLD.status = '` + StatusConfirmed + `' BEGIN
  ` + curation("OLD") + `
END`,
		user("annotations", "NEW"), user("annotations", "OLD"), user("skips", "NEW"), user("skips", "OLD"),
	}
}

// settingProgress marks a database whose documents' states are kept.
const settingProgress = "document_progress"

// migrateProgress creates the triggers and, once, computes the state of
// every document of a database made before them. It runs in migrateCounts'
// transaction, after the paragraphs' counts are right.
func (s *Store) migrateProgress(tx *gorm.DB) error {
	var st Setting
	if err := tx.Where("name = ?", settingProgress).Limit(1).Find(&st).Error; err != nil {
		return err
	}
	if st.Value != "" && st.Value != progressVersion && s.dialect == "sqlite" {
		// SQLite creates triggers only if missing: those of an older
		// version go first. (PostgreSQL replaces them.)
		for _, name := range []string{"paragraphs_progress", "curations_progress_insert", "curations_progress_update", "curations_progress_delete"} {
			if err := tx.Exec("DROP TRIGGER IF EXISTS " + name).Error; err != nil {
				return err
			}
		}
	}
	for _, stmt := range progressTriggers(s.dialect) {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("create trigger: %w", err)
		}
	}
	if st.Value == progressVersion {
		return nil
	}
	if err := refreshProgress(tx, nil); err != nil {
		return err
	}
	return tx.Save(&Setting{Key: settingProgress, Value: progressVersion}).Error
}

// progressVersion is the version of the kept states that settingProgress
// records; a database holding an older one computes them again.
const progressVersion = "2"

// refreshProgress recomputes the state of the documents with the given ids,
// of every document when ids is nil, for the team and for each user, in
// tx. Writers that change many paragraphs with the triggers deferred, or
// that change which paragraphs are current, call it for the documents they
// touched.
func refreshProgress(tx *gorm.DB, ids []int64) error {
	if err := refreshDocuments(tx, ids); err != nil {
		return err
	}
	return inChunks(ids, func(in string, chunk []int64) error {
		pairs := `SELECT a.user_id, p.document_id FROM annotations a JOIN paragraphs p ON p.id = a.paragraph_id WHERE p.is_current = TRUE` + in + `
UNION SELECT k.user_id, p.document_id FROM skips k JOIN paragraphs p ON p.id = k.paragraph_id WHERE p.is_current = TRUE` + in
		args := []any{}
		if chunk != nil {
			args = []any{chunk, chunk}
		}
		if err := tx.Exec(`INSERT INTO user_documents (user_id, document_id, is_left) SELECT x.user_id, x.document_id, `+userLeftSQL("x.user_id", "x.document_id")+`
FROM (`+pairs+`) x WHERE TRUE ON CONFLICT (user_id, document_id) DO UPDATE SET is_left = excluded.is_left`, args...).Error; err != nil {
			return err
		}
		// Users whose labels stayed on an older revision keep a row.
		q := `UPDATE user_documents SET is_left = ` + userLeftSQL("user_documents.user_id", "user_documents.document_id")
		if chunk != nil {
			return tx.Exec(q+` WHERE document_id IN ?`, chunk).Error
		}
		return tx.Exec(q).Error
	})
}

// refreshDocuments recomputes the team's state of the documents with the
// given ids, of every document when ids is nil.
func refreshDocuments(tx *gorm.DB, ids []int64) error {
	set := "UPDATE documents SET progress_state = " + progressSQL("documents.id") + " WHERE progress_state <> " + progressSQL("documents.id")
	return inChunks(ids, func(in string, chunk []int64) error {
		if chunk == nil {
			return tx.Exec(set).Error
		}
		return tx.Exec(set+" AND id IN ?", chunk).Error
	})
}

// inChunks calls fn for ids 500 at a time, with a condition on
// p.document_id for each chunk; once with a nil chunk and no condition when
// ids is nil; not at all when ids is empty.
func inChunks(ids []int64, fn func(in string, chunk []int64) error) error {
	if ids == nil {
		return fn("", nil)
	}
	for start := 0; start < len(ids); start += 500 {
		if err := fn(" AND p.document_id IN ?", ids[start:min(start+500, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}
