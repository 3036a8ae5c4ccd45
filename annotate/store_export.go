package annotate

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// DefaultExportBatch is how many paragraphs EachParagraph reads per query.
const DefaultExportBatch = 1000

// ParagraphFilter narrows EachParagraph to what an export needs.
type ParagraphFilter struct {
	// Annotators keeps only these annotators' annotations (by user name);
	// empty keeps everyone's. An unknown name is an EINVALID error.
	Annotators []string
	// BatchSize is how many paragraphs are read per query; 0 means
	// DefaultExportBatch.
	BatchSize int
	// Consensus, when set, fills each record's Consensus with this run's
	// items, read with the record's batch.
	Consensus *ConsensusRun
}

// RecordAnnotation is one annotator's labels in a ParagraphRecord.
type RecordAnnotation struct {
	UserID    int64
	UserName  string
	Labels    Labels
	UpdatedAt time.Time
}

// ParagraphRecord is a current paragraph with everything an export writes
// about it: its document, every (selected) annotator's labels ordered by
// name, its gold label and its curation flags.
type ParagraphRecord struct {
	Paragraph   Paragraph
	Document    *Document
	Annotations []RecordAnnotation
	Gold        *Gold
	Flags       []Curation
	// Consensus is the paragraph's item of ParagraphFilter.Consensus on
	// each single and multi dimension that has one, by dimension.
	Consensus map[string]ConsensusItem
}

// ConfirmedFlags returns the kinds of the paragraph's confirmed curation
// flags, sorted.
func (r *ParagraphRecord) ConfirmedFlags() []string {
	out := []string{}
	for _, f := range r.Flags {
		if f.Status == StatusConfirmed {
			out = append(out, f.Kind)
		}
	}
	sort.Strings(out)
	return out
}

// annotatorIDs resolves names to user ids, naming the first unknown one.
func annotatorIDs(db *gorm.DB, names []string) ([]int64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var users []User
	if err := db.Where("name IN ?", names).Find(&users).Error; err != nil {
		return nil, translate(err)
	}
	ids := make([]int64, 0, len(users))
	known := map[string]bool{}
	for _, u := range users {
		known[u.Name] = true
		ids = append(ids, u.ID)
	}
	for _, n := range names {
		if !known[n] {
			return nil, Invalidf("annotators", "no user named %q", n)
		}
	}
	return ids, nil
}

// CountParagraphs counts the current paragraphs, for progress reports.
func (s *Store) CountParagraphs(ctx context.Context) (int64, error) {
	var n int64
	err := s.read(ctx).Model(&Paragraph{}).Where("is_current = ?", true).Count(&n).Error
	return n, translate(err)
}

// Annotators returns the names of the users who labelled at least one
// current paragraph, sorted, restricted to names when names is not empty.
func (s *Store) Annotators(ctx context.Context, names []string) ([]string, error) {
	db := s.read(ctx)
	if _, err := annotatorIDs(db, names); err != nil {
		return nil, err
	}
	q := db.Table("users").Select("users.name").
		// From each user's own rows (by the user_id index), as in
		// UserDone: written as a join, SQLite may walk every paragraph.
		Where("EXISTS (SELECT 1 FROM annotations a WHERE a.user_id = users.id AND EXISTS (SELECT 1 FROM paragraphs p WHERE p.id = a.paragraph_id AND p.is_current = ?))", true)
	if len(names) > 0 {
		q = q.Where("users.name IN ?", names)
	}
	var out []string
	err := q.Order("users.name").Pluck("users.name", &out).Error
	return out, translate(err)
}

// DocumentSize is a document's key and how many current paragraphs it has.
type DocumentSize struct {
	ID         int64
	Key        string
	Paragraphs int
}

// DocumentSizes returns every document that has current paragraphs, with
// their number, in id order.
func (s *Store) DocumentSizes(ctx context.Context) ([]DocumentSize, error) {
	var out []DocumentSize
	err := s.read(ctx).Table("documents d").
		Select("d.id AS id, d.doc_key AS key, count(*) AS paragraphs").
		Joins("JOIN paragraphs p ON p.document_id = d.id AND p.is_current = ?", true).
		Group("d.id, d.doc_key").Order("d.id").Scan(&out).Error
	return out, translate(err)
}

