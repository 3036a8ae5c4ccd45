package annotate

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	// Suggestions fills each record's Suggestions, read with the record's
	// batch.
	Suggestions bool
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
	// Suggestions are the models' suggestions for the paragraph, when
	// ParagraphFilter.Suggestions asks for them, by dimension, best score
	// first within each.
	Suggestions []Suggestion
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
		w := &paragraphWalker{tx: tx, users: users, docs: map[int64]*Document{}, run: f.Consensus, suggestions: f.Suggestions}
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
	// suggestions says to read the models' suggestions.
	suggestions bool
	// names holds the user names read so far, by id: a few users write
	// every label, so each name is read once rather than joined to each.
	names map[int64]string
	// words holds the strings word made.
	words map[string]string
}

// userName returns the name of the user with the id.
func (w *paragraphWalker) userName(id int64) (string, error) {
	if n, ok := w.names[id]; ok {
		return n, nil
	}
	var names []string
	if err := w.tx.Raw("SELECT name FROM users WHERE id = ?", id).Scan(&names).Error; err != nil {
		return "", translate(err)
	}
	if len(names) == 0 {
		return "", fmt.Errorf("annotate: an annotation names user %d, who is not in the database", id)
	}
	if w.names == nil {
		w.names = map[int64]string{}
	}
	w.names[id] = names[0]
	return names[0], nil
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
	q := `SELECT paragraph_id, user_id, labels, updated_at FROM annotations WHERE paragraph_id IN (` + in + `)`
	if len(w.users) > 0 {
		q += ` AND user_id IN (` + idList(w.users) + `)`
	}
	rows, err = w.tx.Raw(q).Rows()
	if err != nil {
		return nil, translate(err)
	}
	var raw []byte
	for rows.Next() {
		var pid int64
		var a RecordAnnotation
		if err := rows.Scan(&pid, &a.UserID, &raw, &a.UpdatedAt); err != nil {
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
	// The names are read once the rows are closed: a PostgreSQL
	// connection runs one query at a time.
	for i := range recs {
		as := recs[i].Annotations
		for j := range as {
			if as[j].UserName, err = w.userName(as[j].UserID); err != nil {
				return nil, err
			}
		}
		if len(as) > 1 {
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
	if w.suggestions {
		// In the walk's own view of the database, as everything else of
		// the record: a model storing suggestions meanwhile changes none.
		var sugg []Suggestion
		if err := w.tx.Where("paragraph_id IN (" + in + ")").Order("paragraph_id, dimension, score DESC, agent").Find(&sugg).Error; err != nil {
			return nil, translate(err)
		}
		for _, x := range sugg {
			r := &recs[idx[x.ParagraphID]]
			r.Suggestions = append(r.Suggestions, x)
		}
	}
	if w.run != nil {
		items, err := w.consensus(in)
		if err != nil {
			return nil, err
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

// consensus reads the walker's run's items of the paragraphs whose ids in
// lists. An export reads one item per paragraph and dimension, millions of
// them: they are scanned column by column, with their value lists read by
// parseStrings, rather than through the ORM's reflection and JSON decoding.
func (w *paragraphWalker) consensus(in string) ([]ConsensusItem, error) {
	rows, err := w.tx.Raw(`SELECT paragraph_id, dimension, "values", tie, tied, confidence, method, gold, labels FROM consensus_items WHERE run_id = ? AND paragraph_id IN (`+in+`)`, w.run.ID).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var items []ConsensusItem
	var dim, method, values, tied sql.RawBytes
	if w.words == nil {
		w.words = map[string]string{}
	}
	for rows.Next() {
		it := ConsensusItem{RunID: w.run.ID}
		if err := rows.Scan(&it.ParagraphID, &dim, &values, &it.Tie, &tied, &it.Confidence, &method, &it.Gold, &it.Labels); err != nil {
			return nil, translate(err)
		}
		it.Dimension, it.Method = w.word(dim), w.word(method)
		if it.Values, err = parseStrings(values, w.word); err != nil {
			return nil, fmt.Errorf("annotate: consensus item of paragraph %d, %s: %w", it.ParagraphID, it.Dimension, err)
		}
		if it.Tied, err = parseStrings(tied, w.word); err != nil {
			return nil, fmt.Errorf("annotate: consensus item of paragraph %d, %s: %w", it.ParagraphID, it.Dimension, err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return items, nil
}

// word returns b as a string, one string for all equal ones: an item's
// dimension, method and values are a schema's few words, repeated in
// millions of items.
func (w *paragraphWalker) word(b []byte) string {
	if s, ok := w.words[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(w.words) < 10000 {
		w.words[s] = s
	}
	return s
}

// parseStrings reads a JSON list of strings as stored by the json
// serializer, nil for NULL or null, each string made by str. Lists without
// escapes are read directly; others go through encoding/json.
func parseStrings(b []byte, str func([]byte) string) ([]string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	slow := func() ([]string, error) {
		var out []string
		return out, json.Unmarshal(b, &out)
	}
	if bytes.IndexByte(b, '\\') >= 0 || b[0] != '[' || b[len(b)-1] != ']' {
		return slow()
	}
	body := bytes.TrimSpace(b[1 : len(b)-1])
	out := []string{}
	for len(body) > 0 {
		if body[0] != '"' {
			return slow()
		}
		j := bytes.IndexByte(body[1:], '"')
		if j < 0 {
			return slow()
		}
		out = append(out, str(body[1:1+j]))
		body = bytes.TrimSpace(body[j+2:])
		if len(body) == 0 {
			break
		}
		if body[0] != ',' {
			return slow()
		}
		body = bytes.TrimSpace(body[1:])
		if len(body) == 0 {
			return slow()
		}
	}
	return out, nil
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
