package annotate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// QueueOptions narrows the queue.
type QueueOptions struct {
	// Limit is the most paragraphs returned (1 to 100; default 1).
	Limit int
	// DocumentID, when set, keeps the queue to one document.
	DocumentID int64
	// Exclude leaves out paragraphs the caller already holds, such as the
	// ones a page has prefetched but not yet saved.
	Exclude []int64
}

// Queue returns the next paragraphs for a user to label, in reading order
// (document by document, paragraph by paragraph): current paragraphs the user
// has neither labelled, skipped nor flagged, that curation has not taken out, and that
// have fewer annotators than the overlap setting asks for.
func (s *Store) Queue(ctx context.Context, userID int64, opt QueueOptions) ([]Paragraph, error) {
	if opt.Limit <= 0 {
		opt.Limit = 1
	}
	if opt.Limit > 100 {
		opt.Limit = 100
	}
	q, err := s.queue(ctx, userID, opt.DocumentID)
	if err != nil {
		return nil, err
	}
	if len(opt.Exclude) > 0 {
		q = q.Where("id NOT IN ?", opt.Exclude)
	}
	var out []Paragraph
	if err := q.Order("document_id, position").Limit(opt.Limit).Find(&out).Error; err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// queue selects the paragraphs in a user's queue, of one document when
// documentID is not 0.
func (s *Store) queue(ctx context.Context, userID, documentID int64) (*gorm.DB, error) {
	overlap, err := s.Overlap(ctx)
	if err != nil {
		return nil, err
	}
	q := s.read(ctx).Model(&Paragraph{}).
		Where("is_current = ?", true).
		Where("NOT EXISTS (SELECT 1 FROM annotations a WHERE a.paragraph_id = paragraphs.id AND a.user_id = ?)", userID).
		Where("NOT EXISTS (SELECT 1 FROM skips k WHERE k.paragraph_id = paragraphs.id AND k.user_id = ?)", userID).
		Where("NOT EXISTS (SELECT 1 FROM curations c WHERE c.paragraph_id = paragraphs.id AND c.status = ?)", StatusConfirmed).
		Where("NOT "+ownFlagSQL, userID).
		Where("(SELECT count(*) FROM annotations a2 WHERE a2.paragraph_id = paragraphs.id) < ?", overlap)
	if documentID != 0 {
		q = q.Where("document_id = ?", documentID)
	}
	return q, nil
}

// Remaining counts the paragraphs left in a user's queue.
func (s *Store) Remaining(ctx context.Context, userID int64) (int64, error) {
	return s.RemainingIn(ctx, userID, 0)
}

// RemainingIn counts the paragraphs left in a user's queue within one
// document, or in all of them when documentID is 0.
func (s *Store) RemainingIn(ctx context.Context, userID, documentID int64) (int64, error) {
	q, err := s.queue(ctx, userID, documentID)
	if err != nil {
		return 0, err
	}
	var n int64
	return n, translate(q.Count(&n).Error)
}

// Annotation returns a user's annotation of a paragraph.
func (s *Store) Annotation(ctx context.Context, paragraphID, userID int64) (*Annotation, error) {
	var a Annotation
	err := s.read(ctx).Where("paragraph_id = ? AND user_id = ?", paragraphID, userID).First(&a).Error
	if err != nil {
		return nil, notFound(err, "you have not labelled paragraph %d", paragraphID)
	}
	return &a, nil
}

// AnnotationsOf returns a user's annotations of the given paragraphs, by
// paragraph id, in one query. Paragraphs the user has not labelled are
// absent from the map.
func (s *Store) AnnotationsOf(ctx context.Context, userID int64, paragraphIDs []int64) (map[int64]*Annotation, error) {
	out := make(map[int64]*Annotation, len(paragraphIDs))
	if len(paragraphIDs) == 0 {
		return out, nil
	}
	var as []Annotation
	if err := s.read(ctx).Where("user_id = ? AND paragraph_id IN ?", userID, paragraphIDs).Find(&as).Error; err != nil {
		return nil, translate(err)
	}
	for i := range as {
		out[as[i].ParagraphID] = &as[i]
	}
	return out, nil
}

// UserAnnotation is an annotation with its annotator's name.
type UserAnnotation struct {
	Annotation
	UserName string `json:"user_name"`
}

// Annotations returns everyone's annotations of a paragraph, by annotator
// name. Only reviewers and admins may be shown them.
func (s *Store) Annotations(ctx context.Context, paragraphID int64) ([]UserAnnotation, error) {
	if _, err := s.Paragraph(ctx, paragraphID); err != nil {
		return nil, err
	}
	var out []UserAnnotation
	err := s.read(ctx).Table("annotations").Select("annotations.*, users.name AS user_name").
		Joins("JOIN users ON users.id = annotations.user_id").
		Where("annotations.paragraph_id = ?", paragraphID).Order("users.name").Scan(&out).Error
	return out, translate(err)
}

// conflict returns the 409 for a write against a stale version.
func conflict(current any, format string, args ...any) error {
	return &Error{Code: ECONFLICT, Field: "version", Message: fmt.Sprintf(format, args...), Current: current}
}

// SaveAnnotation writes a user's labels for a paragraph. version is the
// version being replaced: 0 to create. The labels are checked against the
// current schema. A stale version fails with ECONFLICT carrying the stored
// annotation, unless the stored labels already equal the new ones, in which
// case the write is a no-op that returns the stored annotation: a client that
// retries a save whose answer it never got does not see a false conflict.
// Each accepted write is recorded in the history in the same transaction.
func (s *Store) SaveAnnotation(ctx context.Context, userID, paragraphID int64, version int, labels Labels) (*Annotation, error) {
	a, _, err := s.PutAnnotation(ctx, userID, paragraphID, version, labels)
	return a, err
}

// PutAnnotation is SaveAnnotation that also reports whether the write
// created the annotation.
func (s *Store) PutAnnotation(ctx context.Context, userID, paragraphID int64, version int, labels Labels) (a *Annotation, created bool, err error) {
	if version < 0 {
		return nil, false, Invalidf("version", "version must be 0 (new) or the version you last read")
	}
	a, created, err = s.putFast(ctx, userID, paragraphID, version, labels)
	if !errors.Is(err, errStale) {
		return a, created, err
	}
	// On PostgreSQL two first saves of the same annotation can run at once;
	// the one whose insert loses finds the winner on its next try.
	for range 3 {
		a, created, err = s.putChecked(ctx, userID, paragraphID, version, labels)
		if !errors.Is(err, errStale) {
			break
		}
	}
	return a, created, err
}

// errStale says the snapshot putFast read no longer holds.
var errStale = errors.New("annotate: snapshot changed")

// putFast is the common case of a save, built to hold the single write lock
// as briefly as it can: it reads the paragraph, the stored annotation and the
// schema outside the lock, then writes with statements guarded by what it
// read (the stored version, the paragraph still current, the schema version
// unchanged). When a guard fails it returns errStale and putChecked redoes
// the save with every check inside the transaction.
func (s *Store) putFast(ctx context.Context, userID, paragraphID int64, version int, labels Labels) (*Annotation, bool, error) {
	sc, err := s.Schema(ctx)
	if err != nil {
		return nil, false, err
	}
	canon, err := sc.Canonical(labels)
	if err != nil {
		return nil, false, err
	}
	// One read for the paragraph's state, the stored annotation and
	// whether the user skipped the paragraph.
	var (
		current bool
		skipped bool
		annID   sql.NullInt64
		stored  sql.NullInt64
		created sql.NullTime
		cur     Annotation
	)
	row := s.readRow(ctx, `SELECT p.is_current, EXISTS (SELECT 1 FROM skips k WHERE k.paragraph_id = p.id AND k.user_id = ?), a.id, a.labels, a.version, a.created_at
FROM paragraphs p LEFT JOIN annotations a ON a.paragraph_id = p.id AND a.user_id = ?
WHERE p.id = ?`, userID, userID, paragraphID)
	if err := row.Scan(&current, &skipped, &annID, &cur.Labels, &stored, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, errStale
		}
		return nil, false, translate(err)
	}
	if !current {
		return nil, false, errStale
	}
	if annID.Valid {
		cur.ID, cur.ParagraphID, cur.UserID = annID.Int64, paragraphID, userID
		cur.Version, cur.CreatedAt = int(stored.Int64), created.Time
	}
	if cur.ID != 0 && cur.Labels.Equal(canon) {
		return &cur, false, nil
	}
	if (cur.ID == 0) != (version == 0) || (cur.ID != 0 && cur.Version != version) {
		return nil, false, errStale
	}
	now := s.now()
	// The writes are guarded by what was read: the paragraph still current,
	// the schema unchanged, and no skip appeared since (one that was there
	// is taken back below).
	guardArgs := []any{paragraphID, true, sc.Version}
	insert, update := putInsert, putUpdate
	if skipped {
		insert, update = putInsertSkipped, putUpdateSkipped
	} else {
		guardArgs = append(guardArgs, paragraphID, userID)
	}
	out := Annotation{ID: cur.ID, ParagraphID: paragraphID, UserID: userID, Labels: canon, Version: cur.Version + 1, SchemaVersion: sc.Version, CreatedAt: cur.CreatedAt, UpdatedAt: now}
	// Everything that can be done before taking the write lock is: the
	// JSON of the labels and of the history row, and whether the labels
	// bring a new value to an open dimension.
	labelsJSON := string(toJSON(canon))
	action, before := "create", ""
	if cur.ID != 0 {
		action, before = "update", string(toJSON(cur.Labels))
	}
	newOpen := hasOpenValues(sc, canon)
	var args []any
	if cur.ID == 0 {
		out.CreatedAt = now
		args = append([]any{paragraphID, userID, labelsJSON, 1, sc.Version, now, now}, guardArgs...)
	} else {
		args = append([]any{labelsJSON, out.Version, sc.Version, now, cur.ID, cur.Version}, guardArgs...)
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if cur.ID == 0 {
			var err error
			if s.dialect == "sqlite" {
				// SQLite reports the new id without RETURNING, which costs
				// it a temporary result table.
				var res sql.Result
				if res, err = tx.Statement.ConnPool.ExecContext(tx.Statement.Context, insert, args...); err == nil {
					var n int64
					if n, err = res.RowsAffected(); err == nil && n == 0 {
						err = sql.ErrNoRows
					} else if err == nil {
						out.ID, err = res.LastInsertId()
					}
				}
			} else {
				err = tx.Raw(insert+" RETURNING id", args...).Row().Scan(&out.ID)
			}
			if isUniqueViolation(err) || errors.Is(err, sql.ErrNoRows) {
				return errStale
			}
			if err != nil {
				return err
			}
		} else {
			n, err := s.exec(tx, update, args...)
			if err != nil {
				return err
			}
			if n != 1 {
				return errStale
			}
		}
		if skipped {
			if err := s.dropSkip(tx, userID, paragraphID, now); err != nil {
				return err
			}
		}
		if newOpen {
			if err := s.rememberOpenValues(tx, sc, userID, canon); err != nil {
				return err
			}
		}
		return s.record(tx, Change{At: now, UserID: userID, Entity: "annotation", EntityID: out.ID, ParagraphID: paragraphID, Action: action, Before: JSON(before), After: JSON(labelsJSON)})
	})
	if err != nil {
		return nil, false, err
	}
	return &out, cur.ID == 0, nil
}

