package annotate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// DocumentProgress is a document with how far its labelling has come: for
// everyone (paragraphs with as many annotators as the overlap asks for) and
// for one user (paragraphs they labelled or skipped).
type DocumentProgress struct {
	Document
	// Paragraphs counts the current paragraphs to label: those not confirmed
	// as duplicates, boilerplate or not relevant.
	Paragraphs int `json:"paragraphs"`
	// Excluded counts the current paragraphs taken out by curation.
	Excluded int `json:"excluded"`
	// Done counts paragraphs that have all the annotators they need.
	Done int `json:"done"`
	// Annotations counts everyone's annotations on current paragraphs.
	Annotations int `json:"annotations"`
	// Mine counts the paragraphs to label that the user labelled, Skipped
	// those they skipped.
	Mine    int `json:"mine"`
	Skipped int `json:"skipped"`
}

type docCount struct {
	DocumentID int64
	N          int
}

func countMap(rows []docCount) map[int64]int {
	m := make(map[int64]int, len(rows))
	for _, r := range rows {
		m[r.DocumentID] = r.N
	}
	return m
}

// excludedSQL selects the paragraphs curation has taken out.
const excludedSQL = "SELECT paragraph_id FROM curations WHERE status = 'confirmed'"

// Documents returns every document with its progress for everyone and for
// the given user, in import order. It reads the whole corpus: commands that
// want every document use it; pages and the API use DocumentPage.
func (s *Store) Documents(ctx context.Context, userID int64) ([]DocumentProgress, error) {
	var docs []Document
	if err := s.read(ctx).Order("id").Find(&docs).Error; err != nil {
		return nil, translate(err)
	}
	return s.progress(ctx, userID, docs, false)
}

