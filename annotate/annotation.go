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
//
// There is one way to save: read the paragraph, the stored annotation and
// the schema outside the write lock, then write with a single statement
// guarded by what was read (the version, the paragraph still current, the
// schema still current; see guard.go) and judged by the rows it changed.
// The same statement runs on SQLite and PostgreSQL. When the guard fails,
// something changed in between: the save reads again and either finds a
// conflict to report or tries once more against what is now stored.
//
// When ctx carries a Proof (WithProof), the request's credential is part of
// the guard: on PostgreSQL in the write's own statement, otherwise checked
// once before the write.
func (s *Store) PutAnnotation(ctx context.Context, userID, paragraphID int64, version int, labels Labels) (a *Annotation, created bool, err error) {
	if version < 0 {
		return nil, false, Invalidf("version", "version must be 0 (new) or the version you last read")
	}
	proof, checked := proofFrom(ctx)
	if s.saves != nil {
		// PostgreSQL: first the write alone, guarded by the version the
		// client names and by the request's credential, if it carries one
		// (see putDirect); what it cannot settle goes on below.
		a, created, err = s.putDirect(ctx, userID, paragraphID, version, labels, proof)
		if !retryable(err) {
			return a, created, err
		}
	}
	if checked {
		// The rest does not check the credential in its statements: it is
		// checked here, once, before them.
		if err := s.checkProof(ctx, proof); err != nil {
			return nil, false, err
		}
	}
	for attempt := range maxGuardRetries {
		a, created, err = s.putOnce(ctx, userID, paragraphID, version, labels, attempt > 0)
		if !retryable(err) {
			return a, created, err
		}
	}
	return nil, false, &Error{Code: ECONFLICT, Field: "paragraph", Message: fmt.Sprintf("paragraph %d kept changing while your save was written (a re-import or schema change); save again", paragraphID)}
}

// maxGuardRetries bounds how often a guarded write is tried again after
// its guard failed. Each retry reads what is stored now, so a retry fails
// again only if yet another write came in between.
const maxGuardRetries = 5

// errStale says the snapshot a guarded write read no longer holds.
var errStale = errors.New("annotate: snapshot changed")

