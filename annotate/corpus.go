package annotate

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// DefaultMaxFileSize is the largest file an import reads unless told
// otherwise: 32 MiB, far above any article and far below a mistake.
const DefaultMaxFileSize = 32 << 20

// Source is one document to import: its identity, its metadata and its raw
// text. Origin says where it came from, for messages.
type Source struct {
	Key         string
	Title       string
	Source      string
	URL         string
	PublishedAt *time.Time
	Meta        JSON
	Text        []byte
	Origin      string
	// Markdown strips heading marks from the title.
	Markdown bool
}

// Import statuses of one document.
const (
	ImportCreated   = "created"
	ImportRevised   = "revised"
	ImportUnchanged = "unchanged"
	ImportFailed    = "failed"
)

// ImportResult is what happened to one document (or one bad file or line).
type ImportResult struct {
	Origin      string `json:"origin"`
	Key         string `json:"key,omitempty"`
	DocumentID  int64  `json:"document_id,omitempty"`
	Status      string `json:"status"`
	Revision    int    `json:"revision,omitempty"`
	Paragraphs  int    `json:"paragraphs,omitempty"`
	CarriedOver int    `json:"carried_over,omitempty"`
	LeftOnOld   int    `json:"left_on_old_revision,omitempty"`
	Suggestions int    `json:"suggestions,omitempty"`
	Error       string `json:"error,omitempty"`
}

// ImportReport sums up an import.
type ImportReport struct {
	Results   []ImportResult `json:"results"`
	Created   int            `json:"created"`
	Revised   int            `json:"revised"`
	Unchanged int            `json:"unchanged"`
	Failed    int            `json:"failed"`
}

func (r *ImportReport) add(res ImportResult) {
	r.Results = append(r.Results, res)
	switch res.Status {
	case ImportCreated:
		r.Created++
	case ImportRevised:
		r.Revised++
	case ImportUnchanged:
		r.Unchanged++
	case ImportFailed:
		r.Failed++
	}
}

// Err returns an error naming the number of failures, or nil.
func (r *ImportReport) Err() error {
	if r.Failed == 0 {
		return nil
	}
	return Errorf(EINVALID, "%d of %d documents or files could not be imported", r.Failed, len(r.Results))
}

// ImportOptions tunes an import.
type ImportOptions struct {
	// By is the user the history names; 0 is Concord itself.
	By int64
	// MaxFileSize is the largest file read, in bytes; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Progress, when set, is called after each file with the number of files
	// done and the total.
	Progress func(done, total int)
}

func (o ImportOptions) maxSize() int64 {
	if o.MaxFileSize > 0 {
		return o.MaxFileSize
	}
	return DefaultMaxFileSize
}

// importable reports whether Import reads files with this name.
func importable(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".md", ".jsonl":
		return true
	}
	return false
}

// ImportPaths imports files and folders (recursively) of .txt, .md and .jsonl
// files. A file that cannot be read is reported with its path and the reason,
// and the import goes on with the rest; check the report's Err.
func (s *Store) ImportPaths(ctx context.Context, paths []string, opt ImportOptions) (*ImportReport, error) {
	rep := &ImportReport{}
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			rep.add(ImportResult{Origin: p, Status: ImportFailed, Error: "cannot read: " + pathErr(err)})
			continue
		}
		if !info.IsDir() {
			if !importable(p) {
				rep.add(ImportResult{Origin: p, Status: ImportFailed, Error: "not a .txt, .md or .jsonl file"})
				continue
			}
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				rep.add(ImportResult{Origin: fp, Status: ImportFailed, Error: "cannot read: " + pathErr(err)})
				return nil
			}
			if d.IsDir() && fp != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && importable(d.Name()) {
				files = append(files, fp)
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
	}
	return rep, s.importFiles(ctx, rep, files, opt, func(name string) ([]byte, error) {
		return readLimited(name, opt.maxSize())
	})
}

// ImportFS imports every .txt, .md and .jsonl file of fsys, such as the seed
// corpus embedded in the binary.
func (s *Store) ImportFS(ctx context.Context, fsys fs.FS, opt ImportOptions) (*ImportReport, error) {
	rep := &ImportReport{}
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && importable(p) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	return rep, s.importFiles(ctx, rep, files, opt, func(name string) ([]byte, error) {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readAllLimited(f, opt.maxSize())
	})
}

