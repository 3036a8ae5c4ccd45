package annotate

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

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
	out := []LabelledResult{res}
	users := map[string]int64{}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schemaIn(tx)
		if err != nil {
			return err
		}
		return s.importLabelledBatch(tx, by, sc, s.now(), []LabelledDocument{doc}, [][]int{positions}, []int{0}, out, users)
	})
	if err != nil {
		return failLabelled(res, err)
	}
	s.rememberAnnotators(users)
	return out[0], nil
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
	positions := make([][]int, len(docs))
	todo := make([]int, 0, len(docs))
	for i, doc := range docs {
		results[i] = LabelledResult{ImportResult: ImportResult{Origin: doc.Origin, Key: doc.Key}}
		var err error
		if positions[i], err = checkLabelled(doc); err != nil {
			results[i], _ = failLabelled(results[i], err)
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return results, nil
	}
	out := slices.Clone(results)
	users := map[string]int64{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schemaIn(tx)
		if err != nil {
			return err
		}
		return s.importLabelledBatch(tx, by, sc, s.now(), docs, positions, todo, out, users)
	})
	if err == nil {
		s.rememberAnnotators(users)
		n := 0
		for _, i := range todo {
			n += out[i].Paragraphs
		}
		s.analyzeGrowth(ctx, n)
		if s.checkpoints != nil {
			// A file's batches come one after another: the log gets its
			// moment to start again between them (see makeRoom).
			s.checkpoints.makeRoom(ctx)
		}
		return out, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return results, cerr
	}
	for _, i := range todo {
		res, err := s.ImportLabelled(ctx, by, docs[i])
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

// importLabelledBatch stores docs[i] for each i in todo inside tx, filling
// out[i]; users holds the annotators' ids by name, for the transaction.
//
// Documents whose keys the database does not hold yet are written together
// (createLabelled): nothing stored can stand in their way, so none of their
// labels is looked up before it is written. The others — a document that
// exists, or a key that comes again in the batch — are then merged one by
// one (mergeLabelledIn), each label checked against what is stored.
func (s *Store) importLabelledBatch(tx *gorm.DB, by int64, sc *Schema, now time.Time, docs []LabelledDocument, positions [][]int, todo []int, out []LabelledResult, users map[string]int64) error {
	keys := make([]string, 0, len(todo))
	for _, i := range todo {
		keys = append(keys, docs[i].Key)
	}
	known := make(map[string]bool, len(keys))
	for start := 0; start < len(keys); start += 500 {
		var found []string
		if err := tx.Model(&Document{}).Where("doc_key IN ?", keys[start:min(start+500, len(keys))]).Pluck("doc_key", &found).Error; err != nil {
			return err
		}
		for _, k := range found {
			known[k] = true
		}
	}
	var fresh, rest []int
	for _, i := range todo {
		if known[docs[i].Key] {
			rest = append(rest, i)
			continue
		}
		known[docs[i].Key] = true
		fresh = append(fresh, i)
	}
	if len(fresh) > 0 {
		if err := s.createLabelled(tx, by, sc, now, docs, positions, todo, fresh, out, users); err != nil {
			return err
		}
	}
	for _, i := range rest {
		if err := s.mergeLabelledIn(tx, by, sc, now, docs[i], positions[i], &out[i], users); err != nil {
			return err
		}
	}
	return nil
}

// newLabelled is a document createLabelled writes, with what it checked.
type newLabelled struct {
	doc       *LabelledDocument
	positions []int
	res       *LabelledResult
	// first is the index of the document's first paragraph in the batch's.
	first int
}

// newGold and newFlag are a gold label and a confirmed flag of a paragraph
// createLabelled writes, by the paragraph's index in the batch.
type newGold struct {
	paragraph int
	labels    Labels
	method    string
	at        time.Time
}

type newFlag struct {
	paragraph int
	kind      string
}

// createLabelled writes the documents docs[i], i in fresh, whose keys the
// database does not hold, as revision 1 of each, with a few statements for
// the whole batch: documents, revisions, paragraphs, annotations, their
// history rows and the curation suggestions each go in together. todo is
// every document of the batch, in order, so that an annotator the batch
// creates is reported by the first document that names them.
//
// Every annotation, gold label and flag is checked before any document is
// written, in the order of the batch, so that a lone document fails with
// the same first problem as it would label by label.
func (s *Store) createLabelled(tx *gorm.DB, by int64, sc *Schema, now time.Time, docs []LabelledDocument, positions [][]int, todo, fresh []int, out []LabelledResult, users map[string]int64) error {
	isFresh := make(map[int]bool, len(fresh))
	for _, i := range fresh {
		isFresh[i] = true
	}
	values := newLabelValues(sc)
	var (
		news  []newLabelled
		rows  []importedAnnotation
		golds []newGold
		flags []newFlag
		n     int
	)
	for _, i := range todo {
		doc := &docs[i]
		if !isFresh[i] {
			// A document merged later creates its annotators now, in the
			// order of the batch; a name that is not a user name is left
			// for the merge to report, in its own order.
			for _, p := range doc.Paragraphs {
				for _, nl := range p.Annotations {
					if CheckUserName(nl.Annotator) != nil {
						continue
					}
					if _, created, err := s.ensureAnnotator(tx, by, users, nl.Annotator); err != nil {
						return err
					} else if created {
						out[i].Users = append(out[i].Users, nl.Annotator)
					}
				}
			}
			continue
		}
		news = append(news, newLabelled{doc: doc, positions: positions[i], res: &out[i], first: n})
		for k, lp := range doc.Paragraphs {
			field := func() string { return fmt.Sprintf("paragraphs[%d]", k) }
			for _, nl := range lp.Annotations {
				uid, created, err := s.ensureAnnotator(tx, by, users, nl.Annotator)
				if err != nil {
					return err
				}
				if created {
					out[i].Users = append(out[i].Users, nl.Annotator)
				}
				v, err := values.get(nl.Labels)
				if err != nil {
					return prefixField(err, field()+".annotations."+nl.Annotator)
				}
				at := nl.At
				if at.IsZero() {
					at = now
				}
				rows = append(rows, importedAnnotation{paragraph: n + k, userID: uid, annotator: nl.Annotator, labels: v, at: at, origin: doc.Origin})
			}
			if lp.Gold != nil {
				canon, err := sc.Canonical(lp.Gold)
				if err != nil {
					return prefixField(err, field()+".gold")
				}
				method := lp.GoldMethod
				if method == "" {
					method = "import"
				}
				at := lp.GoldAt
				if at.IsZero() {
					at = now
				}
				golds = append(golds, newGold{paragraph: n + k, labels: canon, method: method, at: at})
			}
			for j, kind := range lp.Flags {
				if err := checkKind(kind); err != nil {
					return prefixField(err, field()+".flags")
				}
				// A kind named twice is confirmed once.
				if !slices.Contains(lp.Flags[:j], kind) {
					flags = append(flags, newFlag{paragraph: n + k, kind: kind})
				}
			}
		}
		n += len(doc.Paragraphs)
	}

	ds := make([]Document, len(news))
	for j, nd := range news {
		d := nd.doc
		ds[j] = Document{Key: d.Key, Title: d.Title, Source: d.Source, URL: d.URL, Meta: d.Meta, Revision: 1, CreatedAt: now, UpdatedAt: now}
	}
	if err := tx.CreateInBatches(ds, importChunk).Error; err != nil {
		return err
	}
	// The paragraphs are new, so their counts are their annotations, all
	// of which are written below: each paragraph goes in counted, as the
	// trigger would count it, and the trigger stands aside while its
	// annotations are written (see counts.go).
	var overlap int
	if err := tx.Raw("SELECT " + overlapSQL).Scan(&overlap).Error; err != nil {
		return err
	}
	revs := make([]Revision, len(news))
	paras := make([]Paragraph, 0, n)
	var text strings.Builder
	for j, nd := range news {
		text.Reset()
		for k, p := range nd.doc.Paragraphs {
			if k > 0 {
				text.WriteString("\n\n")
			}
			para := Paragraph{DocumentID: ds[j].ID, Current: true, Annotators: len(p.Annotations), Open: len(p.Annotations) < overlap, Position: nd.positions[k], Start: text.Len(), Text: p.Text, Hash: HashText(p.Text)}
			text.WriteString(p.Text)
			para.End = text.Len()
			paras = append(paras, para)
		}
		d := nd.doc
		src := Source{Title: d.Title, Source: d.Source, URL: d.URL, Meta: d.Meta, Text: []byte(text.String())}
		revs[j] = Revision{DocumentID: ds[j].ID, Number: 1, ContentHash: contentHash(src), Origin: d.Origin, CreatedAt: now}
	}
	if err := tx.CreateInBatches(revs, importChunk).Error; err != nil {
		return err
	}
	changes := make([]Change, len(news))
	for j, nd := range news {
		for k := range nd.doc.Paragraphs {
			paras[nd.first+k].RevisionID = revs[j].ID
		}
		changes[j] = Change{At: now, UserID: by, Entity: "document", EntityID: ds[j].ID, Action: "import-labelled", After: toJSON(map[string]any{"revision": 1, "origin": nd.doc.Origin, "paragraphs": len(nd.doc.Paragraphs)})}
	}
	if err := s.insertParagraphs(tx, paras); err != nil {
		return err
	}
	if err := tx.CreateInBatches(changes, importChunk).Error; err != nil {
		return err
	}

	for k := range rows {
		rows[k].paragraphID = paras[rows[k].paragraph].ID
	}
	if err := s.deferCounts(tx); err != nil {
		return err
	}
	if err := s.insertImported(tx, by, now, sc.Version, rows); err != nil {
		return err
	}
	if err := s.resumeCounts(tx); err != nil {
		return err
	}
	// Each annotator's open values are remembered once per distinct
	// labels value, not once per label.
	type typed struct {
		user int64
		v    *labelValue
	}
	seen := map[typed]bool{}
	for _, r := range rows {
		if t := (typed{r.userID, r.labels}); !seen[t] {
			seen[t] = true
			if err := s.rememberOpenValues(tx, sc, r.userID, r.labels.labels); err != nil {
				return err
			}
		}
	}

	docOf := func(paragraph int) *newLabelled {
		j := sort.Search(len(news), func(j int) bool { return news[j].first > paragraph }) - 1
		return &news[j]
	}
	for _, g := range golds {
		p := paras[g.paragraph]
		row := Gold{ParagraphID: p.ID, Labels: g.labels, Version: 1, Method: g.method, DecidedBy: by, DecidedAt: g.at}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := s.record(tx, Change{At: now, UserID: by, Entity: "gold", EntityID: row.ID, ParagraphID: p.ID, Action: "create", After: toJSON(map[string]any{"labels": g.labels, "method": g.method})}); err != nil {
			return err
		}
		docOf(g.paragraph).res.Gold++
	}
	taken := make(map[curationSlot]bool, len(flags))
	for _, f := range flags {
		p := paras[f.paragraph]
		uid := by
		c := Curation{ParagraphID: p.ID, Kind: f.kind, Status: StatusConfirmed, Reason: "imported as confirmed", DecidedBy: &uid, DecidedAt: &now, CreatedAt: now}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		if err := s.record(tx, Change{At: now, UserID: by, Entity: "curation", EntityID: c.ID, ParagraphID: p.ID, Action: "import", After: toJSON(map[string]string{"kind": f.kind, "status": StatusConfirmed})}); err != nil {
			return err
		}
		taken[curationSlot{p.ID, f.kind}] = true
	}
	suggested, err := s.suggestCurations(tx, now, paras, taken)
	if err != nil {
		return err
	}
	for _, r := range rows {
		docOf(r.paragraph).res.Annotations++
	}
	// The paragraphs went in counted, which no trigger sees.
	ids := make([]int64, len(news))
	for j := range news {
		ids[j] = ds[j].ID
	}
	if err := refreshProgress(tx, ids); err != nil {
		return err
	}
	// Their annotations and skips are folded from the marks: a long
	// import's rows can commit after later ids were folded past.
	if err := markDirty(tx, ids); err != nil {
		return err
	}
	for j, nd := range news {
		r := nd.res
		r.Status, r.DocumentID, r.Revision, r.Paragraphs, r.Suggestions = ImportCreated, ds[j].ID, 1, len(nd.doc.Paragraphs), suggested[ds[j].ID]
	}
	return nil
}

// mergeLabelledIn adds the labels of a document the database holds (see
// ImportLabelled) in tx, filling res: each annotation, gold label and flag
// is looked up first, so that one already stored is left alone and one
// stored differently fails the document.
func (s *Store) mergeLabelledIn(tx *gorm.DB, by int64, sc *Schema, now time.Time, doc LabelledDocument, positions []int, res *LabelledResult, users map[string]int64) error {
	var d Document
	if err := tx.Where("doc_key = ?", doc.Key).Limit(1).Find(&d).Error; err != nil {
		return err
	}
	if d.ID == 0 {
		// Documents are never removed, and this one was found earlier in
		// the transaction.
		return fmt.Errorf("annotate: document %q is no longer in the database", doc.Key)
	}
	var paras []Paragraph
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
			if err := tx.Where("paragraph_id = ?", p.ID).Limit(1).Find(&g).Error; err != nil {
				return err
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
			if err := tx.Where("paragraph_id = ? AND kind = ?", p.ID, kind).Limit(1).Find(&c).Error; err != nil {
				return err
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
	// Its labels are folded from the mark, as createLabelled's are.
	return markDirty(tx, []int64{d.ID})
}

// importedAnnotation is an annotation of a document createLabelled
// writes, with what its history row says.
type importedAnnotation struct {
	// paragraph is the index of its paragraph in the batch, paragraphID
	// that paragraph's id once written.
	paragraph   int
	paragraphID int64
	userID      int64
	annotator   string
	labels      *labelValue
	at          time.Time
	origin      string
}

// importChunk is how many rows one statement of a labelled import writes
// on SQLite; importChunkPostgres is the same on PostgreSQL, where a chunk
// is one statement over arrays.
const (
	importChunk         = 100
	importChunkPostgres = 1000
)

// insertImported writes the annotations of documents a labelled import
// created, and their history rows, a chunk of rows per statement. None of
// them can be stored already: their documents are new. Their paragraphs'
// counts follow, as for every insert (see counts.go).
func (s *Store) insertImported(tx *gorm.DB, by int64, now time.Time, schemaVersion int, as []importedAnnotation) error {
	if len(as) == 0 {
		return nil
	}
	after := afterValues{}
	if s.dialect == "postgres" {
		return s.insertImportedPostgres(tx, by, now, schemaVersion, as, &after)
	}
	ctx := tx.Statement.Context
	conn, ok := tx.Statement.ConnPool.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	})
	if !ok {
		return fmt.Errorf("annotate: a labelled import needs a transaction that prepares statements, not %T", tx.Statement.ConnPool)
	}
	// The statements are prepared for this batch rather than kept in the
	// pool's cache (stmtpool.go): the last chunk's differs in its length
	// from batch to batch, and each is used many times here.
	var stmts []*sql.Stmt
	defer func() {
		for _, st := range stmts {
			_ = st.Close()
		}
	}()
	prepare := func(q string) (*sql.Stmt, error) {
		st, err := conn.PrepareContext(ctx, q)
		if err == nil {
			stmts = append(stmts, st)
		}
		return st, err
	}
	var full [2]*sql.Stmt
	args := make([]any, 0, 4*importChunk)
	ids := make([]int64, importChunk)
	for start := 0; start < len(as); start += importChunk {
		chunk := as[start:min(start+importChunk, len(as))]
		ins, hist := full[0], full[1]
		if ins == nil || len(chunk) < importChunk {
			var err error
			if ins, err = prepare(annotationsSQLite(len(chunk), schemaVersion)); err != nil {
				return err
			}
			if hist, err = prepare(historySQLite(len(chunk))); err != nil {
				return err
			}
			if len(chunk) == importChunk {
				full = [2]*sql.Stmt{ins, hist}
			}
		}
		args = args[:0]
		for i := range chunk {
			a := &chunk[i]
			args = append(args, a.paragraphID, a.userID, a.labels.json, a.at)
		}
		if err := insertedIDs(ctx, ins, args, chunk, ids[:len(chunk)]); err != nil {
			return err
		}
		args = append(args[:0], now, by)
		for i := range chunk {
			a := &chunk[i]
			args = append(args, ids[i], a.paragraphID, after.of(a))
		}
		if _, err := hist.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// insertedIDs runs an insert of the annotations of chunk and puts each
// row's id in ids, in the order of chunk. The annotations table's ids are
// SQLite's AUTOINCREMENT rowids, and the import's transaction is the only
// writer: one statement's rows take the ids after the largest the table
// has held, one by one in the order of its VALUES, so the last row's id
// (last_insert_rowid) tells every other's. The count is checked, so that
// an insert that wrote fewer rows than asked fails rather than misnumbers.
func insertedIDs(ctx context.Context, ins *sql.Stmt, args []any, chunk []importedAnnotation, ids []int64) error {
	res, err := ins.ExecContext(ctx, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != int64(len(chunk)) {
		return fmt.Errorf("annotate: the import's insert of %d annotations wrote %d", len(chunk), n)
	}
	last, err := res.LastInsertId()
	if err != nil {
		return err
	}
	first := last - n + 1
	for i := range chunk {
		ids[i] = first + int64(i)
	}
	return nil
}

// importedPostgres writes a chunk of imported annotations and their
// history rows in one statement over arrays (as savebatch.go writes
// saves), so that PostgreSQL parses and plans once per chunk.
const importedPostgres = "WITH input AS (SELECT * FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS timestamptz[]), CAST(? AS text[])) AS i(paragraph_id, user_id, labels, at, after))," +
	" w AS (INSERT INTO annotations (paragraph_id, user_id, labels, version, schema_version, created_at, updated_at) SELECT paragraph_id, user_id, labels, 1, CAST(? AS bigint), at, at FROM input RETURNING id, paragraph_id, user_id)" +
	" INSERT INTO history (at, user_id, entity, entity_id, paragraph_id, action, before_value, after_value)" +
	" SELECT CAST(? AS timestamptz), CAST(? AS bigint), 'annotation', w.id, w.paragraph_id, 'import', NULL, input.after FROM w JOIN input ON input.paragraph_id = w.paragraph_id AND input.user_id = w.user_id"

// insertImportedPostgres is insertImported on PostgreSQL.
func (s *Store) insertImportedPostgres(tx *gorm.DB, by int64, now time.Time, schemaVersion int, as []importedAnnotation, after *afterValues) error {
	q := s.rebound(importedPostgres)
	for start := 0; start < len(as); start += importChunkPostgres {
		chunk := as[start:min(start+importChunkPostgres, len(as))]
		n := len(chunk)
		paragraphs, users := make([]int64, n), make([]int64, n)
		labels, afters := make([]string, n), make([]string, n)
		ats := make([]time.Time, n)
		for i := range chunk {
			a := &chunk[i]
			paragraphs[i], users[i], labels[i], ats[i], afters[i] = a.paragraphID, a.userID, a.labels.json, a.at, after.of(a)
		}
		// The arrays go to the driver as they are: GORM would spread a
		// slice into a list of placeholders.
		res, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, q, paragraphs, users, labels, ats, afters, schemaVersion, now, by)
		if err != nil {
			return err
		}
		if got, err := res.RowsAffected(); err != nil {
			return err
		} else if got != int64(n) {
			return fmt.Errorf("annotate: the import's insert of %d annotations wrote %d history rows", n, got)
		}
	}
	return nil
}

// annotationsSQLite inserts n imported annotations (insertedIDs tells
// their ids). Each row binds what differs from row to row — its paragraph,
// user, labels and time, the time once for both columns — with numbered
// parameters: binding is most of the statement's cost in Go.
func annotationsSQLite(n, schemaVersion int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO annotations (paragraph_id, user_id, labels, version, schema_version, created_at, updated_at) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		p := 4 * i
		fmt.Fprintf(&b, "(?%d, ?%d, ?%d, 1, %d, ?%d, ?%d)", p+1, p+2, p+3, schemaVersion, p+4, p+4)
	}
	return b.String()
}

// historySQLite inserts the history rows of n imported annotations: the
// time and the importing user (?1, ?2) are bound once for all of them.
func historySQLite(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO history (at, user_id, entity, entity_id, paragraph_id, action, before_value, after_value) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		p := 2 + 3*i
		fmt.Fprintf(&b, "(?1, ?2, 'annotation', ?%d, ?%d, 'import', NULL, ?%d)", p+1, p+2, p+3)
	}
	return b.String()
}

// afterValues writes the history's after value of imported annotations,
// {"annotator", "labels", "origin"}, byte for byte as toJSON writes it,
// from parts each encoded once: an annotator's name and a document's origin
// come again on many rows, and the labels value is encoded already.
type afterValues map[string]string

func (v afterValues) of(a *importedAnnotation) string {
	return `{"annotator":` + v.text(a.annotator) + `,"labels":` + a.labels.json + `,"origin":` + v.text(a.origin) + `}`
}

// text returns s as a JSON string.
func (v afterValues) text(s string) string {
	if t, ok := v[s]; ok {
		return t
	}
	b, _ := json.Marshal(s)
	v[s] = string(b)
	return string(b)
}

// labelValues checks each distinct labels value of a batch against the
// schema once and encodes it once: the paragraphs of an import share few
// distinct values among their many labels.
type labelValues struct {
	sc  *Schema
	m   map[string]*labelValue
	key []byte
}

// labelValue is one distinct labels value, canonical and encoded as the
// annotations table keeps it.
type labelValue struct {
	labels Labels
	json   string
}

func newLabelValues(sc *Schema) *labelValues {
	return &labelValues{sc: sc, m: map[string]*labelValue{}}
}

// get returns l checked and made canonical (see Schema.Canonical).
func (v *labelValues) get(l Labels) (*labelValue, error) {
	key, ok := v.keyOf(l)
	if ok {
		if lv := v.m[string(key)]; lv != nil {
			return lv, nil
		}
	}
	canon, err := v.sc.Canonical(l)
	if err != nil {
		return nil, err
	}
	enc, err := canon.Value()
	if err != nil {
		return nil, err
	}
	lv := &labelValue{labels: canon, json: enc.(string)}
	if ok {
		v.m[string(key)] = lv
	}
	return lv, nil
}

// keyOf writes l as a key that tells any two values apart: dimension by
// dimension in the schema's order, whether it is there, how many values it
// has and each value with its length. ok is false when l names a dimension
// the schema does not have (Canonical says which).
func (v *labelValues) keyOf(l Labels) (key []byte, ok bool) {
	b := v.key[:0]
	n := 0
	for i := range v.sc.Dimensions {
		vs, there := l[v.sc.Dimensions[i].Name]
		if !there {
			b = append(b, 0)
			continue
		}
		n++
		b = binary.AppendUvarint(b, uint64(len(vs))+1)
		for _, x := range vs {
			b = binary.AppendUvarint(b, uint64(len(x)))
			b = append(b, x...)
		}
	}
	v.key = b
	return b, n == len(l)
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
