package annotate

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Lease is an annotator's hold on a paragraph the queue handed them: while
// it lasts, the paragraph counts as taken by them, so that with overlap N
// the queue gives it to at most N annotators at once. A lease never stops a
// save: it only decides what the queue hands out.
type Lease struct {
	ID          int64     `gorm:"primaryKey"`
	ParagraphID int64     `gorm:"not null;uniqueIndex:idx_lease_paragraph_user"`
	UserID      int64     `gorm:"not null;uniqueIndex:idx_lease_paragraph_user"`
	ExpiresAt   time.Time `gorm:"not null;index"`
}

func init() { models = append(models, &Lease{}) }

// LeaseTTL is how long the queue holds a paragraph for the annotator it
// handed it to. Every call to the queue renews the caller's leases, so an
// annotator at work keeps the paragraphs they have open; one who walks away
// frees them after this long.
const LeaseTTL = 5 * time.Minute

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

// Queue returns the next paragraphs for a user to label: current
// paragraphs the user has neither labelled, skipped nor flagged, that
// curation has not taken out, and that fewer annotators than the overlap
// setting asks for have labelled or hold, in the order the queue_order
// setting names (see QueueOrder): reading order (document by document,
// paragraph by paragraph), the smallest suggestion margin first, or the
// most disputed first, the rest in reading order. The user gets a lease on
// each paragraph returned (see Lease), and the leases they already hold
// are renewed.
func (s *Store) Queue(ctx context.Context, userID int64, opt QueueOptions) ([]Paragraph, error) {
	if opt.Limit <= 0 {
		opt.Limit = 1
	}
	if opt.Limit > 100 {
		opt.Limit = 100
	}
	overlap, err := s.Overlap(ctx)
	if err != nil {
		return nil, err
	}
	order, err := s.QueueOrder(ctx)
	if err != nil {
		return nil, err
	}
	exclude := slices.Clone(opt.Exclude)
	var out []Paragraph
	if order == QueueDisagreement {
		if out, exclude, err = s.queueDisputed(ctx, userID, opt, overlap, exclude); err != nil {
			return nil, err
		}
		if len(out) >= opt.Limit {
			return out, nil
		}
	}
	// Each order walks an index of the open paragraphs in that order (see
	// Paragraph): the queue reads a page of it, not the corpus.
	sortBy := "p.document_id, p.position"
	if order == QueueUncertain {
		sortBy = "p.queue_margin, p.document_id, p.position"
		if opt.DocumentID != 0 {
			sortBy = "p.queue_margin, p.position"
		}
	}
	// The read runs outside the write lock and may be overtaken: another
	// annotator can take a candidate before the grant. So it reads a few
	// more candidates than asked for, the grant takes those that still have
	// room, and when annotators asking at the same moment took them all,
	// the next candidates are read, a bounded number of times.
	for range maxGuardRetries {
		now := s.now()
		q, err := s.queue(ctx, userID, opt.DocumentID, overlap, now)
		if err != nil {
			return nil, err
		}
		if len(exclude) > 0 {
			q = q.Where("p.id NOT IN ?", exclude)
		}
		asked := opt.Limit - len(out)
		window := 2*asked + queueSlack
		var cands []Paragraph
		if err := q.Select("p.*").Order(sortBy).Limit(window).Find(&cands).Error; err != nil {
			return nil, translate(err)
		}
		if len(cands) == 0 {
			break
		}
		granted, err := s.grantLeases(ctx, userID, cands, asked, overlap, now)
		if err != nil {
			return nil, err
		}
		for _, p := range cands {
			exclude = append(exclude, p.ID)
			if granted[p.ID] {
				out = append(out, p)
			}
		}
		if len(out) >= opt.Limit || len(cands) < window {
			break
		}
	}
	return out, nil
}