// EachParagraph calls fn for every current paragraph, document by document
// in import order and paragraph by paragraph in reading order. It reads in
// batches inside one read transaction (repeatable read on PostgreSQL), so
// the export sees one consistent state of the database — a consensus run
// that a newer one replaces while the walk goes on included — and never
// holds more than two batches in memory. fn must not keep the record after
// it returns; an error from fn stops the walk and is returned as is.
func (s *Store) EachParagraph(ctx context.Context, f ParagraphFilter, fn func(*ParagraphRecord) error) error {
	batch := f.BatchSize
	if batch <= 0 {
		batch = DefaultExportBatch
	}
	return s.rdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		users, err := annotatorIDs(tx, f.Annotators)
		if err != nil {
			return err
		}
		w := &paragraphWalker{tx: tx, users: users, docs: map[int64]*Document{}, run: f.Consensus}
		// The next batch is read while fn handles the current one, so the
		// database and the encoder each keep a core busy. At most two
		// batches are in memory.
		type result struct {
			recs []ParagraphRecord
			err  error
		}
		stop := make(chan struct{})
		batches := make(chan result, 1)
		go func() {
			defer close(batches)
			lastDoc, lastPos := int64(-1), -1
			for {
				if err := ctx.Err(); err != nil {
					batches <- result{err: err}
					return
				}
				recs, err := w.batch(lastDoc, lastPos, batch)
				select {
				case batches <- result{recs, err}:
				case <-stop:
					return
				}
				if err != nil || len(recs) < batch {
					return
				}
				last := recs[len(recs)-1].Paragraph
				lastDoc, lastPos = last.DocumentID, last.Position
			}
		}()
		// finish stops the reader and waits for it, so that the
		// transaction ends only after its last query.
		finish := func(err error) error {
			close(stop)
			for range batches {
			}
			return err
		}
		for r := range batches {
			if r.err != nil {
				return finish(r.err)
			}
			for i := range r.recs {
				if err := fn(&r.recs[i]); err != nil {
					return finish(err)
				}
			}
		}
		return nil
	}, s.snapshot())
}

// snapshot is the options of a read transaction that sees one state of the
// database throughout: SQLite's read transactions do, PostgreSQL's at the
// default level see each statement's own.
func (s *Store) snapshot() *sql.TxOptions {
	if s.dialect == "postgres" {
		return &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	return &sql.TxOptions{}
}

type paragraphWalker struct {
	tx    *gorm.DB
	users []int64
	docs  map[int64]*Document
	run   *ConsensusRun
}

func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, id)
	}
	return b.String()
}

