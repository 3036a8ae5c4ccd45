package annotate

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// The queue hands out paragraphs that fewer annotators than the overlap
// setting asks for have labelled. Counting each paragraph's annotations on
// every request reads everyone's labels; instead each paragraph carries its
// count (annotators) and whether it is still open (is_open), and an index
// over (is_current, is_open, document_id, position) gives the open ones in
// reading order. A trigger on annotations keeps both, in the transaction of
// the insert or removal itself, whatever path wrote it: a save, an undo, a
// carried-over label, an imported one. Changing the overlap setting sets
// is_open again for every paragraph (see SetOverlap). Triggers are the one
// place the two databases need SQL of their own.
//
// One writer stands the insert trigger aside: a labelled import writing
// the annotations of paragraphs it has just created, thousands per batch,
// where the trigger would update each paragraph once per annotation. It
// writes those paragraphs with the counts and open flags their annotations
// give them, and defers the trigger for the span of the annotations'
// inserts alone (see deferCounts and createLabelled). Deferring is seen by
// that transaction alone: on PostgreSQL it is the transaction's own setting
// concord.deferred_counts; on SQLite a row in deferred_counts that the
// import adds and removes within its own transaction, so that no reader
// sees it (readers see committed data) and no other write runs while it is
// there (SQLite has one writer, and the writer runs one job at a time, see
// writer.go).

// overlapSQL reads the overlap setting inside a statement.
var overlapSQL = fmt.Sprintf("COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE name = '%s'), %d)", SettingOverlap, DefaultOverlap)

// countTriggers returns the statements that create the triggers.
func countTriggers(dialect string) []string {
	if dialect == "postgres" {
		return []string{
			`CREATE OR REPLACE FUNCTION concord_count_annotators() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE paragraphs SET annotators = annotators + 1, is_open = annotators + 1 < ` + overlapSQL + ` WHERE id = NEW.paragraph_id;
  ELSE
    UPDATE paragraphs SET annotators = annotators - 1, is_open = annotators - 1 < ` + overlapSQL + ` WHERE id = OLD.paragraph_id;
  END IF;
  RETURN NULL;
END $$`,
			// The trigger's condition, rather than the function, stands
			// aside for deferred counts: a row it does not fire for costs
			// no call and no queued event, which a bulk import of millions
			// of annotations would otherwise pay for each. Only inserts
			// run while counts are deferred (see deferCounts). A database
			// opened by a build that split it into an insert and a removal
			// trigger has those dropped, or each change would count twice.
			`DROP TRIGGER IF EXISTS annotations_count_insert ON annotations`,
			`DROP TRIGGER IF EXISTS annotations_count_delete ON annotations`,
			`CREATE OR REPLACE TRIGGER annotations_count AFTER INSERT OR DELETE ON annotations FOR EACH ROW WHEN (current_setting('concord.deferred_counts', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION concord_count_annotators()`,
		}
	}
	return []string{
		`CREATE TABLE IF NOT EXISTS deferred_counts (id INTEGER PRIMARY KEY)`,
		`CREATE TRIGGER IF NOT EXISTS annotations_count_insert AFTER INSERT ON annotations WHEN NOT EXISTS (SELECT 1 FROM deferred_counts) BEGIN
  UPDATE paragraphs SET annotators = annotators + 1, is_open = annotators + 1 < ` + overlapSQL + ` WHERE id = NEW.paragraph_id;
END`,
		`CREATE TRIGGER IF NOT EXISTS annotations_count_delete AFTER DELETE ON annotations BEGIN
  UPDATE paragraphs SET annotators = annotators - 1, is_open = annotators - 1 < ` + overlapSQL + ` WHERE id = OLD.paragraph_id;
END`,
	}
}

// settingCounts marks a database whose paragraphs' counts are kept.
const settingCounts = "paragraph_counts"

// migrateCounts creates the triggers and, once, counts what databases made
// before them hold.
func (s *Store) migrateCounts(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	return db.Transaction(func(tx *gorm.DB) error {
		if s.dialect == "postgres" {
			// Servers starting at once would otherwise replace the
			// function under each other.
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7461, 1)").Error; err != nil {
				return err
			}
		}
		if s.dialect == "sqlite" {
			// Databases made before counts could be deferred have an insert
			// trigger without its condition.
			var old string
			if err := tx.Raw("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'annotations_count_insert'").Scan(&old).Error; err != nil {
				return err
			}
			if old != "" && !strings.Contains(old, "deferred_counts") {
				if err := tx.Exec("DROP TRIGGER annotations_count_insert").Error; err != nil {
					return err
				}
			}
		}
		for _, stmt := range countTriggers(s.dialect) {
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("create trigger: %w", err)
			}
		}
		var st Setting
		if err := tx.Where("name = ?", settingCounts).Limit(1).Find(&st).Error; err != nil {
			return err
		}
		if st.Value == "" {
			if err := tx.Exec("UPDATE paragraphs SET annotators = (SELECT count(*) FROM annotations a WHERE a.paragraph_id = paragraphs.id)").Error; err != nil {
				return err
			}
			if err := tx.Exec("UPDATE paragraphs SET is_open = annotators < " + overlapSQL).Error; err != nil {
				return err
			}
			if err := tx.Create(&Setting{Key: settingCounts, Value: "1"}).Error; err != nil {
				return err
			}
		}
		if err := s.migrateProgress(tx); err != nil {
			return err
		}
		if err := s.migrateGold(tx); err != nil {
			return err
		}
		return s.migrateDone(tx)
	})
}

// deferCounts makes the count trigger leave the paragraphs' counts alone
// for the rest of tx, until resumeCounts: the writer counts the annotations
// it inserts meanwhile itself. Only inserts run while counts are deferred
// (on PostgreSQL the trigger would pass over removals too).
func (s *Store) deferCounts(tx *gorm.DB) error {
	if s.dialect == "postgres" {
		return tx.Exec("SELECT set_config('concord.deferred_counts', 'on', true)").Error
	}
	return tx.Exec("INSERT INTO deferred_counts (id) VALUES (1)").Error
}

// resumeCounts ends deferCounts.
func (s *Store) resumeCounts(tx *gorm.DB) error {
	if s.dialect == "postgres" {
		return tx.Exec("SELECT set_config('concord.deferred_counts', 'off', true)").Error
	}
	return tx.Exec("DELETE FROM deferred_counts").Error
}

// reopen sets is_open again for every paragraph, after the overlap changed.
func reopen(tx *gorm.DB) error {
	return tx.Exec("UPDATE paragraphs SET is_open = annotators < " + overlapSQL).Error
}