// The statements of putFast. Each is guarded by what was read before it:
// the paragraph still current, the schema version unchanged and, unless the
// read found a skip (which the save then takes back), no skip since.
const (
	putGuard         = "EXISTS (SELECT 1 FROM paragraphs WHERE id = ? AND is_current = ?) AND (SELECT max(version) FROM schema_versions) = ?"
	putGuardNoSkip   = putGuard + " AND NOT EXISTS (SELECT 1 FROM skips WHERE paragraph_id = ? AND user_id = ?)"
	putInsertColumns = "INSERT INTO annotations (paragraph_id, user_id, labels, version, schema_version, created_at, updated_at) SELECT ?, ?, ?, ?, ?, ?, ? WHERE "
	putInsert        = putInsertColumns + putGuardNoSkip
	putInsertSkipped = putInsertColumns + putGuard
	putUpdateColumns = "UPDATE annotations SET labels = ?, version = ?, schema_version = ?, updated_at = ? WHERE id = ? AND version = ? AND "
	putUpdate        = putUpdateColumns + putGuardNoSkip
	putUpdateSkipped = putUpdateColumns + putGuard
)

// putChecked saves with every check made inside the write transaction.
func (s *Store) putChecked(ctx context.Context, userID, paragraphID int64, version int, labels Labels) (a *Annotation, created bool, err error) {
	var out Annotation
	err = s.tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schemaIn(tx)
		if err != nil {
			return err
		}
		canon, err := sc.Canonical(labels)
		if err != nil {
			return err
		}
		var p Paragraph
		if err := tx.Select("id", "is_current").First(&p, paragraphID).Error; err != nil {
			return notFound(err, "no paragraph with id %d", paragraphID)
		}
		if !p.Current {
			return &Error{Code: ECONFLICT, Field: "paragraph", Message: fmt.Sprintf("paragraph %d belongs to an older revision of its document; reload to label the current text", paragraphID)}
		}
		var cur Annotation
		if err := tx.Where("paragraph_id = ? AND user_id = ?", paragraphID, userID).Limit(1).Find(&cur).Error; err != nil {
			return err
		}
		if cur.ID != 0 && cur.Labels.Equal(canon) {
			out = cur
			return nil
		}
		if cur.ID == 0 && version != 0 {
			return conflict(nil, "you have no annotation of paragraph %d any more; save with version 0 to create it", paragraphID)
		}
		if cur.ID != 0 && version != cur.Version {
			return conflict(&cur, "your annotation of paragraph %d changed since version %d (now version %d); read it again, or save with version %d to replace it", paragraphID, version, cur.Version, cur.Version)
		}
		now := s.now()
		before := JSON("")
		action := "create"
		if cur.ID == 0 {
			cur = Annotation{ParagraphID: paragraphID, UserID: userID, CreatedAt: now}
			created = true
		} else {
			before = toJSON(cur.Labels)
			action = "update"
		}
		cur.Labels, cur.Version, cur.SchemaVersion, cur.UpdatedAt = canon, cur.Version+1, sc.Version, now
		if err := tx.Save(&cur).Error; err != nil {
			if isUniqueViolation(err) {
				return errStale
			}
			return err
		}
		if err := s.dropSkip(tx, userID, paragraphID, now); err != nil {
			return err
		}
		if err := s.rememberOpenValues(tx, sc, userID, canon); err != nil {
			return err
		}
		out = cur
		return s.record(tx, Change{At: now, UserID: userID, Entity: "annotation", EntityID: cur.ID, ParagraphID: paragraphID, Action: action, Before: before, After: toJSON(canon)})
	})
	if err != nil {
		return nil, false, err
	}
	return &out, created, nil
}