// progress returns docs with their progress, read for those documents
// alone (all of them at once when all is set, which lets the database scan
// each table once rather than look up each document).
func (s *Store) progress(ctx context.Context, userID int64, docs []Document, all bool) ([]DocumentProgress, error) {
	db := s.read(ctx)
	overlap, err := s.Overlap(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	in := func(q *gorm.DB, col string) *gorm.DB {
		if all {
			return q
		}
		return q.Where(col+" IN ?", ids)
	}
	var total, excluded, done, anns, mine, skipped []docCount
	queries := []struct {
		dst *[]docCount
		q   *gorm.DB
	}{
		{&total, in(db.Table("paragraphs").Select("document_id, count(*) AS n").Where("is_current = ? AND id NOT IN ("+excludedSQL+")", true), "document_id").Group("document_id")},
		{&excluded, in(db.Table("paragraphs").Select("document_id, count(*) AS n").Where("is_current = ? AND id IN ("+excludedSQL+")", true), "document_id").Group("document_id")},
		{&anns, in(db.Table("annotations a").Select("p.document_id, count(*) AS n").Joins("JOIN paragraphs p ON p.id = a.paragraph_id").Where("p.is_current = ?", true), "p.document_id").Group("p.document_id")},
		{&mine, in(db.Table("annotations a").Select("p.document_id, count(*) AS n").Joins("JOIN paragraphs p ON p.id = a.paragraph_id").Where("p.is_current = ? AND a.user_id = ? AND p.id NOT IN ("+excludedSQL+")", true, userID), "p.document_id").Group("p.document_id")},
		{&skipped, in(db.Table("skips k").Select("p.document_id, count(*) AS n").Joins("JOIN paragraphs p ON p.id = k.paragraph_id").Where("p.is_current = ? AND k.user_id = ? AND p.id NOT IN ("+excludedSQL+")", true, userID), "p.document_id").Group("p.document_id")},
		{&done, in(db.Table("paragraphs").Select("document_id, count(*) AS n").Where("is_current = ? AND annotators >= ? AND id NOT IN ("+excludedSQL+")", true, overlap), "document_id").Group("document_id")},
	}
	if !all && len(ids) == 0 {
		return []DocumentProgress{}, nil
	}
	for _, q := range queries {
		if err := q.q.Scan(q.dst).Error; err != nil {
			return nil, translate(err)
		}
	}
	tm, em, dm, am, mm, sm := countMap(total), countMap(excluded), countMap(done), countMap(anns), countMap(mine), countMap(skipped)
	out := make([]DocumentProgress, len(docs))
	for i, d := range docs {
		out[i] = DocumentProgress{Document: d, Paragraphs: tm[d.ID], Excluded: em[d.ID], Done: dm[d.ID], Annotations: am[d.ID], Mine: mm[d.ID], Skipped: sm[d.ID]}
	}
	return out, nil
}

// DocumentCount counts the documents.
func (s *Store) DocumentCount(ctx context.Context) (int64, error) {
	var n int64
	return n, translate(s.read(ctx).Model(&Document{}).Count(&n).Error)
}

// UserDone counts the current paragraphs a user labelled or skipped, from
// the user's own rows: its cost grows with their work, not the corpus.
func (s *Store) UserDone(ctx context.Context, userID int64) (int64, error) {
	var n int64
	// Each count walks the user's own rows (by the user_id index) and asks
	// the paragraph of each: written as a join, SQLite's planner may walk
	// every current paragraph instead and ask each for the user's row.
	err := s.read(ctx).Raw(`SELECT (SELECT count(*) FROM annotations a WHERE a.user_id = ? AND EXISTS (SELECT 1 FROM paragraphs p WHERE p.id = a.paragraph_id AND p.is_current = ?))
 + (SELECT count(*) FROM skips k WHERE k.user_id = ? AND EXISTS (SELECT 1 FROM paragraphs p WHERE p.id = k.paragraph_id AND p.is_current = ?))`, userID, true, userID, true).Scan(&n).Error
	return n, translate(err)
}

// Document statuses a DocumentQuery can ask for.
const (
	// DocNotStarted: no annotation on any current paragraph.
	DocNotStarted = "not_started"
	// DocInProgress: some annotations, not every paragraph done.
	DocInProgress = "in_progress"
	// DocDone: every paragraph to label has the annotators it needs.
	DocDone = "done"
	// DocMine: the caller has labelled or skipped every paragraph.
	DocMine = "mine_done"
	// DocMineLeft: the caller has paragraphs left to label or skip.
	DocMineLeft = "mine_left"
	// DocDisagreements: a paragraph in the disagreement queue, whose
	// annotators disagree and which has no gold label yet (see
	// DisagreementQueue). It shows what others labelled, so it is for
	// reviewers (see ReviewDocumentStatuses).
	DocDisagreements = "disagreements"
	// DocGold: a current paragraph with a gold label.
	DocGold = "gold"
)

// DocumentStatuses lists the statuses a DocumentQuery takes.
var DocumentStatuses = []string{DocNotStarted, DocInProgress, DocDone, DocMine, DocMineLeft, DocDisagreements, DocGold}

// ReviewDocumentStatuses lists the statuses that tell about other
// annotators' labels: for reviewers and admins, not for annotators, who
// label blind.
var ReviewDocumentStatuses = []string{DocDisagreements, DocGold}

// DefaultDocumentLimit and MaxDocumentLimit bound a page of documents.
const (
	DefaultDocumentLimit = 50
	MaxDocumentLimit     = 500
)

// documentScan is the most documents one page reads while looking for
// ones of the caller's own status (DocMine, DocMineLeft): a page that has
// scanned this many stops short and gives a cursor to go on from, so that
// no request reads the whole corpus. The statuses for everyone come from
// an index and need no scan.
const documentScan = 2000

// DocumentQuery asks for one page of documents.
type DocumentQuery struct {
	// Limit is the most documents returned (1 to MaxDocumentLimit; 0
	// means DefaultDocumentLimit).
	Limit int
	// After is the cursor: the id of the last document of the page
	// before, or 0 for the first page.
	After int64
	// Search keeps documents whose title or key contains it, ignoring case.
	Search string
	// Status keeps documents in one of DocumentStatuses; empty keeps all.
	Status string
}

// DocumentPage is one page of documents with their progress. Next is the
// cursor of the page after, 0 when this is the last. A page asked for one
// of the caller's own statuses may hold fewer than Limit documents and
// still have a Next: it stopped after reading documentScan documents.
type DocumentPage struct {
	Documents []DocumentProgress `json:"documents"`
	Next      int64              `json:"next,omitempty"`
}

// DocumentPage returns one page of documents in import order, with their
// progress for everyone and for userID, read for the page's documents alone:
// its cost depends on the page, not on the corpus.
func (s *Store) DocumentPage(ctx context.Context, userID int64, q DocumentQuery) (*DocumentPage, error) {
	if q.Limit == 0 {
		q.Limit = DefaultDocumentLimit
	}
	if q.Limit < 1 || q.Limit > MaxDocumentLimit {
		return nil, Invalidf("limit", "limit must be from 1 to %d, got %d", MaxDocumentLimit, q.Limit)
	}
	if q.After < 0 {
		return nil, Invalidf("next", "the cursor must be a document id from a page's next, got %d", q.After)
	}
	if q.Status != "" && !slices.Contains(DocumentStatuses, q.Status) {
		return nil, &Error{Code: EINVALID, Field: "status", Message: fmt.Sprintf("unknown document status %q", q.Status), Allowed: DocumentStatuses}
	}
	if err := CheckText("q", q.Search, false); err != nil {
		return nil, err
	}
	switch q.Status {
	case DocGold:
		return s.documentsAmong(ctx, userID, q, func(after int64, n int) ([]int64, error) {
			var ids []int64
			err := s.read(ctx).Model(&goldDocument{}).Where("n > 0 AND document_id > ?", after).Order("document_id").Limit(n).Pluck("document_id", &ids).Error
			return ids, translate(err)
		})
	case DocDisagreements:
		all, err := s.disagreementDocuments(ctx)
		if err != nil {
			return nil, err
		}
		return s.documentsAmong(ctx, userID, q, func(after int64, n int) ([]int64, error) {
			i, _ := slices.BinarySearch(all, after+1)
			return all[i:min(i+n, len(all))], nil
		})
	}
	page := &DocumentPage{Documents: []DocumentProgress{}}
	// The statuses for everyone read the documents' kept states by an
	// index; those of the caller's own work read the documents the caller
	// finished (see mine.go) once they are folded in, and check each
	// document of the page. When the fold cannot catch up, they are found
	// by reading the documents' progress, at most documentScan documents a
	// page.
	state, indexed := progressStates[q.Status]
	scan := q.Status
	if indexed {
		scan = ""
	}
	folded := false
	if scan != "" {
		var err error
		if folded, err = s.foldDone(ctx, foldOnRead); err != nil {
			return nil, err
		}
		if !folded {
			s.foldInBackground()
		}
	}
	after, scanned := q.After, 0
	if scan == DocMineLeft {
		// Every document up to the caller's prefix is finished.
		upto, err := s.prefix(ctx, userID)
		if err != nil {
			return nil, err
		}
		after = max(after, upto)
	}
	for {
		want := q.Limit - len(page.Documents)
		chunk := want + 1
		if scan != "" && !folded {
			chunk = min(documentScan-scanned, max(want*4, 100))
		}
		db := s.read(ctx).Where("documents.id > ?", after)
		order := "documents.id"
		switch {
		case indexed:
			db = db.Where("progress_state = ?", state)
		case folded && scan == DocMine:
			// The caller's rows lead, in order, so that the page reads
			// as many of them as it shows (SQLite keeps the order of a
			// CROSS JOIN).
			db = db.Table("done_documents m CROSS JOIN documents").Select("documents.*").
				Where("m.user_id = ? AND m.document_id > ? AND documents.id = m.document_id", userID, after)
			order = "m.document_id"
		case folded && scan == DocMineLeft:
			db = db.Where("NOT EXISTS (SELECT 1 FROM done_documents m WHERE m.user_id = ? AND m.document_id = documents.id)", userID)
		}
		db = searchTitles(db, q.Search)
		var docs []Document
		if err := db.Order(order).Limit(chunk).Find(&docs).Error; err != nil {
			return nil, translate(err)
		}
		more := len(docs) == chunk
		if scan == "" && len(docs) > want {
			docs, more = docs[:want], true
		}
		scanned += len(docs)
		ps, err := s.progress(ctx, userID, docs, false)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			after = p.ID
			if scan != "" && !p.hasStatus(scan) {
				continue
			}
			page.Documents = append(page.Documents, p)
			if len(page.Documents) == q.Limit {
				break
			}
		}
		full := len(page.Documents) == q.Limit
		if full || !more || scan == "" || scanned >= documentScan {
			if full || more {
				page.Next = after
			}
			if full && !more && after == docs[len(docs)-1].ID {
				page.Next = 0
			}
			return page, nil
		}
	}
}