// putOnce reads what a save depends on, decides from it, and writes with
// statements guarded by what it read. It returns errStale when a guard
// fails. fresh asks for the schema from the database rather than the
// cache, as after a failed guard.
func (s *Store) putOnce(ctx context.Context, userID, paragraphID int64, version int, labels Labels, fresh bool) (*Annotation, bool, error) {
	sc, err := s.currentSchema(ctx, fresh)
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
			return nil, false, NotFoundf("no paragraph with id %d", paragraphID)
		}
		return nil, false, translate(err)
	}
	if !current {
		return nil, false, staleParagraph(paragraphID, "label")
	}
	if annID.Valid {
		cur.ID, cur.ParagraphID, cur.UserID = annID.Int64, paragraphID, userID
		cur.Version, cur.CreatedAt = int(stored.Int64), created.Time
	}
	if cur.ID != 0 && cur.Labels.Equal(canon) {
		// A retry of a save whose answer was lost: nothing to write.
		return &cur, false, nil
	}
	if cur.ID == 0 && version != 0 {
		return nil, false, conflict(nil, "you have no annotation of paragraph %d any more; save with version 0 to create it", paragraphID)
	}
	if cur.ID != 0 && version != cur.Version {
		return nil, false, conflict(&cur, "your annotation of paragraph %d changed since version %d (now version %d); read it again, or save with version %d to replace it", paragraphID, version, cur.Version, cur.Version)
	}
	now := s.now()
	// The writes are guarded by what was read: the paragraph still current,
	// the schema unchanged, and no skip appeared since (one that was there
	// is taken back below).
	guardArgs := []any{sc.Version, paragraphID, true}
	insert, update := s.stmt.putInsert, s.stmt.putUpdate
	if skipped {
		insert, update = s.stmt.putInsertSkipped, s.stmt.putUpdateSkipped
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
	if s.stmt.putInsertRecorded != "" && !skipped && !newOpen {
		// PostgreSQL: the guarded write and its history row in one
		// statement, which commits by itself (see guard.go).
		histArgs := []any{now, userID, paragraphID, action, JSON(before), JSON(labelsJSON)}
		stmt := s.stmt.putUpdateRecorded
		if cur.ID == 0 {
			stmt = s.stmt.putInsertRecorded
		}
		id, err := s.writeRecorded(ctx, stmt, append(args, histArgs...)...)
		if err != nil {
			return nil, false, err
		}
		out.ID = id
		return &out, cur.ID == 0, nil
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if cur.ID == 0 {
			id, err := s.insertGuarded(tx, insert, args...)
			if err != nil {
				return err
			}
			out.ID = id
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

// putDirect is the common save on PostgreSQL: the write guarded by the
// version the client names (as well as by the paragraph and schema being
// current, no skip, and labels that differ from the stored ones), with its
// history row, in one statement that commits by itself and that saves
// arriving at the same moment share (see savebatch.go). Whatever it cannot
// settle — a stale version, a retry of labels already stored, a skip to
// take back, a guard that failed — it leaves to putOnce, returning
// errStale, having written nothing. With a proof the guard checks the
// request's credential too (see credential.go).
func (s *Store) putDirect(ctx context.Context, userID, paragraphID int64, version int, labels Labels, proof Proof) (*Annotation, bool, error) {
	if proof.key.kind != credentialNone && proof.user.ID != userID {
		return nil, false, errStale
	}
	sc, err := s.Schema(ctx)
	if err != nil {
		return nil, false, err
	}
	canon, err := sc.Canonical(labels)
	if err != nil {
		return nil, false, err
	}
	if hasOpenValues(sc, canon) {
		return nil, false, errStale
	}
	now := s.now()
	labelsJSON := string(toJSON(canon))
	it := &saveItem{ctx: ctx, paragraphID: paragraphID, userID: userID, version: version, labels: labelsJSON, schemaVersion: sc.Version, at: now, kind: proof.key.kind}
	if proof.key.kind != credentialNone {
		it.hash, it.role = proof.key.hash, string(proof.user.Role)
	}
	r := s.saves.save(it)
	if r.err != nil {
		return nil, false, r.err
	}
	return &Annotation{ID: r.id, ParagraphID: paragraphID, UserID: userID, Labels: canon, Version: version + 1, SchemaVersion: sc.Version, CreatedAt: r.createdAt, UpdatedAt: now}, version == 0, nil
}

// staleParagraph is the conflict of a write to a paragraph of an older
// revision.
func staleParagraph(paragraphID int64, what string) error {
	return &Error{Code: ECONFLICT, Field: "paragraph", Message: fmt.Sprintf("paragraph %d belongs to an older revision of its document; reload to %s the current text", paragraphID, what)}
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
// history keeps what was removed. Like a save, the removal is one statement
// guarded by the version and the paragraph still current (see guard.go).
func (s *Store) DeleteAnnotation(ctx context.Context, userID, paragraphID int64, version int) error {
	if version <= 0 {
		return Invalidf("version", "give the version being removed (a positive integer), got %d", version)
	}
	for range maxGuardRetries {
		err := s.deleteOnce(ctx, userID, paragraphID, version)
		if !retryable(err) {
			return err
		}
	}
	return &Error{Code: ECONFLICT, Field: "paragraph", Message: fmt.Sprintf("paragraph %d kept changing while your removal was written; try again", paragraphID)}
}

// deleteOnce reads the annotation, checks the version and removes it with a
// guarded statement; errStale when the guard fails.
func (s *Store) deleteOnce(ctx context.Context, userID, paragraphID int64, version int) error {
	var (
		current bool
		cur     Annotation
		annID   sql.NullInt64
		stored  sql.NullInt64
	)
	row := s.readRow(ctx, `SELECT p.is_current, a.id, a.labels, a.version
FROM paragraphs p LEFT JOIN annotations a ON a.paragraph_id = p.id AND a.user_id = ?
WHERE p.id = ?`, userID, paragraphID)
	if err := row.Scan(&current, &annID, &cur.Labels, &stored); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return NotFoundf("no paragraph with id %d", paragraphID)
		}
		return translate(err)
	}
	if !annID.Valid {
		return NotFoundf("you have not labelled paragraph %d", paragraphID)
	}
	cur.ID, cur.ParagraphID, cur.UserID, cur.Version = annID.Int64, paragraphID, userID, int(stored.Int64)
	if cur.Version != version {
		return conflict(&cur, "your annotation of paragraph %d changed since version %d (now version %d); read it again, or remove it with version %d", paragraphID, version, cur.Version, cur.Version)
	}
	if !current {
		return staleParagraph(paragraphID, "label")
	}
	before := toJSON(cur.Labels)
	return s.tx(ctx, func(tx *gorm.DB) error {
		n, err := s.exec(tx, s.stmt.annotationDelete, cur.ID, version, paragraphID, true)
		if err != nil {
			return err
		}
		if n != 1 {
			return errStale
		}
		return s.record(tx, Change{UserID: userID, Entity: "annotation", EntityID: cur.ID, ParagraphID: paragraphID, Action: "delete", Before: before})
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
	if err := CheckText("reason", reason, true); err != nil {
		return nil, err
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
		if err := releaseLease(tx, userID, paragraphID); err != nil {
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
	if err := CheckText("body", body, true); err != nil {
		return nil, err
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

// NotePage is one page of a paragraph's notes; Next is the cursor of the
// page after, 0 on the last.
type NotePage struct {
	Notes []Note `json:"notes"`
	Next  int64  `json:"next,omitempty"`
}

// Notes returns one page of the notes on a paragraph, oldest first:
// everyone's when all is true, else only those of userID.
func (s *Store) Notes(ctx context.Context, paragraphID, userID int64, all bool, q ListQuery) (*NotePage, error) {
	if err := checkList(&q.Limit, DefaultNoteLimit, MaxNoteLimit, q.After); err != nil {
		return nil, err
	}
	if _, err := s.Paragraph(ctx, paragraphID); err != nil {
		return nil, err
	}
	db := s.read(ctx).Table("notes").Select("notes.*, users.name AS user_name").
		Joins("JOIN users ON users.id = notes.user_id").Where("notes.paragraph_id = ?", paragraphID)
	if !all {
		db = db.Where("notes.user_id = ?", userID)
	}
	ns, next, err := pageByID(db, "notes.id", q.After, q.Limit, func(n *Note) int64 { return n.ID })
	if err != nil {
		return nil, err
	}
	return &NotePage{Notes: ns, Next: next}, nil
}
