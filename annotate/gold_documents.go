package annotate

import (
	"fmt"

	"gorm.io/gorm"
)

// goldDocument counts a document's current paragraphs with a gold label,
// so that the documents with gold are read by an index, a page at a time,
// not found through every gold label. Triggers keep it in the transaction
// of each write that adds or removes a gold label or makes a paragraph with
// one current or not; rows at 0 stay and are skipped.
type goldDocument struct {
	DocumentID int64 `gorm:"primaryKey;autoIncrement:false"`
	N          int   `gorm:"not null;default:0"`
}

func (goldDocument) TableName() string { return "gold_documents" }

func init() { models = append(models, &goldDocument{}) }

// settingGoldDocuments records that gold_documents was counted from the
// gold labels, once, when the database was first opened with it.
const settingGoldDocuments = "gold_documents"

// goldTriggers returns the statements that create the triggers keeping
// gold_documents.
func goldTriggers(dialect string) []string {
	const (
		add     = `INSERT INTO gold_documents (document_id, n) SELECT document_id, 1 FROM paragraphs WHERE id = NEW.paragraph_id AND is_current = TRUE ON CONFLICT (document_id) DO UPDATE SET n = gold_documents.n + 1`
		remove  = `UPDATE gold_documents SET n = n - 1 WHERE document_id = (SELECT document_id FROM paragraphs WHERE id = OLD.paragraph_id AND is_current = TRUE)`
		current = `INSERT INTO gold_documents (document_id, n) SELECT NEW.document_id, CASE WHEN NEW.is_current THEN 1 ELSE -1 END WHERE EXISTS (SELECT 1 FROM golds WHERE paragraph_id = NEW.id) ON CONFLICT (document_id) DO UPDATE SET n = gold_documents.n + excluded.n`
	)
	if dialect == "postgres" {
		fn := func(name, body string) string {
			return fmt.Sprintf("CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  %s;\n  RETURN NULL;\nEND $$", name, body)
		}
		return []string{
			fn("concord_gold_added", add),
			fn("concord_gold_removed", remove),
			fn("concord_gold_current", current),
			`CREATE OR REPLACE TRIGGER golds_documents_insert AFTER INSERT ON golds FOR EACH ROW EXECUTE FUNCTION concord_gold_added()`,
			`CREATE OR REPLACE TRIGGER golds_documents_delete AFTER DELETE ON golds FOR EACH ROW EXECUTE FUNCTION concord_gold_removed()`,
			`CREATE OR REPLACE TRIGGER paragraphs_gold_current AFTER UPDATE OF is_current ON paragraphs FOR EACH ROW WHEN (OLD.is_current IS DISTINCT FROM NEW.is_current) EXECUTE FUNCTION concord_gold_current()`,
		}
	}
	return []string{
		"CREATE TRIGGER IF NOT EXISTS golds_documents_insert AFTER INSERT ON golds BEGIN\n  " + add + ";\nEND",
		"CREATE TRIGGER IF NOT EXISTS golds_documents_delete AFTER DELETE ON golds BEGIN\n  " + remove + ";\nEND",
		"CREATE TRIGGER IF NOT EXISTS paragraphs_gold_current AFTER UPDATE OF is_current ON paragraphs WHEN OLD.is_current IS NOT NEW.is_current BEGIN\n  " + current + ";\nEND",
	}
}

// migrateGold creates the triggers and, the first time, counts the gold
// labels a database already holds.
func (s *Store) migrateGold(tx *gorm.DB) error {
	for _, stmt := range goldTriggers(s.dialect) {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("create trigger: %w", err)
		}
	}
	var done int64
	if err := tx.Model(&Setting{}).Where("name = ?", settingGoldDocuments).Count(&done).Error; err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	if err := tx.Exec("DELETE FROM gold_documents").Error; err != nil {
		return err
	}
	if err := tx.Exec("INSERT INTO gold_documents (document_id, n) SELECT p.document_id, count(*) FROM golds g JOIN paragraphs p ON p.id = g.paragraph_id WHERE p.is_current = TRUE GROUP BY p.document_id").Error; err != nil {
		return err
	}
	return tx.Exec("INSERT INTO settings (name, value) VALUES (?, '1') ON CONFLICT DO NOTHING", settingGoldDocuments).Error
}