func (s *Store) importFiles(ctx context.Context, rep *ImportReport, files []string, opt ImportOptions, read func(string) ([]byte, error)) error {
	sort.Strings(files)
	for i, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := read(name)
		if err != nil {
			rep.add(ImportResult{Origin: name, Status: ImportFailed, Error: pathErr(err)})
		} else if strings.EqualFold(path.Ext(name), ".jsonl") {
			if err := s.importJSONL(ctx, rep, name, data, opt.By); err != nil {
				return err
			}
		} else {
			src := Source{Key: path.Base(filepath.ToSlash(name)), Source: name, Origin: name, Text: data, Markdown: strings.EqualFold(path.Ext(name), ".md")}
			res, err := s.ImportDocument(ctx, opt.By, src)
			if err != nil && !isDomain(err) {
				return err
			}
			rep.add(res)
		}
		if opt.Progress != nil {
			opt.Progress(i+1, len(files))
		}
	}
	return nil
}

func isDomain(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// pathErr words a file error without repeating the path.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func readLimited(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllLimited(f, max)
}

func readAllLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("file is larger than the limit of %d bytes; raise --max-file-size or split the file", max)
	}
	return data, nil
}

// jsonlDoc is one line of a document JSONL file.
type jsonlDoc struct {
	ID          json.RawMessage `json:"id"`
	Title       string          `json:"title"`
	Text        *string         `json:"text"`
	Source      string          `json:"source"`
	URL         string          `json:"url"`
	PublishedAt string          `json:"published_at"`
	Meta        json.RawMessage `json:"meta"`
}

func (s *Store) importJSONL(ctx context.Context, rep *ImportReport, name string, data []byte, by int64) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	line := 0
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		origin := fmt.Sprintf("%s:%d", name, line)
		src, err := parseJSONLDoc(raw, name)
		if err != nil {
			rep.add(ImportResult{Origin: origin, Status: ImportFailed, Error: err.Error()})
			continue
		}
		src.Origin = origin
		res, err := s.ImportDocument(ctx, by, src)
		if err != nil && !isDomain(err) {
			return err
		}
		rep.add(res)
	}
	return sc.Err()
}

func parseJSONLDoc(raw []byte, name string) (Source, error) {
	if !utf8.Valid(raw) {
		return Source{}, errors.New("line is not valid UTF-8")
	}
	var d jsonlDoc
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		return Source{}, fmt.Errorf("bad JSON: %v", err)
	}
	if d.Text == nil {
		return Source{}, errors.New(`missing "text": each line needs at least {"text": "..."}`)
	}
	src := Source{Title: Normalize(d.Title), Source: d.Source, URL: d.URL, Text: []byte(*d.Text)}
	if src.Source == "" {
		src.Source = name
	}
	if len(d.ID) > 0 && string(d.ID) != "null" {
		var id any
		if err := json.Unmarshal(d.ID, &id); err != nil {
			return Source{}, fmt.Errorf("bad id: %v", err)
		}
		switch v := id.(type) {
		case string:
			src.Key = v
		case float64:
			src.Key = strings.TrimSpace(string(d.ID))
		default:
			return Source{}, errors.New(`"id" must be a string or a number`)
		}
	}
	if src.Key == "" {
		sum := sha256.Sum256([]byte(*d.Text))
		src.Key = "sha256:" + hex.EncodeToString(sum[:12])
	}
	if d.PublishedAt != "" {
		t, err := parseTime(d.PublishedAt)
		if err != nil {
			return Source{}, fmt.Errorf(`"published_at" %q is not a date; use 2006-01-02 or RFC 3339`, d.PublishedAt)
		}
		src.PublishedAt = &t
	}
	if len(d.Meta) > 0 && string(d.Meta) != "null" {
		var compact bytes.Buffer
		if err := json.Compact(&compact, d.Meta); err != nil {
			return Source{}, fmt.Errorf("bad meta: %v", err)
		}
		src.Meta = JSON(compact.String())
	}
	return src, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("bad time")
}