// disagreementDocuments returns, in order, the ids of the documents with
// a paragraph in the disagreement queue. It is read from the ranked queue,
// which is kept between writes, and kept with it per data version: what it
// reads grows with the disagreements, not with the corpus.
func (s *Store) disagreementDocuments(ctx context.Context) ([]int64, error) {
	version, err := s.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := cacheKey("disagreement documents")
	if v, ok := s.reports.get(key, version); ok {
		return v.([]int64), nil
	}
	_, q, err := s.rankedQueue(ctx, DisagreementFilter{Order: QueueByDisputed}, nil)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(q))
	for i, r := range q {
		ids[i] = r.doc
	}
	slices.Sort(ids)
	ids = slices.Clip(slices.Compact(ids))
	s.reports.put(key, version, ids)
	return ids, nil
}

// documentsAmong returns the page of q among the documents that next gives:
// the ids of up to n of them after a document id, in order.
func (s *Store) documentsAmong(ctx context.Context, userID int64, q DocumentQuery, next func(after int64, n int) ([]int64, error)) (*DocumentPage, error) {
	search := q.Search
	page := &DocumentPage{Documents: []DocumentProgress{}}
	chunk := max(2*q.Limit, 100)
	after := q.After
	for {
		ids, err := next(after, chunk+1)
		if err != nil {
			return nil, err
		}
		more := len(ids) > chunk
		ids = ids[:min(len(ids), chunk)]
		if len(ids) == 0 {
			return page, nil
		}
		after = ids[len(ids)-1]
		db := searchTitles(s.read(ctx).Where("id IN ?", ids), search)
		var docs []Document
		if err := db.Order("id").Find(&docs).Error; err != nil {
			return nil, translate(err)
		}
		ps, err := s.progress(ctx, userID, docs, false)
		if err != nil {
			return nil, err
		}
		for i, p := range ps {
			page.Documents = append(page.Documents, p)
			if len(page.Documents) == q.Limit {
				if i < len(ps)-1 || p.ID < after || more {
					page.Next = p.ID
				}
				return page, nil
			}
		}
		if !more {
			return page, nil
		}
	}
}