// dropSkip takes back a user's skip of a paragraph they have now labelled,
// and records it.
func (s *Store) dropSkip(tx *gorm.DB, userID, paragraphID int64, now time.Time) error {
	res := tx.Where("paragraph_id = ? AND user_id = ?", paragraphID, userID).Delete(&Skip{})
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	return s.record(tx, Change{At: now, UserID: userID, Entity: "skip", ParagraphID: paragraphID, Action: "unskip", After: toJSON(map[string]string{"reason": "labelled"})})
}

// openValue returns l's value of d if d is an open dimension and the value
// is not one of d's options.
func openValue(d *Dimension, l Labels) (string, bool) {
	if d.Kind != KindOpen || len(l[d.Name]) == 0 {
		return "", false
	}
	v := l[d.Name][0]
	if _, isOption := d.Resolve(v); isOption && contains(d.Keys(), v) {
		return "", false
	}
	return v, true
}

// hasOpenValues reports whether l holds a value outside the options of an
// open dimension.
func hasOpenValues(sc *Schema, l Labels) bool {
	for i := range sc.Dimensions {
		if _, ok := openValue(&sc.Dimensions[i], l); ok {
			return true
		}
	}
	return false
}

// rememberOpenValues keeps the values annotators add to open dimensions,
// and who typed each (see rememberOpenValue).
func (s *Store) rememberOpenValues(tx *gorm.DB, sc *Schema, userID int64, l Labels) error {
	for i := range sc.Dimensions {
		d := &sc.Dimensions[i]
		if v, ok := openValue(d, l); ok {
			if err := rememberOpenValue(tx, d.Name, v, userID); err != nil {
				return err
			}
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// DeleteAnnotation removes a user's annotation of a paragraph, as when they
// undo their first label of it. version must be the stored version. The
// history keeps what was removed.
func (s *Store) DeleteAnnotation(ctx context.Context, userID, paragraphID int64, version int) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var cur Annotation
		if err := tx.Where("paragraph_id = ? AND user_id = ?", paragraphID, userID).First(&cur).Error; err != nil {
			return notFound(err, "you have not labelled paragraph %d", paragraphID)
		}
		if cur.Version != version {
			return conflict(&cur, "your annotation of paragraph %d changed since version %d (now version %d); read it again, or remove it with version %d", paragraphID, version, cur.Version, cur.Version)
		}
		if err := tx.Delete(&cur).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: userID, Entity: "annotation", EntityID: cur.ID, ParagraphID: paragraphID, Action: "delete", Before: toJSON(cur.Labels)})
	})
}