// contentHash identifies a source's content: the text and every field that
// would change what is stored.
func contentHash(src Source) string {
	h := sha256.New()
	for _, part := range []string{src.Title, src.Source, src.URL, string(src.Meta)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	if src.PublishedAt != nil {
		h.Write([]byte(src.PublishedAt.Format(time.RFC3339)))
	}
	h.Write([]byte{0})
	h.Write(src.Text)
	return hex.EncodeToString(h.Sum(nil))
}

// ImportDocument imports one document in one transaction. Importing the same
// content again changes nothing. New content for a known key becomes a new
// revision: labels on paragraphs whose text is unchanged are carried over to
// the new paragraphs, and labels on changed or removed paragraphs stay in the
// database with the old revision's paragraphs. The result is always filled
// in; the error is an *Error for a bad document.
func (s *Store) ImportDocument(ctx context.Context, by int64, src Source) (ImportResult, error) {
	res := ImportResult{Origin: src.Origin, Key: src.Key}
	fail := func(err error) (ImportResult, error) {
		res.Status = ImportFailed
		res.Error = ErrorMessage(err)
		if !isDomain(err) {
			res.Error = err.Error()
		}
		return res, err
	}
	if src.Key == "" {
		return fail(Invalidf("key", "document has no key"))
	}
	if !utf8.Valid(src.Text) {
		off := 0
		for off < len(src.Text) {
			r, size := utf8.DecodeRune(src.Text[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		return fail(Invalidf("text", "not valid UTF-8 (first bad byte at offset %d); convert the file to UTF-8, e.g. with iconv", off))
	}
	var blocks []Block
	title := src.Title
	if title != "" {
		blocks = SplitBody(src.Text)
	} else {
		title, blocks = Split(src.Text)
	}
	if src.Markdown {
		title = strings.TrimSpace(strings.TrimLeft(title, "#"))
	}
	if len(blocks) == 0 {
		if title == "" {
			return fail(Invalidf("text", "the document is empty"))
		}
		return fail(Invalidf("text", "the document has a title but no paragraphs"))
	}
	hash := contentHash(src)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var doc Document
		if err := tx.Where("doc_key = ?", src.Key).Limit(1).Find(&doc).Error; err != nil {
			return err
		}
		var prev Revision
		if doc.ID != 0 {
			if err := tx.Where("document_id = ? AND number = ?", doc.ID, doc.Revision).First(&prev).Error; err != nil {
				return err
			}
			if prev.ContentHash == hash {
				res.Status = ImportUnchanged
				res.DocumentID = doc.ID
				res.Revision = doc.Revision
				return nil
			}
		}
		doc.Key, doc.Title, doc.Source, doc.URL = src.Key, title, src.Source, src.URL
		doc.PublishedAt, doc.Meta = src.PublishedAt, src.Meta
		doc.Revision++
		if err := tx.Save(&doc).Error; err != nil {
			return err
		}
		rev := Revision{DocumentID: doc.ID, Number: doc.Revision, ContentHash: hash, Origin: src.Origin}
		if err := tx.Create(&rev).Error; err != nil {
			return err
		}
		var old []Paragraph
		if prev.ID != 0 {
			if err := tx.Where("document_id = ? AND is_current = ?", doc.ID, true).Order("position").Find(&old).Error; err != nil {
				return err
			}
			if err := tx.Model(&Paragraph{}).Where("document_id = ? AND is_current = ?", doc.ID, true).Update("is_current", false).Error; err != nil {
				return err
			}
		}
		paras := make([]Paragraph, len(blocks))
		for i, b := range blocks {
			paras[i] = Paragraph{DocumentID: doc.ID, RevisionID: rev.ID, Current: true, Position: b.Position, Start: b.Start, End: b.End, Text: b.Text, Hash: b.Hash}
		}
		if err := tx.CreateInBatches(paras, 200).Error; err != nil {
			return err
		}
		carried, left, err := s.carryOver(tx, by, old, paras)
		if err != nil {
			return err
		}
		n, err := s.suggest(tx, doc.ID, paras)
		if err != nil {
			return err
		}
		action := ImportCreated
		if prev.ID != 0 {
			action = ImportRevised
		}
		if err := s.record(tx, Change{UserID: by, Entity: "document", EntityID: doc.ID, Action: "import-" + action, After: toJSON(map[string]any{"revision": rev.Number, "origin": src.Origin, "paragraphs": len(paras), "carried_over": carried, "left_on_old_revision": left})}); err != nil {
			return err
		}
		res.Status, res.DocumentID, res.Revision = action, doc.ID, rev.Number
		res.Paragraphs, res.CarriedOver, res.LeftOnOld, res.Suggestions = len(paras), carried, left, n
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return res, nil
}

// carryOver copies the labels, gold labels and curation flags of old
// paragraphs to the new paragraphs with the same text, pairing equal texts in
// order. It returns how many annotations were carried and how many stay with
// old paragraphs that have no successor.
func (s *Store) carryOver(tx *gorm.DB, by int64, old, paras []Paragraph) (carried, left int, err error) {
	if len(old) == 0 {
		return 0, 0, nil
	}
	oldIDs := make([]int64, len(old))
	for i, p := range old {
		oldIDs[i] = p.ID
	}
	var anns []Annotation
	if err := tx.Where("paragraph_id IN ?", oldIDs).Find(&anns).Error; err != nil {
		return 0, 0, err
	}
	var golds []Gold
	if err := tx.Where("paragraph_id IN ?", oldIDs).Find(&golds).Error; err != nil {
		return 0, 0, err
	}
	var curs []Curation
	if err := tx.Where("paragraph_id IN ? AND status <> ?", oldIDs, StatusSuggested).Find(&curs).Error; err != nil {
		return 0, 0, err
	}
	// successor maps an old paragraph to the new one with the same text.
	byHash := map[string][]int64{}
	for _, p := range paras {
		byHash[p.Hash] = append(byHash[p.Hash], p.ID)
	}
	successor := map[int64]int64{}
	for _, p := range old {
		if ids := byHash[p.Hash]; len(ids) > 0 {
			successor[p.ID] = ids[0]
			byHash[p.Hash] = ids[1:]
		}
	}
	now := s.now()
	for _, a := range anns {
		to, ok := successor[a.ParagraphID]
		if !ok {
			left++
			continue
		}
		from := a.ParagraphID
		a.ID, a.ParagraphID, a.UpdatedAt = 0, to, now
		if err := tx.Create(&a).Error; err != nil {
			return 0, 0, err
		}
		if err := s.record(tx, Change{At: now, UserID: by, Entity: "annotation", EntityID: a.ID, ParagraphID: to, Action: "carry-over", Before: toJSON(map[string]any{"paragraph_id": from}), After: toJSON(a.Labels)}); err != nil {
			return 0, 0, err
		}
		carried++
	}
	for _, g := range golds {
		if to, ok := successor[g.ParagraphID]; ok {
			g.ID, g.ParagraphID = 0, to
			if err := tx.Create(&g).Error; err != nil {
				return 0, 0, err
			}
		}
	}
	for _, c := range curs {
		if to, ok := successor[c.ParagraphID]; ok {
			c.ID, c.ParagraphID = 0, to
			if err := tx.Create(&c).Error; err != nil {
				return 0, 0, err
			}
		}
	}
	return carried, left, nil
}

// suggest adds curation suggestions for new paragraphs: likely boilerplate,
// and exact duplicates of a current paragraph elsewhere in the corpus (or
// earlier in the same document). It does not touch a flag a person decided.
func (s *Store) suggest(tx *gorm.DB, docID int64, paras []Paragraph) (int, error) {
	hashes := make([]string, 0, len(paras))
	newIDs := map[int64]bool{}
	for _, p := range paras {
		hashes = append(hashes, p.Hash)
		newIDs[p.ID] = true
	}
	type hit struct {
		ID   int64
		Hash string
	}
	first := map[string]int64{}
	for start := 0; start < len(hashes); start += 500 {
		end := min(start+500, len(hashes))
		var hits []hit
		if err := tx.Model(&Paragraph{}).Select("id, hash").Where("is_current = ? AND hash IN ? AND document_id <> ?", true, hashes[start:end], docID).Order("id").Find(&hits).Error; err != nil {
			return 0, err
		}
		for _, h := range hits {
			if _, ok := first[h.Hash]; !ok {
				first[h.Hash] = h.ID
			}
		}
	}
	var curs []Curation
	now := s.now()
	for _, p := range paras {
		if reason := BoilerplateReason(p.Text); reason != "" {
			curs = append(curs, Curation{ParagraphID: p.ID, Kind: CurationBoilerplate, Status: StatusSuggested, Reason: reason, CreatedAt: now})
		}
		if orig, ok := first[p.Hash]; ok && orig != p.ID {
			o := orig
			curs = append(curs, Curation{ParagraphID: p.ID, Kind: CurationDuplicate, Status: StatusSuggested, Reason: fmt.Sprintf("same text as paragraph %d", orig), DuplicateOf: &o, CreatedAt: now})
		} else if !ok {
			first[p.Hash] = p.ID
		}
	}
	if len(curs) == 0 {
		return 0, nil
	}
	// A carried-over decision already holds the (paragraph, kind) slot.
	var taken []Curation
	ids := make([]int64, 0, len(paras))
	for id := range newIDs {
		ids = append(ids, id)
	}
	if err := tx.Select("paragraph_id, kind").Where("paragraph_id IN ?", ids).Find(&taken).Error; err != nil {
		return 0, err
	}
	isTaken := map[string]bool{}
	for _, t := range taken {
		isTaken[fmt.Sprint(t.ParagraphID, t.Kind)] = true
	}
	keep := curs[:0]
	for _, c := range curs {
		if !isTaken[fmt.Sprint(c.ParagraphID, c.Kind)] {
			keep = append(keep, c)
		}
	}
	if len(keep) == 0 {
		return 0, nil
	}
	return len(keep), tx.CreateInBatches(keep, 200).Error
}