// hasStatus reports whether the document is in the status.
func (d *DocumentProgress) hasStatus(status string) bool {
	switch status {
	case DocNotStarted:
		return d.Annotations == 0
	case DocInProgress:
		return d.Annotations > 0 && d.Done < d.Paragraphs
	case DocDone:
		return d.Annotations > 0 && d.Paragraphs > 0 && d.Done >= d.Paragraphs
	case DocMine:
		return d.Paragraphs > 0 && d.Mine+d.Skipped >= d.Paragraphs
	case DocMineLeft:
		return d.Mine+d.Skipped < d.Paragraphs
	}
	return true
}

// searchTitles keeps the documents whose title or file name contains term
// (any case), or all of them when term is blank.
func searchTitles(db *gorm.DB, term string) *gorm.DB {
	like := likeTerm(term)
	if like == "" {
		return db
	}
	return db.Where("(lower(title) LIKE ? ESCAPE '\\' OR lower(doc_key) LIKE ? ESCAPE '\\')", like, like)
}

// escapeLike escapes the LIKE wildcards of s with a backslash.
func escapeLike(s string) string {
	return strings.NewReplacer("\\", "\\\\", "%", "\\%", "_", "\\_").Replace(s)
}

// DocumentsByID returns the documents with the given ids, in id order;
// ids of no document are left out.
func (s *Store) DocumentsByID(ctx context.Context, ids []int64) ([]Document, error) {
	docs, err := findByIDs[Document](s.read(ctx), ids, "")
	if err != nil {
		return nil, translate(err)
	}
	slices.SortFunc(docs, func(a, b Document) int { return cmp.Compare(a.ID, b.ID) })
	return docs, nil
}