// batch reads the next n current paragraphs after (doc, pos) with their
// annotations, gold labels, flags and documents.
func (w *paragraphWalker) batch(doc int64, pos, n int) ([]ParagraphRecord, error) {
	rows, err := w.tx.Raw(`SELECT id, document_id, revision_id, position, start_offset, end_offset, text, hash
FROM paragraphs WHERE is_current = ? AND (document_id, position) > (?, ?)
ORDER BY document_id, position LIMIT ?`, true, doc, pos, n).Rows()
	if err != nil {
		return nil, translate(err)
	}
	recs := make([]ParagraphRecord, 0, n)
	for rows.Next() {
		var p Paragraph
		if err := rows.Scan(&p.ID, &p.DocumentID, &p.RevisionID, &p.Position, &p.Start, &p.End, &p.Text, &p.Hash); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		p.Current = true
		recs = append(recs, ParagraphRecord{Paragraph: p})
	}
	if err := rows.Close(); err != nil {
		return nil, translate(err)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	if len(recs) == 0 {
		return recs, nil
	}
	// Ids are integers from the database, so listing them inline is safe,
	// and it keeps the query clear of SQLite's limit on bound parameters.
	ids := make([]int64, len(recs))
	idx := make(map[int64]int, len(recs))
	var docIDs []int64
	for i, r := range recs {
		ids[i] = r.Paragraph.ID
		idx[r.Paragraph.ID] = i
		if _, ok := w.docs[r.Paragraph.DocumentID]; !ok {
			w.docs[r.Paragraph.DocumentID] = nil
			docIDs = append(docIDs, r.Paragraph.DocumentID)
		}
	}
	in := idList(ids)
	if err := w.documents(docIDs); err != nil {
		return nil, err
	}
	for i := range recs {
		recs[i].Document = w.docs[recs[i].Paragraph.DocumentID]
	}
	// Only the last batch's last document can appear again.
	lastDoc := recs[len(recs)-1].Paragraph.DocumentID
	for id := range w.docs {
		if id != lastDoc {
			delete(w.docs, id)
		}
	}
	q := `SELECT a.paragraph_id, a.user_id, u.name, a.labels, a.updated_at FROM annotations a JOIN users u ON u.id = a.user_id
WHERE a.paragraph_id IN (` + in + `)`
	if len(w.users) > 0 {
		q += ` AND a.user_id IN (` + idList(w.users) + `)`
	}
	rows, err = w.tx.Raw(q).Rows()
	if err != nil {
		return nil, translate(err)
	}
	var raw []byte
	for rows.Next() {
		var pid int64
		var a RecordAnnotation
		if err := rows.Scan(&pid, &a.UserID, &a.UserName, &raw, &a.UpdatedAt); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		if a.Labels, err = parseLabels(raw); err != nil {
			rows.Close()
			return nil, err
		}
		r := &recs[idx[pid]]
		r.Annotations = append(r.Annotations, a)
	}
	if err := rows.Close(); err != nil {
		return nil, translate(err)
	}
	for i := range recs {
		if as := recs[i].Annotations; len(as) > 1 {
			sort.Slice(as, func(x, y int) bool { return as[x].UserName < as[y].UserName })
		}
	}
	rows, err = w.tx.Raw(`SELECT id, paragraph_id, labels, version, method, decided_by, decided_at FROM golds WHERE paragraph_id IN (` + in + `)`).Rows()
	if err != nil {
		return nil, translate(err)
	}
	for rows.Next() {
		g := &Gold{}
		var method sql.NullString
		if err := rows.Scan(&g.ID, &g.ParagraphID, &raw, &g.Version, &method, &g.DecidedBy, &g.DecidedAt); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		g.Method = method.String
		if g.Labels, err = parseLabels(raw); err != nil {
			rows.Close()
			return nil, err
		}
		recs[idx[g.ParagraphID]].Gold = g
	}
	if err := rows.Close(); err != nil {
		return nil, translate(err)
	}
	var flags []Curation
	if err := w.tx.Raw(`SELECT * FROM curations WHERE paragraph_id IN (` + in + `) ORDER BY id`).Scan(&flags).Error; err != nil {
		return nil, translate(err)
	}
	for _, c := range flags {
		r := &recs[idx[c.ParagraphID]]
		r.Flags = append(r.Flags, c)
	}
	if w.run != nil {
		var items []ConsensusItem
		if err := w.tx.Where("run_id = ? AND paragraph_id IN ("+in+")", w.run.ID).Find(&items).Error; err != nil {
			return nil, translate(err)
		}
		w.run.withReasons(items)
		for _, it := range items {
			r := &recs[idx[it.ParagraphID]]
			if r.Consensus == nil {
				r.Consensus = map[string]ConsensusItem{}
			}
			if it.Values == nil {
				it.Values = []string{}
			}
			r.Consensus[it.Dimension] = it
		}
	}
	return recs, nil
}

// parseLabels reads stored labels, {"dim":["v",...],...} as written by
// Labels.Value. Plain strings are read directly; anything with an escape
// goes through encoding/json. An export reads millions of these.
func parseLabels(b []byte) (Labels, error) {
	out := Labels{}
	if bytes.IndexByte(b, '\\') >= 0 {
		return out, out.Scan(b)
	}
	i := 0
	skip := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
			i++
		}
	}
	str := func() (string, bool) {
		skip()
		if i >= len(b) || b[i] != '"' {
			return "", false
		}
		j := bytes.IndexByte(b[i+1:], '"')
		if j < 0 {
			return "", false
		}
		s := string(b[i+1 : i+1+j])
		i += j + 2
		return s, true
	}
	slow := func() (Labels, error) {
		l := Labels{}
		return l, l.Scan(b)
	}
	skip()
	if i >= len(b) || b[i] != '{' {
		return slow()
	}
	i++
	for {
		skip()
		if i < len(b) && b[i] == '}' {
			return out, nil
		}
		key, ok := str()
		skip()
		if !ok || i >= len(b) || b[i] != ':' {
			return slow()
		}
		i++
		skip()
		if i >= len(b) || b[i] != '[' {
			return slow()
		}
		i++
		vs := []string{}
		for {
			skip()
			if i < len(b) && b[i] == ']' {
				i++
				break
			}
			v, ok := str()
			if !ok {
				return slow()
			}
			vs = append(vs, v)
			skip()
			if i < len(b) && b[i] == ',' {
				i++
			}
		}
		out[key] = vs
		skip()
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
}

func (w *paragraphWalker) documents(ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var docs []Document
	if err := w.tx.Where("id IN (" + idList(ids) + ")").Find(&docs).Error; err != nil {
		return translate(err)
	}
	for i := range docs {
		w.docs[docs[i].ID] = &docs[i]
	}
	return nil
}

// LabelledDocument is a document read from a labelled dataset: its identity,
// its paragraphs in order and their labels.
type LabelledDocument struct {
	Key    string
	Title  string
	Source string
	URL    string
	Meta   JSON
	// Origin says where it came from, such as "file.jsonl:12", for the
	// history and for messages.
	Origin     string
	Paragraphs []LabelledParagraph
}