// queueDisputed is the first part of the queue in disagreement order: the
// disputed paragraphs open to the user, most disputed first, with a lease
// on each returned; exclude comes back with every paragraph looked at.
//
// It reuses the adjudication queue's ranking (rankedQueue) rather than
// keeping a dispute score per paragraph: a score needs the schema's
// majority rules applied to every write of an annotation, and annotations
// are written by many paths (saves, undos, imports, carried-over labels,
// schema migrations) that a database trigger could follow but could not
// score. The ranking is kept in memory per data version and brought up to
// date from the history by ranking again only the paragraphs written
// since, so a request costs the writes since the last one, not the corpus.
// Each ranked paragraph carries its annotators, so those closed by the
// overlap or labelled by the user are passed over in memory; the rest are
// checked in windows by the same SQL as the other orders (skips, flags,
// curation, others' leases) and leased. What a request costs beyond the
// reading order's is thus the writes since the last one and, at worst, a
// pass in memory over the disputed paragraphs closed to the user; a
// queue of more than maxCachedQueue disputed paragraphs is not kept and
// is ranked again on each request, as the adjudication page's is.
func (s *Store) queueDisputed(ctx context.Context, userID int64, opt QueueOptions, overlap int, exclude []int64) ([]Paragraph, []int64, error) {
	if overlap <= 2 {
		// A dispute takes two annotators, who close the paragraph.
		return nil, exclude, nil
	}
	f := DisagreementFilter{Order: QueueByDisputed}
	if opt.DocumentID != 0 {
		f.Documents = []int64{opt.DocumentID}
	}
	_, ranked, err := s.rankedQueue(ctx, f, nil)
	if err != nil {
		return nil, nil, err
	}
	skip := make(map[int64]bool, len(exclude))
	for _, id := range exclude {
		skip[id] = true
	}
	var out []Paragraph
	i := 0
	for range maxGuardRetries {
		asked := opt.Limit - len(out)
		window := 2*asked + queueSlack
		var ids []int64
		for ; i < len(ranked) && len(ids) < window; i++ {
			r := ranked[i]
			if len(r.users) < overlap && !slices.Contains(r.users, userID) && !skip[r.id] {
				ids = append(ids, r.id)
			}
		}
		if len(ids) == 0 {
			break
		}
		// The candidates are read by id, their paragraphs' primary key:
		// with is_current and is_open in the statement the planner may
		// walk the open paragraphs' index instead. is_current is checked
		// on the rows read.
		now := s.now()
		q := queueFor(s.read(ctx).Table("paragraphs p").Where("p.id IN ?", ids), userID, overlap, now)
		var found []Paragraph
		if err := q.Select("p.*").Find(&found).Error; err != nil {
			return nil, nil, translate(err)
		}
		byID := make(map[int64]Paragraph, len(found))
		for _, p := range found {
			if p.Current {
				byID[p.ID] = p
			}
		}
		cands := make([]Paragraph, 0, len(found))
		for _, id := range ids {
			skip[id] = true
			exclude = append(exclude, id)
			if p, ok := byID[id]; ok {
				cands = append(cands, p)
			}
		}
		if len(cands) > 0 {
			granted, err := s.grantLeases(ctx, userID, cands, asked, overlap, now)
			if err != nil {
				return nil, nil, err
			}
			for _, p := range cands {
				if granted[p.ID] {
					out = append(out, p)
				}
			}
		}
		if len(out) >= opt.Limit {
			break
		}
	}
	return out, exclude, nil
}

// queueSlack is how many candidates beyond twice the number asked for the
// queue reads before granting leases.
const queueSlack = 8

// holders is the SQL count of the annotators who have labelled paragraph
// p.id or hold an unexpired lease on it, leaving out the caller's lease.
const holders = `p.annotators +
(SELECT count(*) FROM leases l WHERE l.paragraph_id = p.id AND l.user_id <> ? AND l.expires_at > ?
 AND NOT EXISTS (SELECT 1 FROM annotations a3 WHERE a3.paragraph_id = l.paragraph_id AND a3.user_id = l.user_id))`

// queue selects the paragraphs in a user's queue, of one document when
// documentID is not 0.
func (s *Store) queue(ctx context.Context, userID, documentID int64, overlap int, now time.Time) (*gorm.DB, error) {
	q := s.read(ctx).Table("paragraphs p").Where("p.is_current = ? AND p.is_open = ?", true, true)
	if documentID != 0 {
		q = q.Where("p.document_id = ?", documentID)
	}
	return queueFor(q, userID, overlap, now), nil
}