// Document returns one document.
func (s *Store) Document(ctx context.Context, id int64) (*Document, error) {
	var d Document
	if err := s.read(ctx).First(&d, id).Error; err != nil {
		return nil, notFound(err, "no document with id %d", id)
	}
	return &d, nil
}

// ParagraphStatus is a paragraph of a document as one user sees it: whether
// they labelled or skipped it, how many people labelled it, and its curation
// flags. It never carries anyone's labels.
type ParagraphStatus struct {
	Paragraph
	Annotators int        `json:"annotators"`
	Labelled   bool       `json:"labelled"`
	Skipped    bool       `json:"skipped"`
	Flags      []Curation `json:"flags"`
}

// ParagraphQuery asks for one page of a document's current paragraphs.
type ParagraphQuery struct {
	// Limit is the most paragraphs returned (1 to MaxParagraphLimit; 0
	// means DefaultParagraphLimit).
	Limit int
	// From is the cursor: the position to start at, the Next of the page
	// before, or 0 for the first page.
	From int
}

// ParagraphPage is one page of a document's paragraphs. Next is the
// position the page after starts at, 0 when this is the last.
type ParagraphPage struct {
	Paragraphs []ParagraphStatus `json:"paragraphs"`
	Next       int               `json:"next,omitempty"`
}

// Paragraphs returns every current paragraph of a document in order, with
// the user's status on each. It reads the whole document: commands that
// want all of it use it; pages and the API use ParagraphPage.
func (s *Store) Paragraphs(ctx context.Context, documentID, userID int64) ([]ParagraphStatus, error) {
	if _, err := s.Document(ctx, documentID); err != nil {
		return nil, err
	}
	var ps []Paragraph
	if err := s.read(ctx).Where("document_id = ? AND is_current = ?", documentID, true).Order("position").Find(&ps).Error; err != nil {
		return nil, translate(err)
	}
	return s.paragraphStatuses(ctx, userID, ps)
}

// ParagraphPage returns one page of the current paragraphs of a document in
// reading order, with the user's status on each, read for the page alone.
func (s *Store) ParagraphPage(ctx context.Context, documentID, userID int64, q ParagraphQuery) (*ParagraphPage, error) {
	if err := checkList(&q.Limit, DefaultParagraphLimit, MaxParagraphLimit, int64(q.From)); err != nil {
		return nil, err
	}
	if _, err := s.Document(ctx, documentID); err != nil {
		return nil, err
	}
	ps := []Paragraph{}
	err := s.read(ctx).Where("document_id = ? AND is_current = ? AND position >= ?", documentID, true, q.From).
		Order("position").Limit(q.Limit + 1).Find(&ps).Error
	if err != nil {
		return nil, translate(err)
	}
	page := &ParagraphPage{}
	if len(ps) > q.Limit {
		ps = ps[:q.Limit]
		page.Next = ps[len(ps)-1].Position + 1
	}
	page.Paragraphs, err = s.paragraphStatuses(ctx, userID, ps)
	return page, err
}