// LabelledParagraph is one paragraph of a LabelledDocument.
type LabelledParagraph struct {
	Text string
	// Position is the paragraph's place in its document as the file gives
	// it, nil when the file gives none; then paragraphs are numbered from 0
	// in order. Positions kept from an export keep the paragraph's stable
	// id (key#position) when the export left paragraphs out.
	Position *int
	// Annotations are the annotators' labels, one per annotator.
	Annotations []NamedLabels
	// Gold is the adjudicated label, nil when there is none; GoldMethod
	// says how it was decided (default "import").
	Gold       Labels
	GoldMethod string
	// GoldAt is when the gold label was decided; zero means now.
	GoldAt time.Time
	// Flags are curation kinds the dataset marks as confirmed.
	Flags []string
}

// NamedLabels is one annotator's labels, by user name.
type NamedLabels struct {
	Annotator string
	Labels    Labels
	// At is when the labels were made; zero means now.
	At time.Time
}

// LabelledResult is what ImportLabelled did with one document.
type LabelledResult struct {
	ImportResult
	// Annotations counts the annotations created, Unchanged those already
	// stored with the same labels; Gold counts gold labels set; Users lists
	// the annotators created.
	Annotations int      `json:"annotations"`
	Unchanged   int      `json:"unchanged_annotations"`
	Gold        int      `json:"gold"`
	Users       []string `json:"users_created,omitempty"`
}

// ImportLabelled stores one labelled document in one transaction: the
// document and its paragraphs exactly as given (they are not split again),
// the annotators as users without a password and the annotator role when
// they do not exist yet, their annotations, the gold labels and the confirmed
// flags, each in the history. Labels are checked against the current schema.
//
// When a document with the same key exists and its current paragraphs have
// the same texts, the labels are added to it: annotations already stored
// with the same labels are left alone, and a stored annotation or gold label
// with different labels fails the whole document with ECONFLICT, so nothing
// stored is overwritten. A document with the same key but other texts fails
// with ECONFLICT too.
func (s *Store) ImportLabelled(ctx context.Context, by int64, doc LabelledDocument) (LabelledResult, error) {
	res := LabelledResult{ImportResult: ImportResult{Origin: doc.Origin, Key: doc.Key}}
	positions, err := checkLabelled(doc)
	if err != nil {
		return failLabelled(res, err)
	}
	users := map[string]int64{}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schemaIn(tx)
		if err != nil {
			return err
		}
		return s.importLabelledIn(tx, by, sc, s.now(), doc, positions, &res, users)
	})
	if err != nil {
		return failLabelled(res, err)
	}
	s.rememberAnnotators(users)
	return res, nil
}