// queueFor narrows q, over paragraphs p, to those a user may be handed:
// not labelled, skipped or flagged by them, not taken out by curation, and
// with room under the overlap.
func queueFor(q *gorm.DB, userID int64, overlap int, now time.Time) *gorm.DB {
	return q.Where("NOT EXISTS (SELECT 1 FROM annotations a WHERE a.paragraph_id = p.id AND a.user_id = ?)", userID).
		Where("NOT EXISTS (SELECT 1 FROM skips k WHERE k.paragraph_id = p.id AND k.user_id = ?)", userID).
		Where("NOT EXISTS (SELECT 1 FROM curations c WHERE c.paragraph_id = p.id AND c.status = ?)", StatusConfirmed).
		Where("NOT "+ownFlagSQL, userID).
		Where(holders+" < ?", userID, now, overlap)
}

// grantLeases gives userID a lease on up to want of the candidates, in
// their order, that still have room under overlap; renews the user's other
// leases; and drops expired ones. On PostgreSQL the candidates' rows are
// locked first, in id order (so two grants never wait on each other in a
// circle), so that two annotators asking at once count each other's new
// leases: the second waits for the first's grant, a matter of a
// millisecond, then counts afresh. SQLite runs one grant at a time anyway.
func (s *Store) grantLeases(ctx context.Context, userID int64, cands []Paragraph, want, overlap int, now time.Time) (map[int64]bool, error) {
	ids := make([]int64, len(cands))
	for i, p := range cands {
		ids[i] = p.ID
	}
	granted := make(map[int64]bool, len(ids))
	expires := now.Add(LeaseTTL)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		clear(granted)
		if s.dialect == "postgres" {
			if err := tx.Raw("SELECT id FROM paragraphs WHERE id IN ? ORDER BY id FOR UPDATE", ids).Scan(&[]int64{}).Error; err != nil {
				return err
			}
		}
		type count struct {
			ID int64
			N  int
		}
		var counts []count
		if err := tx.Raw("SELECT p.id AS id, "+holders+" AS n FROM paragraphs p WHERE p.id IN ?", userID, now, ids).Scan(&counts).Error; err != nil {
			return err
		}
		room := make(map[int64]bool, len(counts))
		for _, c := range counts {
			room[c.ID] = c.N < overlap
		}
		var leases []Lease
		for _, id := range ids {
			if len(leases) < want && room[id] {
				granted[id] = true
				leases = append(leases, Lease{ParagraphID: id, UserID: userID, ExpiresAt: expires})
			}
		}
		if err := tx.Where("expires_at <= ?", now).Delete(&Lease{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&Lease{}).Where("user_id = ?", userID).Update("expires_at", expires).Error; err != nil {
			return err
		}
		if len(leases) == 0 {
			return nil
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "paragraph_id"}, {Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"expires_at"}),
		}).Create(&leases).Error
	})
	if err != nil {
		return nil, err
	}
	return granted, nil
}

// releaseLease drops a user's lease on a paragraph inside tx, as when they
// skip it.
func releaseLease(tx *gorm.DB, userID, paragraphID int64) error {
	return tx.Where("paragraph_id = ? AND user_id = ?", paragraphID, userID).Delete(&Lease{}).Error
}

// Remaining counts the paragraphs left in a user's queue.
func (s *Store) Remaining(ctx context.Context, userID int64) (int64, error) {
	return s.RemainingIn(ctx, userID, 0)
}

// MaxRemaining is as far as RemainingIn counts: a queue longer than that
// is reported as MaxRemaining ("1,000 or more"), so that the count costs no
// more than reading that many entries of the open paragraphs' index.
const MaxRemaining = 1000

// RemainingIn counts the paragraphs left in a user's queue within one
// document, or in all of them when documentID is 0, up to MaxRemaining.
func (s *Store) RemainingIn(ctx context.Context, userID, documentID int64) (int64, error) {
	overlap, err := s.Overlap(ctx)
	if err != nil {
		return 0, err
	}
	q, err := s.queue(ctx, userID, documentID, overlap, s.now())
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.read(ctx).Raw("SELECT count(*) FROM (?) AS q", q.Select("1").Limit(MaxRemaining)).Scan(&n).Error
	return n, translate(err)
}