// ParagraphCounts counts a document's current paragraphs, and those of
// them that someone labelled, from the paragraphs alone.
func (s *Store) ParagraphCounts(ctx context.Context, documentID int64) (total, labelled int64, err error) {
	var row struct{ Total, Labelled int64 }
	err = s.read(ctx).Model(&Paragraph{}).Select("count(*) AS total, COALESCE(sum(CASE WHEN annotators > 0 THEN 1 ELSE 0 END), 0) AS labelled").
		Where("document_id = ? AND is_current = ?", documentID, true).Scan(&row).Error
	return row.Total, row.Labelled, translate(err)
}

// RecentlyDone returns the last n current paragraphs of a document that the
// user labelled or skipped before position before (anywhere when before is
// negative), in reading order.
func (s *Store) RecentlyDone(ctx context.Context, documentID, userID int64, before, n int) ([]ParagraphStatus, error) {
	db := s.read(ctx).Where("document_id = ? AND is_current = ?", documentID, true).
		Where("(id IN (SELECT paragraph_id FROM annotations WHERE user_id = ?) OR id IN (SELECT paragraph_id FROM skips WHERE user_id = ?))", userID, userID)
	if before >= 0 {
		db = db.Where("position < ?", before)
	}
	var ps []Paragraph
	if err := db.Order("position DESC").Limit(n).Find(&ps).Error; err != nil {
		return nil, translate(err)
	}
	slices.Reverse(ps)
	return s.paragraphStatuses(ctx, userID, ps)
}

// LastWorkedDocument returns the id of the last document, in import order,
// in which the user labelled or skipped a current paragraph, 0 when there
// is none.
func (s *Store) LastWorkedDocument(ctx context.Context, userID int64) (int64, error) {
	var ids []int64
	// Walked from the user's own rows, as in UserDone.
	err := s.read(ctx).Raw(`SELECT COALESCE(max(d), 0) FROM (
 SELECT max((SELECT p.document_id FROM paragraphs p WHERE p.id = a.paragraph_id AND p.is_current = ?)) AS d FROM annotations a WHERE a.user_id = ?
 UNION ALL SELECT max((SELECT p.document_id FROM paragraphs p WHERE p.id = k.paragraph_id AND p.is_current = ?)) AS d FROM skips k WHERE k.user_id = ?) w`,
		true, userID, true, userID).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return 0, translate(err)
	}
	return ids[0], nil
}

// paragraphStatuses returns ps with the user's status on each, in a fixed
// number of queries.
func (s *Store) paragraphStatuses(ctx context.Context, userID int64, ps []Paragraph) ([]ParagraphStatus, error) {
	if len(ps) == 0 {
		return []ParagraphStatus{}, nil
	}
	db := s.read(ctx)
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	type cnt struct {
		ParagraphID int64
		N           int
	}
	var counts []cnt
	if err := db.Table("annotations").Select("paragraph_id, count(*) AS n").Where("paragraph_id IN ?", ids).Group("paragraph_id").Scan(&counts).Error; err != nil {
		return nil, translate(err)
	}
	var mine, skips []int64
	if err := db.Model(&Annotation{}).Where("paragraph_id IN ? AND user_id = ?", ids, userID).Pluck("paragraph_id", &mine).Error; err != nil {
		return nil, translate(err)
	}
	if err := db.Model(&Skip{}).Where("paragraph_id IN ? AND user_id = ?", ids, userID).Pluck("paragraph_id", &skips).Error; err != nil {
		return nil, translate(err)
	}
	var flags []Curation
	if err := db.Where("paragraph_id IN ?", ids).Order("id").Find(&flags).Error; err != nil {
		return nil, translate(err)
	}
	idx := make(map[int64]int, len(ps))
	out := make([]ParagraphStatus, len(ps))
	for i, p := range ps {
		idx[p.ID] = i
		out[i] = ParagraphStatus{Paragraph: p, Flags: []Curation{}}
	}
	for _, c := range counts {
		out[idx[c.ParagraphID]].Annotators = c.N
	}
	for _, id := range mine {
		out[idx[id]].Labelled = true
	}
	for _, id := range skips {
		out[idx[id]].Skipped = true
	}
	for _, f := range flags {
		i := idx[f.ParagraphID]
		out[i].Flags = append(out[i].Flags, f)
	}
	return out, nil
}

