package annotate

import (
	"fmt"

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
	// progressNotStarted: no annotation on any current paragraph.
	progressNotStarted = 0
	// progressInProgress: annotations, and a paragraph to label that
	// still needs annotators.
	progressInProgress = 1
	// progressDone: every paragraph to label has the annotators it needs.
	progressDone = 2
	// progressNothingLeft: annotations, but curation took out every
	// current paragraph, so there is nothing to label.
	progressNothingLeft = 3
)

// progressStates maps the document statuses a DocumentQuery takes to the
// state they read from the index.
var progressStates = map[string]int{DocNotStarted: progressNotStarted, DocInProgress: progressInProgress, DocDone: progressDone}

// progressSQL computes the state of the document whose id doc names, from
// its current paragraphs: each subquery reads one document's paragraphs by
// an index, so it costs what the document holds, not the corpus.
func progressSQL(doc string) string {
	kept := "NOT EXISTS (SELECT 1 FROM curations c WHERE c.paragraph_id = p.id AND c.status = '" + StatusConfirmed + "')"
	return fmt.Sprintf(`(CASE
  WHEN NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.is_current = TRUE AND p.document_id = %[1]s AND p.annotators > 0) THEN %[3]d
  WHEN EXISTS (SELECT 1 FROM paragraphs p WHERE p.is_current = TRUE AND p.is_open = TRUE AND p.document_id = %[1]s AND %[2]s) THEN %[4]d
  WHEN EXISTS (SELECT 1 FROM paragraphs p WHERE p.is_current = TRUE AND p.document_id = %[1]s AND %[2]s) THEN %[5]d
  ELSE %[6]d END)`, doc, kept, progressNotStarted, progressInProgress, progressDone, progressNothingLeft)
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
  END IF;
  RETURN NULL;
END $$`,
			`CREATE OR REPLACE TRIGGER curations_progress_insert AFTER INSERT ON curations FOR EACH ROW WHEN (NEW.status = '` + StatusConfirmed + `') EXECUTE FUNCTION concord_curation_progress()`,
			`CREATE OR REPLACE TRIGGER curations_progress_update AFTER UPDATE OF status ON curations FOR EACH ROW WHEN ((OLD.status = '` + StatusConfirmed + `') <> (NEW.status = '` + StatusConfirmed + `')) EXECUTE FUNCTION concord_curation_progress()`,
			`CREATE OR REPLACE TRIGGER curations_progress_delete AFTER DELETE ON curations FOR EACH ROW WHEN (OLD.status = '` + StatusConfirmed + `') EXECUTE FUNCTION concord_curation_progress()`,
		}
	}
	curation := func(row string) string {
		return `UPDATE documents SET progress_state = ` + progressSQL("documents.id") + ` WHERE id = (SELECT document_id FROM paragraphs WHERE id = ` + row + `.paragraph_id) AND progress_state <> ` + progressSQL("documents.id") + `;`
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
	}
}

// settingProgress marks a database whose documents' states are kept.
const settingProgress = "document_progress"

// migrateProgress creates the triggers and, once, computes the state of
// every document of a database made before them. It runs in migrateCounts'
// transaction, after the paragraphs' counts are right.
func (s *Store) migrateProgress(tx *gorm.DB) error {
	for _, stmt := range progressTriggers(s.dialect) {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("create trigger: %w", err)
		}
	}
	var st Setting
	if err := tx.Where("name = ?", settingProgress).Limit(1).Find(&st).Error; err != nil {
		return err
	}
	if st.Value != "" {
		return nil
	}
	if err := refreshProgress(tx, nil); err != nil {
		return err
	}
	return tx.Create(&Setting{Key: settingProgress, Value: "1"}).Error
}

// refreshProgress recomputes the state of the documents with the given ids,
// of every document when ids is nil, in tx. Writers that change many
// paragraphs with the paragraph trigger deferred call it for the documents
// they touched.
func refreshProgress(tx *gorm.DB, ids []int64) error {
	if ids != nil && len(ids) == 0 {
		return nil
	}
	set := "UPDATE documents SET progress_state = " + progressSQL("documents.id") + " WHERE progress_state <> " + progressSQL("documents.id")
	if ids == nil {
		return tx.Exec(set).Error
	}
	for start := 0; start < len(ids); start += 500 {
		if err := tx.Exec(set+" AND id IN ?", ids[start:min(start+500, len(ids))]).Error; err != nil {
			return err
		}
	}
	return nil
}