// MaxReasonLen is the longest skip or flag reason, in characters.
const MaxReasonLen = 1000

// MaxNoteLen is the longest note, in characters.
const MaxNoteLen = 10000

// SkipParagraph records that a user passes over a paragraph, with a reason;
// it leaves their queue. Skipping again replaces the reason.
func (s *Store) SkipParagraph(ctx context.Context, userID, paragraphID int64, reason string) (*Skip, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, Invalidf("reason", "say why you skip this paragraph")
	}
	if utf8.RuneCountInString(reason) > MaxReasonLen {
		return nil, Invalidf("reason", "a reason has at most %d characters", MaxReasonLen)
	}
	var out Skip
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var p Paragraph
		if err := tx.First(&p, paragraphID).Error; err != nil {
			return notFound(err, "no paragraph with id %d", paragraphID)
		}
		if err := tx.Where("paragraph_id = ? AND user_id = ?", paragraphID, userID).Limit(1).Find(&out).Error; err != nil {
			return err
		}
		before := JSON("")
		if out.ID != 0 {
			before = toJSON(map[string]string{"reason": out.Reason})
		}
		out.ParagraphID, out.UserID, out.Reason = paragraphID, userID, reason
		if out.ID == 0 {
			out.CreatedAt = s.now()
		}
		if err := tx.Save(&out).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: userID, Entity: "skip", EntityID: out.ID, ParagraphID: paragraphID, Action: "skip", Before: before, After: toJSON(map[string]string{"reason": reason})})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UnskipParagraph puts a skipped paragraph back in the user's queue.