// Paragraph returns one paragraph, of any revision.
func (s *Store) Paragraph(ctx context.Context, id int64) (*Paragraph, error) {
	var p Paragraph
	if err := s.read(ctx).First(&p, id).Error; err != nil {
		return nil, notFound(err, "no paragraph with id %d", id)
	}
	return &p, nil
}

// ParagraphContext is a paragraph with its document and the paragraphs just
// before and after it, for reading it in context.
type ParagraphContext struct {
	Paragraph Paragraph  `json:"paragraph"`
	Document  Document   `json:"document"`
	Previous  *Paragraph `json:"previous"`
	Next      *Paragraph `json:"next"`
	Flags     []Curation `json:"flags"`
}

// Context returns a paragraph in its context.
func (s *Store) Context(ctx context.Context, id int64) (*ParagraphContext, error) {
	p, err := s.Paragraph(ctx, id)
	if err != nil {
		return nil, err
	}
	out, err := s.Contexts(ctx, []Paragraph{*p})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Contexts returns paragraphs in their context, in the order given, with
// three queries whatever their number: their documents, their neighbours
// and their flags.
func (s *Store) Contexts(ctx context.Context, ps []Paragraph) ([]*ParagraphContext, error) {
	out := make([]*ParagraphContext, len(ps))
	if len(ps) == 0 {
		return out, nil
	}
	var docIDs, revIDs, ids []int64
	var positions []int
	for _, p := range ps {
		docIDs, revIDs, ids = append(docIDs, p.DocumentID), append(revIDs, p.RevisionID), append(ids, p.ID)
		positions = append(positions, p.Position-1, p.Position+1)
	}
	db := s.read(ctx)
	var docs []Document
	if err := db.Where("id IN ?", uniq(docIDs)).Find(&docs).Error; err != nil {
		return nil, translate(err)
	}
	var around []Paragraph
	if err := db.Where("revision_id IN ? AND position IN ?", uniq(revIDs), positions).Find(&around).Error; err != nil {
		return nil, translate(err)
	}
	var flags []Curation
	if err := db.Where("paragraph_id IN ?", ids).Order("id").Find(&flags).Error; err != nil {
		return nil, translate(err)
	}
	docByID := make(map[int64]*Document, len(docs))
	for i := range docs {
		docByID[docs[i].ID] = &docs[i]
	}
	type slot struct {
		rev int64
		pos int
	}
	bySlot := make(map[slot]*Paragraph, len(around))
	for i := range around {
		bySlot[slot{around[i].RevisionID, around[i].Position}] = &around[i]
	}
	flagsOf := map[int64][]Curation{}
	for _, f := range flags {
		flagsOf[f.ParagraphID] = append(flagsOf[f.ParagraphID], f)
	}
	for i, p := range ps {
		d, ok := docByID[p.DocumentID]
		if !ok {
			return nil, NotFoundf("no document with id %d", p.DocumentID)
		}
		pc := &ParagraphContext{Paragraph: p, Document: *d, Flags: flagsOf[p.ID]}
		if pc.Flags == nil {
			pc.Flags = []Curation{}
		}
		pc.Previous, pc.Next = bySlot[slot{p.RevisionID, p.Position - 1}], bySlot[slot{p.RevisionID, p.Position + 1}]
		out[i] = pc
	}
	return out, nil
}