// ImportLabelledDocuments is ImportLabelled for several documents at once:
// all in one transaction, which for a file of many small documents is most
// of the cost of importing it. When one of them fails the transaction is
// rolled back and each is imported again in a transaction of its own, so
// that the one at fault is reported and the others go in. A document that
// fails has its error in its result; the error returned is one that is not
// the documents' own (the database, or ctx).
func (s *Store) ImportLabelledDocuments(ctx context.Context, by int64, docs []LabelledDocument) ([]LabelledResult, error) {
	results := make([]LabelledResult, len(docs))
	bad := make([]bool, len(docs))
	positions := make([][]int, len(docs))
	for i, doc := range docs {
		results[i] = LabelledResult{ImportResult: ImportResult{Origin: doc.Origin, Key: doc.Key}}
		var err error
		if positions[i], err = checkLabelled(doc); err != nil {
			results[i], _ = failLabelled(results[i], err)
			bad[i] = true
		}
	}
	out := slices.Clone(results)
	users := map[string]int64{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schemaIn(tx)
		if err != nil {
			return err
		}
		now := s.now()
		for i, doc := range docs {
			if bad[i] {
				continue
			}
			if err := s.importLabelledIn(tx, by, sc, now, doc, positions[i], &out[i], users); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.rememberAnnotators(users)
		return out, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return results, cerr
	}
	for i, doc := range docs {
		if bad[i] {
			continue
		}
		res, err := s.ImportLabelled(ctx, by, doc)
		results[i] = res
		if err != nil && !isDomain(err) {
			return results, err
		}
	}
	return results, nil
}

// checkLabelled checks what a labelled document must have before anything
// is read — a key, paragraphs with text, fields the database can store,
// paragraphs in order of their positions — and returns each paragraph's
// position.
func checkLabelled(doc LabelledDocument) ([]int, error) {
	if doc.Key == "" {
		return nil, Invalidf("document_key", "document has no key")
	}
	if len(doc.Paragraphs) == 0 {
		return nil, Invalidf("text", "document %q has no paragraphs", doc.Key)
	}
	for _, f := range []struct{ name, value string }{{"document_key", doc.Key}, {"source", doc.Source}, {"url", doc.URL}} {
		if err := CheckText(f.name, f.value, false); err != nil {
			return nil, err
		}
	}
	if err := CheckImportText("title", doc.Title); err != nil {
		return nil, err
	}
	positions := make([]int, len(doc.Paragraphs))
	for i, p := range doc.Paragraphs {
		if strings.TrimSpace(p.Text) == "" {
			return nil, Invalidf("text", "paragraph %d of document %q is empty", i, doc.Key)
		}
		if err := CheckImportText(fmt.Sprintf("paragraphs[%d].text", i), p.Text); err != nil {
			return nil, err
		}
		positions[i] = i
		if p.Position != nil {
			positions[i] = *p.Position
		}
		if i > 0 && positions[i] <= positions[i-1] {
			return nil, Invalidf("position", "paragraph %d of document %q is at position %d, not after the one before it (%d); give the paragraphs in order, each at its own position", i, doc.Key, positions[i], positions[i-1])
		}
	}
	return positions, nil
}

// hasPositions reports whether every paragraph of a labelled document
// names its position.
func hasPositions(ps []LabelledParagraph) bool {
	for _, p := range ps {
		if p.Position == nil {
			return false
		}
	}
	return len(ps) > 0
}

// failLabelled marks a result failed with err, counting nothing stored.
func failLabelled(res LabelledResult, err error) (LabelledResult, error) {
	res.Status, res.Error = ImportFailed, ErrorMessage(err)
	if !isDomain(err) {
		res.Error = err.Error()
	}
	res.Annotations, res.Unchanged, res.Gold, res.Users = 0, 0, 0, nil
	return res, err
}

// rememberAnnotators keeps the users a committed import found or created,
// by name (see ensureAnnotator).
func (s *Store) rememberAnnotators(users map[string]int64) {
	for name, id := range users {
		s.annotators.Store(name, id)
	}
}

// importLabelledIn stores one labelled document in tx (see ImportLabelled),
// filling res. users holds the annotators' ids by name, for the
// transaction.
func (s *Store) importLabelledIn(tx *gorm.DB, by int64, sc *Schema, now time.Time, doc LabelledDocument, positions []int, res *LabelledResult, users map[string]int64) error {
	var d Document
	if err := tx.Where("doc_key = ?", doc.Key).Limit(1).Find(&d).Error; err != nil {
		return err
	}
	var paras []Paragraph
	if d.ID != 0 {
		if err := tx.Where("document_id = ? AND is_current = ?", d.ID, true).Order("position").Find(&paras).Error; err != nil {
			return err
		}
		// With positions, each paragraph of the file must be the stored
		// one at its position, so that an export that left paragraphs out
		// (flagged ones) matches the document it came from; without, the
		// file must hold every paragraph in order.
		same := len(paras) == len(doc.Paragraphs)
		if hasPositions(doc.Paragraphs) {
			at := make(map[int]Paragraph, len(paras))
			for _, p := range paras {
				at[p.Position] = p
			}
			same = len(paras) >= len(doc.Paragraphs)
			matched := make([]Paragraph, len(doc.Paragraphs))
			for i := 0; same && i < len(doc.Paragraphs); i++ {
				matched[i] = at[positions[i]]
				same = matched[i].ID != 0 && matched[i].Text == doc.Paragraphs[i].Text
			}
			paras = matched
		}
		for i := 0; same && i < len(paras); i++ {
			same = paras[i].Text == doc.Paragraphs[i].Text
		}
		if !same {
			return &Error{Code: ECONFLICT, Field: "document_key", Message: fmt.Sprintf("document %q already exists with other paragraphs; import it under another key, or import its new text as a revision first", doc.Key)}
		}
		res.Status, res.DocumentID, res.Revision = ImportUnchanged, d.ID, d.Revision
	} else {
		var text strings.Builder
		paras = make([]Paragraph, len(doc.Paragraphs))
		for i, p := range doc.Paragraphs {
			if i > 0 {
				text.WriteString("\n\n")
			}
			paras[i] = Paragraph{Current: true, Position: positions[i], Start: text.Len(), Text: p.Text, Hash: HashText(p.Text)}
			text.WriteString(p.Text)
			paras[i].End = text.Len()
		}
		d = Document{Key: doc.Key, Title: doc.Title, Source: doc.Source, URL: doc.URL, Meta: doc.Meta, Revision: 1}
		if err := tx.Create(&d).Error; err != nil {
			return err
		}
		src := Source{Title: doc.Title, Source: doc.Source, URL: doc.URL, Meta: doc.Meta, Text: []byte(text.String())}
		rev := Revision{DocumentID: d.ID, Number: 1, ContentHash: contentHash(src), Origin: doc.Origin, CreatedAt: now}
		if err := tx.Create(&rev).Error; err != nil {
			return err
		}
		for i := range paras {
			paras[i].DocumentID, paras[i].RevisionID = d.ID, rev.ID
		}
		if err := tx.CreateInBatches(paras, 200).Error; err != nil {
			return err
		}
		if err := s.record(tx, Change{At: now, UserID: by, Entity: "document", EntityID: d.ID, Action: "import-labelled", After: toJSON(map[string]any{"revision": 1, "origin": doc.Origin, "paragraphs": len(paras)})}); err != nil {
			return err
		}
		res.Status, res.DocumentID, res.Revision, res.Paragraphs = ImportCreated, d.ID, 1, len(paras)
	}
	// A document created here has no labels yet: its annotations go
	// in together, a few statements for the whole document, where a
	// document that was there already has each one checked against
	// what is stored.
	fresh := res.Status == ImportCreated
	var batch []importedAnnotation
	for i, lp := range doc.Paragraphs {
		p := paras[i]
		field := fmt.Sprintf("paragraphs[%d]", i)
		for _, nl := range lp.Annotations {
			uid, created, err := s.ensureAnnotator(tx, by, users, nl.Annotator)
			if err != nil {
				return err
			}
			if created {
				res.Users = append(res.Users, nl.Annotator)
			}
			canon, err := sc.Canonical(nl.Labels)
			if err != nil {
				return prefixField(err, field+".annotations."+nl.Annotator)
			}
			at := nl.At
			if at.IsZero() {
				at = now
			}
			if fresh {
				if err := s.rememberOpenValues(tx, sc, uid, canon); err != nil {
					return err
				}
				batch = append(batch, importedAnnotation{Annotation: Annotation{ParagraphID: p.ID, UserID: uid, Labels: canon, Version: 1, SchemaVersion: sc.Version, CreatedAt: at, UpdatedAt: at}, annotator: nl.Annotator})
				continue
			}
			var cur Annotation
			if err := tx.Where("paragraph_id = ? AND user_id = ?", p.ID, uid).Limit(1).Find(&cur).Error; err != nil {
				return err
			}
			if cur.ID != 0 {
				if cur.Labels.Equal(canon) {
					res.Unchanged++
					continue
				}
				return &Error{Code: ECONFLICT, Field: field + ".annotations." + nl.Annotator, Message: fmt.Sprintf("%s already labelled paragraph %d of %q differently; nothing of this document was imported", nl.Annotator, i, doc.Key), Current: sc.Encode(cur.Labels)}
			}
			a := Annotation{ParagraphID: p.ID, UserID: uid, Labels: canon, Version: 1, SchemaVersion: sc.Version, CreatedAt: at, UpdatedAt: at}
			if err := tx.Create(&a).Error; err != nil {
				return err
			}
			if err := s.rememberOpenValues(tx, sc, uid, canon); err != nil {
				return err
			}
			if err := s.record(tx, Change{At: now, UserID: by, Entity: "annotation", EntityID: a.ID, ParagraphID: p.ID, Action: "import", After: toJSON(map[string]any{"annotator": nl.Annotator, "labels": canon, "origin": doc.Origin})}); err != nil {
				return err
			}
			res.Annotations++
		}
		if lp.Gold != nil {
			canon, err := sc.Canonical(lp.Gold)
			if err != nil {
				return prefixField(err, field+".gold")
			}
			method := lp.GoldMethod
			if method == "" {
				method = "import"
			}
			var g Gold
			if !fresh {
				if err := tx.Where("paragraph_id = ?", p.ID).Limit(1).Find(&g).Error; err != nil {
					return err
				}
			}
			if g.ID != 0 && !g.Labels.Equal(canon) {
				return &Error{Code: ECONFLICT, Field: field + ".gold", Message: fmt.Sprintf("paragraph %d of %q already has another gold label; nothing of this document was imported", i, doc.Key), Current: sc.Encode(g.Labels)}
			}
			if g.ID == 0 {
				at := lp.GoldAt
				if at.IsZero() {
					at = now
				}
				g = Gold{ParagraphID: p.ID, Labels: canon, Version: 1, Method: method, DecidedBy: by, DecidedAt: at}
				if err := tx.Create(&g).Error; err != nil {
					return err
				}
				if err := s.record(tx, Change{At: now, UserID: by, Entity: "gold", EntityID: g.ID, ParagraphID: p.ID, Action: "create", After: toJSON(map[string]any{"labels": canon, "method": method})}); err != nil {
					return err
				}
				res.Gold++
			}
		}
		for _, kind := range lp.Flags {
			if err := checkKind(kind); err != nil {
				return prefixField(err, field+".flags")
			}
			var c Curation
			if !fresh {
				if err := tx.Where("paragraph_id = ? AND kind = ?", p.ID, kind).Limit(1).Find(&c).Error; err != nil {
					return err
				}
			}
			if c.ID != 0 && c.Status == StatusConfirmed {
				continue
			}
			before := JSON("")
			if c.ID != 0 {
				before = toJSON(map[string]string{"status": c.Status})
			} else {
				c = Curation{ParagraphID: p.ID, Kind: kind, CreatedAt: now, Reason: "imported as confirmed"}
			}
			uid := by
			c.Status, c.DecidedBy, c.DecidedAt = StatusConfirmed, &uid, &now
			if err := tx.Save(&c).Error; err != nil {
				return err
			}
			if err := s.record(tx, Change{At: now, UserID: by, Entity: "curation", EntityID: c.ID, ParagraphID: p.ID, Action: "import", Before: before, After: toJSON(map[string]string{"kind": kind, "status": StatusConfirmed})}); err != nil {
				return err
			}
		}
	}
	if err := s.insertImported(tx, by, now, doc.Origin, batch); err != nil {
		return err
	}
	res.Annotations += len(batch)
	if res.Status == ImportCreated {
		n, err := s.suggest(tx, d.ID, paras)
		if err != nil {
			return err
		}
		res.Suggestions = n
	}
	return nil
}

// importedAnnotation is an annotation of a document a labelled import
// creates, with its annotator's name for the history.
type importedAnnotation struct {
	Annotation
	annotator string
}

// importChunk is how many rows one statement of insertImported writes.
const importChunk = 100

// insertImported writes the annotations of a document a labelled import
// created, and their history rows, a chunk of rows per statement. None of
// them can be stored already: the document is new.
func (s *Store) insertImported(tx *gorm.DB, by int64, now time.Time, origin string, as []importedAnnotation) error {
	for start := 0; start < len(as); start += importChunk {
		chunk := as[start:min(start+importChunk, len(as))]
		var q strings.Builder
		q.WriteString("INSERT INTO annotations (paragraph_id, user_id, labels, version, schema_version, created_at, updated_at) VALUES ")
		args := make([]any, 0, 7*len(chunk))
		for i, a := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, a.ParagraphID, a.UserID, a.Labels, a.Version, a.SchemaVersion, a.CreatedAt, a.UpdatedAt)
		}
		// RETURNING gives the rows in no promised order: each id is matched
		// to its annotation by the (paragraph, user) key.
		q.WriteString(" RETURNING id, paragraph_id, user_id")
		rows, err := s.query(tx, q.String(), args...)
		if err != nil {
			return err
		}
		type key struct{ p, u int64 }
		ids := make(map[key]int64, len(chunk))
		for rows.Next() {
			var id, p, u int64
			if err := rows.Scan(&id, &p, &u); err != nil {
				rows.Close()
				return err
			}
			ids[key{p, u}] = id
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		q.Reset()
		q.WriteString("INSERT INTO history (at, user_id, entity, entity_id, paragraph_id, action, before_value, after_value) VALUES ")
		args = args[:0]
		for i, a := range chunk {
			id, ok := ids[key{a.ParagraphID, a.UserID}]
			if !ok {
				return fmt.Errorf("annotate: the import's insert returned no id for paragraph %d, user %d", a.ParagraphID, a.UserID)
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, now, by, "annotation", id, a.ParagraphID, "import", JSON(""), toJSON(map[string]any{"annotator": a.annotator, "labels": a.Labels, "origin": origin}))
		}
		if _, err := s.exec(tx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// prefixField puts prefix in front of the field of a domain error.
func prefixField(err error, prefix string) error {
	if e, ok := err.(*Error); ok {
		c := *e
		if c.Field != "" {
			c.Field = prefix + "." + strings.TrimPrefix(c.Field, "labels.")
		} else {
			c.Field = prefix
		}
		return &c
	}
	return err
}

// ensureAnnotator returns the id of the user called name, creating an
// annotator without a password when there is none.
func (s *Store) ensureAnnotator(tx *gorm.DB, by int64, cache map[string]int64, name string) (int64, bool, error) {
	if id, ok := cache[name]; ok {
		return id, false, nil
	}
	if err := CheckUserName(name); err != nil {
		return 0, false, prefixField(err, "annotator")
	}
	// Users are never renamed or deleted, so one that a committed import
	// found or created is there for good (rememberAnnotators).
	if id, ok := s.annotators.Load(name); ok {
		cache[name] = id.(int64)
		return id.(int64), false, nil
	}
	var u User
	if err := tx.Where("name = ?", name).Limit(1).Find(&u).Error; err != nil {
		return 0, false, err
	}
	created := false
	if u.ID == 0 {
		u = User{Name: name, Role: RoleAnnotator}
		if err := tx.Create(&u).Error; err != nil {
			return 0, false, err
		}
		if err := s.record(tx, Change{UserID: by, Entity: "user", EntityID: u.ID, Action: "create", After: toJSON(map[string]any{"name": name, "role": RoleAnnotator, "origin": "labelled import"})}); err != nil {
			return 0, false, err
		}
		created = true
	}
	cache[name] = u.ID
	return u.ID, created, nil
}

// GoldDecision is a gold label decided outside Concord, such as in an
// exported spreadsheet, to be stored by ApplyGold.
type GoldDecision struct {
	ParagraphID int64
	// TextHash, when set, must equal the paragraph's hash: the decision was
	// made on that text.
	TextHash string
	// Version is the gold version the decision replaces (0 for none).
	Version int
	Labels  Labels
	Method  string
	// Origin says where the decision came from, such as "Paragraphs!A12".
	Origin string
}

// GoldChange is one gold label ApplyGold stored.
type GoldChange struct {
	ParagraphID int64  `json:"paragraph_id"`
	Origin      string `json:"origin,omitempty"`
	Before      Labels `json:"before"`
	After       Labels `json:"after"`
}

// ApplyGold stores gold decisions all or nothing, in one transaction: every
// paragraph must exist and be current, its text must match TextHash, its
// gold label must still be at Version, and the labels must fit the schema,
// or nothing is written and the error names the first decision at fault.
// A decision equal to the stored gold label changes nothing. With dryRun
// the changes are computed and reported but not kept.
func (s *Store) ApplyGold(ctx context.Context, by int64, decisions []GoldDecision, dryRun bool) ([]GoldChange, error) {
	var out []GoldChange
	errDry := &Error{Code: "dry_run"}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schemaIn(tx)
		if err != nil {
			return err
		}
		now := s.now()
		for _, dcs := range decisions {
			where := dcs.Origin
			if where == "" {
				where = fmt.Sprintf("paragraph %d", dcs.ParagraphID)
			}
			canon, err := sc.Canonical(dcs.Labels)
			if err != nil {
				return prefixField(err, where)
			}
			var p Paragraph
			if err := tx.Limit(1).Find(&p, dcs.ParagraphID).Error; err != nil {
				return err
			}
			if p.ID == 0 {
				return Invalidf(where, "no paragraph with id %d in this database; was the file exported from another one?", dcs.ParagraphID)
			}
			if !p.Current {
				return &Error{Code: ECONFLICT, Field: where, Message: fmt.Sprintf("paragraph %d belongs to an older revision of its document; export again", p.ID)}
			}
			if dcs.TextHash != "" && dcs.TextHash != p.Hash {
				return &Error{Code: ECONFLICT, Field: where, Message: fmt.Sprintf("the text of paragraph %d differs from the database (edited in the file, or the document changed); export again", p.ID)}
			}
			var g Gold
			if err := tx.Where("paragraph_id = ?", p.ID).Limit(1).Find(&g).Error; err != nil {
				return err
			}
			method := dcs.Method
			if method == "" {
				method = "import"
			}
			if g.ID != 0 && g.Labels.Equal(canon) {
				continue
			}
			if g.Version != dcs.Version {
				return &Error{Code: ECONFLICT, Field: where, Message: fmt.Sprintf("the gold label of paragraph %d changed since the file was exported (version %d, now %d); export again", p.ID, dcs.Version, g.Version), Current: sc.Encode(g.Labels)}
			}
			before, beforeJSON, action := g.Labels, toJSON(g.Labels), "update"
			if g.ID == 0 {
				before, beforeJSON, action = nil, "", "create"
			}
			g.ParagraphID, g.Labels, g.Version, g.Method, g.DecidedBy, g.DecidedAt = p.ID, canon, g.Version+1, method, by, now
			if err := tx.Save(&g).Error; err != nil {
				return err
			}
			if err := s.record(tx, Change{At: now, UserID: by, Entity: "gold", EntityID: g.ID, ParagraphID: p.ID, Action: action, Before: beforeJSON, After: toJSON(map[string]any{"labels": canon, "method": method})}); err != nil {
				return err
			}
			out = append(out, GoldChange{ParagraphID: p.ID, Origin: dcs.Origin, Before: before, After: canon})
		}
		if dryRun {
			return errDry
		}
		return nil
	})
	if err == errDry {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