func (s *Store) UnskipParagraph(ctx context.Context, userID, paragraphID int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var k Skip
		if err := tx.Where("paragraph_id = ? AND user_id = ?", paragraphID, userID).First(&k).Error; err != nil {
			return notFound(err, "you have not skipped paragraph %d", paragraphID)
		}
		if err := tx.Delete(&k).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: userID, Entity: "skip", EntityID: k.ID, ParagraphID: paragraphID, Action: "unskip", Before: toJSON(map[string]string{"reason": k.Reason})})
	})
}

// AddNote adds a note to a paragraph.
func (s *Store) AddNote(ctx context.Context, userID, paragraphID int64, body string) (*Note, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, Invalidf("body", "a note cannot be empty")
	}
	if utf8.RuneCountInString(body) > MaxNoteLen {
		return nil, Invalidf("body", "a note has at most %d characters", MaxNoteLen)
	}
	n := &Note{ParagraphID: paragraphID, UserID: userID, Body: body}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var p Paragraph
		if err := tx.First(&p, paragraphID).Error; err != nil {
			return notFound(err, "no paragraph with id %d", paragraphID)
		}
		n.CreatedAt = s.now()
		if err := tx.Create(n).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: userID, Entity: "note", EntityID: n.ID, ParagraphID: paragraphID, Action: "create", After: toJSON(map[string]string{"body": body})})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Notes returns the notes on a paragraph, oldest first: everyone's when all
// is true, else only those of userID.
func (s *Store) Notes(ctx context.Context, paragraphID, userID int64, all bool) ([]Note, error) {
	if _, err := s.Paragraph(ctx, paragraphID); err != nil {
		return nil, err
	}
	q := s.read(ctx).Table("notes").Select("notes.*, users.name AS user_name").
		Joins("JOIN users ON users.id = notes.user_id").Where("notes.paragraph_id = ?", paragraphID)
	if !all {
		q = q.Where("notes.user_id = ?", userID)
	}
	var out []Note
	err := q.Order("notes.id").Scan(&out).Error
	return out, translate(err)
}
