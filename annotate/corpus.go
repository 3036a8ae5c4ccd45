package annotate

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
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
	// Split says where paragraphs end; "" is SplitBlankLines.
	Split SplitMode
	// TitleRule says which part of Text is the title when Title is empty;
	// "" is TitleFirstBlock.
	TitleRule TitleRule
	// cut names the split and title rule in the content hash when they
	// cut the text otherwise than the defaults do.
	cut string
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
	// Warning says what looks wrong with a document that was imported,
	// such as a body whose paragraphs seem to be separated by single line
	// breaks.
	Warning string `json:"warning,omitempty"`
}

// ImportReport sums up an import. Results lists what happened to each
// document, file or line, up to MaxReportResults failures and as many
// others, so that the report of a million-line file stays small; Omitted
// counts those left out (ImportOptions.Result sees every one).
type ImportReport struct {
	Results   []ImportResult `json:"results"`
	Created   int            `json:"created"`
	Revised   int            `json:"revised"`
	Unchanged int            `json:"unchanged"`
	Failed    int            `json:"failed"`
	Omitted   int            `json:"omitted,omitempty"`
	// Warnings counts the results with a warning.
	Warnings int `json:"warnings,omitempty"`
	// onResult, when set, is called with every result as it is added.
	onResult func(ImportResult)
	kept     int // results other than failures in Results
}

// MaxReportResults bounds how many failures, and how many other results,
// an ImportReport lists.
const MaxReportResults = 10000

// Total counts the documents, files and lines the report is about.
func (r *ImportReport) Total() int { return r.Created + r.Revised + r.Unchanged + r.Failed }

func (r *ImportReport) add(res ImportResult) {
	if res.Warning != "" {
		r.Warnings++
	}
	if r.onResult != nil {
		r.onResult(res)
	}
	switch {
	case res.Status == ImportFailed && r.Failed < MaxReportResults, res.Status != ImportFailed && r.kept < MaxReportResults:
		r.Results = append(r.Results, res)
		if res.Status != ImportFailed {
			r.kept++
		}
	default:
		r.Omitted++
	}
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
	return Errorf(EINVALID, "%d of %d documents or files could not be imported", r.Failed, r.Total())
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
	// Result, when set, is called with what happened to each document,
	// file or line as the import goes, including those the report leaves
	// out past MaxReportResults.
	Result func(ImportResult)
	// Split says where paragraphs end; "" is SplitBlankLines.
	Split SplitMode
	// Title says which part of a document's text is its title when it
	// gives none; "" is each format's rule: the first paragraph of a .txt
	// or .md file (TitleFirstBlock), nothing for a JSONL document
	// (TitleNone), whose title is a field of its own.
	Title TitleRule
}

// rule returns the title rule for a file of the given kind.
func (o ImportOptions) rule(jsonl bool) TitleRule {
	switch {
	case o.Title != "":
		return o.Title
	case jsonl:
		return TitleNone
	}
	return TitleFirstBlock
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
	rep := &ImportReport{onResult: opt.Result}
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
	return rep, s.importFiles(ctx, rep, files, opt, func(name string) (io.ReadCloser, error) {
		return os.Open(name)
	})
}

// ImportFS imports every .txt, .md and .jsonl file of fsys, such as the seed
// corpus embedded in the binary.
func (s *Store) ImportFS(ctx context.Context, fsys fs.FS, opt ImportOptions) (*ImportReport, error) {
	rep := &ImportReport{onResult: opt.Result}
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
	return rep, s.importFiles(ctx, rep, files, opt, func(name string) (io.ReadCloser, error) {
		return fsys.Open(name)
	})
}

// importFiles imports the named files, which open opens. A text file is
// read whole (up to the size limit) and written with others in batches; a
// JSONL file is read line by line, so that memory does not grow with its
// size: the limit applies to each line, one document.
func (s *Store) importFiles(ctx context.Context, rep *ImportReport, files []string, opt ImportOptions, open func(string) (io.ReadCloser, error)) error {
	sort.Strings(files)
	done := 0
	progress := func(n int) {
		done += n
		if opt.Progress != nil && n > 0 {
			opt.Progress(done, len(files))
		}
	}
	// Text files are gathered and written several per transaction; the
	// report keeps the order of the files.
	var pending []Source
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		r, err := s.ImportDocuments(ctx, opt.By, pending)
		for _, res := range r.Results {
			rep.add(res)
		}
		n := len(pending)
		pending = pending[:0]
		if err != nil {
			return err
		}
		progress(n)
		return nil
	}
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := open(name)
		var data []byte
		jsonl := strings.EqualFold(path.Ext(name), ".jsonl")
		if err == nil && !jsonl {
			data, err = readAllLimited(f, opt.maxSize())
			f.Close()
		}
		switch {
		case err != nil:
			if err := flush(); err != nil {
				return err
			}
			rep.add(ImportResult{Origin: name, Status: ImportFailed, Error: pathErr(err)})
			progress(1)
		case jsonl:
			if err := flush(); err != nil {
				f.Close()
				return err
			}
			err := s.importJSONL(ctx, rep, name, f, opt)
			f.Close()
			if err != nil {
				return err
			}
			progress(1)
		default:
			pending = append(pending, Source{Key: path.Base(filepath.ToSlash(name)), Source: name, Origin: name, Text: data, Markdown: strings.EqualFold(path.Ext(name), ".md"), Split: opt.Split, TitleRule: opt.rule(false)})
			if len(pending) >= importBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
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

// importJSONL imports a JSONL file of documents from r, line by line: at
// most importBatch documents are held at once, and a line longer than max
// bytes is reported and passed over without being held.
func (s *Store) importJSONL(ctx context.Context, rep *ImportReport, name string, r io.Reader, opt ImportOptions) error {
	by, max := opt.By, opt.maxSize()
	lines := newLineReader(r, max)
	line := 0
	// Lines are imported importBatch documents per transaction; a line that
	// cannot be parsed is reported in its place.
	var results []ImportResult
	var docs []Source
	var slots []int
	flush := func() error {
		r, err := s.ImportDocuments(ctx, by, docs)
		for i, res := range r.Results {
			results[slots[i]] = res
		}
		if err != nil {
			return err
		}
		for _, res := range results {
			rep.add(res)
		}
		results, docs, slots = results[:0], docs[:0], slots[:0]
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		got, tooLong, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		line++
		origin := fmt.Sprintf("%s:%d", name, line)
		if tooLong {
			results = append(results, ImportResult{Origin: origin, Status: ImportFailed, Error: fmt.Sprintf("the line is larger than the limit of %d bytes for one document; raise --max-file-size or split the document", max)})
			continue
		}
		raw := bytes.TrimSpace(got)
		if len(raw) == 0 {
			continue
		}
		src, err := parseJSONLDoc(raw, name)
		if err != nil {
			results = append(results, ImportResult{Origin: origin, Status: ImportFailed, Error: err.Error()})
			continue
		}
		src.Origin = origin
		src.Split, src.TitleRule = opt.Split, opt.rule(true)
		slots = append(slots, len(results))
		results = append(results, ImportResult{Origin: origin, Key: src.Key})
		docs = append(docs, src)
		if len(docs) >= importBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// lineReader reads lines of at most max bytes; a longer line is consumed
// without being kept.
type lineReader struct {
	r   *bufio.Reader
	max int64
	buf []byte
}

func newLineReader(r io.Reader, max int64) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64*1024), max: max}
}

// next returns the next line without its line break, whether it was too
// long (then line is nil), and io.EOF after the last line.
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		if !tooLong {
			if int64(len(l.buf)+len(chunk)) > l.max+1 {
				tooLong, l.buf = true, l.buf[:0]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(l.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return l.line(tooLong), tooLong, nil
		case err != nil:
			return nil, false, err
		}
		return l.line(tooLong), tooLong, nil
	}
}

func (l *lineReader) line(tooLong bool) []byte {
	if tooLong {
		return nil
	}
	return bytes.TrimSuffix(l.buf, []byte("\n"))
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
	if d.URL != "" {
		u, err := url.Parse(d.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Source{}, fmt.Errorf(`"url" %q must be an http:// or https:// address`, d.URL)
		}
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

// contentHash identifies a source's content: the text and the fields that
// describe the document. Source is left out: for a file it is the path it was
// read from, and the same file imported from another folder (or from the
// embedded seeds) is the same document, not a new revision.
func contentHash(src Source) string {
	h := sha256.New()
	for _, part := range []string{src.Title, src.URL, string(src.Meta)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	if src.PublishedAt != nil {
		h.Write([]byte(src.PublishedAt.Format(time.RFC3339)))
	}
	h.Write([]byte{0})
	h.Write(src.Text)
	// How the text was cut is part of the content: the same file imported
	// again with another split or title rule that cuts it otherwise is a
	// new revision. A cut the defaults would make adds nothing, so that
	// documents imported before these options keep their hash.
	if src.cut != "" {
		h.Write([]byte("\x00" + src.cut))
	}
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
	doc, err := prepare(src)
	if err != nil {
		return failed(res, err)
	}
	res.Warning = doc.warning
	err = s.tx(ctx, func(tx *gorm.DB) error {
		return s.importIn(tx, by, doc, &res)
	})
	if err != nil {
		return failed(ImportResult{Origin: src.Origin, Key: src.Key, Warning: doc.warning}, err)
	}
	return res, nil
}

// importBatch is how many documents ImportDocuments writes per transaction:
// enough to spread the cost of a commit, few enough that the write lock is
// given up often for annotators' saves (a batch of articles takes a tenth of
// a second or so to write).
const importBatch = 500

// ImportDocuments imports many documents, several per transaction, which is
// many times faster than one ImportDocument call each. Each document is still
// all or nothing: when one fails, its batch is rolled back and written again
// one document per transaction, so the bad one is reported alone and the
// others are imported. Results are in the order of docs.
// The error is for a failure that stops the whole import, such as a
// cancelled context or a database that cannot be written.
func (s *Store) ImportDocuments(ctx context.Context, by int64, docs []Source) (*ImportReport, error) {
	rep := &ImportReport{}
	for start := 0; start < len(docs); start += importBatch {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		batch := docs[start:min(start+importBatch, len(docs))]
		results := make([]ImportResult, len(batch))
		prepared := make([]*preparedDoc, len(batch))
		todo := 0
		for i, src := range batch {
			results[i] = ImportResult{Origin: src.Origin, Key: src.Key}
			d, err := prepare(src)
			if err != nil {
				results[i], _ = failed(results[i], err)
				continue
			}
			prepared[i] = d
			results[i].Warning = d.warning
			todo++
		}
		if todo > 0 {
			out := make([]ImportResult, len(results))
			copy(out, results)
			err := s.tx(ctx, func(tx *gorm.DB) error {
				return s.importBatch(tx, by, prepared, out)
			})
			if err == nil {
				copy(results, out)
			}
			if err != nil {
				if cerr := ctx.Err(); cerr != nil {
					return rep, cerr
				}
				// Something in the batch failed and the whole batch was
				// rolled back: import its documents one transaction each,
				// so that the bad one is reported and the rest go in.
				for i, d := range prepared {
					if d == nil {
						continue
					}
					res := ImportResult{Origin: d.src.Origin, Key: d.src.Key, Warning: d.warning}
					err := s.tx(ctx, func(tx *gorm.DB) error {
						return s.importIn(tx, by, d, &res)
					})
					if err != nil {
						if cerr := ctx.Err(); cerr != nil {
							return rep, cerr
						}
						res, _ = failed(ImportResult{Origin: d.src.Origin, Key: d.src.Key}, err)
					}
					results[i] = res
				}
			}
		}
		for _, r := range results {
			rep.add(r)
		}
	}
	return rep, nil
}

// importBatch writes prepared documents (nil ones are passed over) inside
// tx and fills in their results. Documents new to the database are written
// together, a few statements for the whole batch; the others (new revisions,
// unchanged ones, a key repeated in the batch) go through importIn one by one
// after them, so that they see the new ones as a lone import would.
func (s *Store) importBatch(tx *gorm.DB, by int64, docs []*preparedDoc, results []ImportResult) error {
	keys := make([]string, 0, len(docs))
	for _, d := range docs {
		if d != nil {
			keys = append(keys, d.src.Key)
		}
	}
	var known []string
	if err := tx.Model(&Document{}).Where("doc_key IN ?", keys).Pluck("doc_key", &known).Error; err != nil {
		return err
	}
	seen := make(map[string]bool, len(keys))
	for _, k := range known {
		seen[k] = true
	}
	var fresh, rest []int
	for i, d := range docs {
		switch {
		case d == nil:
		case seen[d.src.Key]:
			rest = append(rest, i)
		default:
			seen[d.src.Key] = true
			fresh = append(fresh, i)
		}
	}
	if len(fresh) > 0 {
		if err := s.importFresh(tx, by, docs, fresh, results); err != nil {
			return err
		}
	}
	for _, i := range rest {
		if err := s.importIn(tx, by, docs[i], &results[i]); err != nil {
			return err
		}
	}
	return nil
}

// importFresh writes documents whose keys are not in the database yet, each
// as its revision 1, with a handful of multi-row statements in all.
func (s *Store) importFresh(tx *gorm.DB, by int64, docs []*preparedDoc, idx []int, results []ImportResult) error {
	const rows = 100
	now := s.now()
	ds := make([]Document, len(idx))
	for j, i := range idx {
		src := docs[i].src
		ds[j] = Document{Key: src.Key, Title: docs[i].title, Source: src.Source, URL: src.URL, PublishedAt: src.PublishedAt, Meta: src.Meta, Revision: 1, CreatedAt: now, UpdatedAt: now}
	}
	if err := tx.CreateInBatches(ds, rows).Error; err != nil {
		return err
	}
	revs := make([]Revision, len(idx))
	for j, i := range idx {
		revs[j] = Revision{DocumentID: ds[j].ID, Number: 1, ContentHash: docs[i].hash, Origin: docs[i].src.Origin, CreatedAt: now}
	}
	if err := tx.CreateInBatches(revs, rows).Error; err != nil {
		return err
	}
	var paras []Paragraph
	for j, i := range idx {
		for _, b := range docs[i].blocks {
			paras = append(paras, Paragraph{DocumentID: ds[j].ID, RevisionID: revs[j].ID, Current: true, Open: true, Position: b.Position, Start: b.Start, End: b.End, Text: b.Text, Hash: b.Hash})
		}
	}
	if err := s.insertParagraphs(tx, paras); err != nil {
		return err
	}
	suggested, err := s.suggestCurations(tx, now, paras, nil)
	if err != nil {
		return err
	}
	changes := make([]Change, len(idx))
	for j, i := range idx {
		n := len(docs[i].blocks)
		changes[j] = Change{At: now, UserID: by, Entity: "document", EntityID: ds[j].ID, Action: "import-" + ImportCreated, After: toJSON(map[string]any{"revision": 1, "origin": docs[i].src.Origin, "paragraphs": n, "carried_over": 0, "left_on_old_revision": 0})}
		r := &results[i]
		r.Status, r.DocumentID, r.Revision, r.Paragraphs, r.Suggestions = ImportCreated, ds[j].ID, 1, n, suggested[ds[j].ID]
	}
	return tx.CreateInBatches(changes, rows).Error
}

// curationSlot is a paragraph's place for one kind of curation flag: a
// paragraph holds at most one flag of each kind.
type curationSlot struct {
	paragraphID int64
	kind        string
}

// suggestCurations suggests the curation flags of paragraphs just written
// as current, all at once: boilerplate, by its text, and a duplicate of the
// current paragraph with the same text that came first (the lowest id), in
// another document or earlier in its own, as suggest decides for a lone
// document. A slot in taken already holds a decision and gets no
// suggestion. It returns how many flags it suggested in each document.
func (s *Store) suggestCurations(tx *gorm.DB, now time.Time, paras []Paragraph, taken map[curationSlot]bool) (map[int64]int, error) {
	const rows = 100
	hashes := make([]string, 0, len(paras))
	inBatch := make(map[string]bool, len(paras))
	for _, p := range paras {
		if !inBatch[p.Hash] {
			inBatch[p.Hash] = true
			hashes = append(hashes, p.Hash)
		}
	}
	first := make(map[string]int64, len(hashes))
	for start := 0; start < len(hashes); start += 500 {
		type hit struct {
			Hash string
			ID   int64
		}
		var hits []hit
		if err := tx.Model(&Paragraph{}).Select("hash, min(id) AS id").Where("is_current = ? AND hash IN ?", true, hashes[start:min(start+500, len(hashes))]).Group("hash").Find(&hits).Error; err != nil {
			return nil, err
		}
		for _, h := range hits {
			first[h.Hash] = h.ID
		}
	}
	var curs []Curation
	suggested := map[int64]int{}
	for _, p := range paras {
		if reason := BoilerplateReason(p.Text); reason != "" && !taken[curationSlot{p.ID, CurationBoilerplate}] {
			curs = append(curs, Curation{ParagraphID: p.ID, Kind: CurationBoilerplate, Status: StatusSuggested, Reason: reason, CreatedAt: now})
			suggested[p.DocumentID]++
		}
		if orig := first[p.Hash]; orig != 0 && orig < p.ID && !taken[curationSlot{p.ID, CurationDuplicate}] {
			o := orig
			curs = append(curs, Curation{ParagraphID: p.ID, Kind: CurationDuplicate, Status: StatusSuggested, Reason: fmt.Sprintf("same text as paragraph %d", orig), DuplicateOf: &o, CreatedAt: now})
			suggested[p.DocumentID]++
		}
	}
	if len(curs) > 0 {
		if err := tx.CreateInBatches(curs, rows).Error; err != nil {
			return nil, err
		}
	}
	return suggested, nil
}

// insertParagraphs inserts new paragraphs, with their counts and open
// flags as given, and sets their IDs. On SQLite it runs one prepared
// single-row statement per paragraph, which SQLite executes several times
// faster than multi-row INSERT … RETURNING statements built anew for each
// batch; on PostgreSQL one statement over arrays per thousand paragraphs.
// (GORM's insert cannot write them: it writes a column's default for a
// zero value, and so an open flag of false as true.)
func (s *Store) insertParagraphs(tx *gorm.DB, paras []Paragraph) error {
	if s.dialect == "postgres" {
		return s.insertParagraphsPostgres(tx, paras)
	}
	pool, ok := tx.Statement.ConnPool.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	})
	if !ok {
		return fmt.Errorf("annotate: inserting paragraphs needs a transaction that prepares statements, not %T", tx.Statement.ConnPool)
	}
	ctx := tx.Statement.Context
	stmt, err := pool.PrepareContext(ctx, "INSERT INTO paragraphs (document_id, revision_id, is_current, position, start_offset, end_offset, text, hash, annotators, is_open) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range paras {
		p := &paras[i]
		r, err := stmt.ExecContext(ctx, p.DocumentID, p.RevisionID, p.Current, p.Position, p.Start, p.End, p.Text, p.Hash, p.Annotators, p.Open)
		if err != nil {
			return err
		}
		if p.ID, err = r.LastInsertId(); err != nil {
			return err
		}
	}
	return nil
}

// paragraphsPostgres inserts paragraphs from arrays, one row for each
// element, and returns each row's id with its place in the arrays.
const paragraphsPostgres = "INSERT INTO paragraphs (document_id, revision_id, is_current, position, start_offset, end_offset, text, hash, annotators, is_open)" +
	" SELECT d, r, c, p, s, e, t, h, n, o FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS boolean[]), CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS bigint[]), CAST(? AS boolean[])) WITH ORDINALITY AS i(d, r, c, p, s, e, t, h, n, o, ord)" +
	" ORDER BY ord RETURNING id, revision_id, position"

// insertParagraphsPostgres is insertParagraphs on PostgreSQL.
func (s *Store) insertParagraphsPostgres(tx *gorm.DB, paras []Paragraph) error {
	q := s.rebound(paragraphsPostgres)
	for start := 0; start < len(paras); start += importChunkPostgres {
		chunk := paras[start:min(start+importChunkPostgres, len(paras))]
		n := len(chunk)
		docs, revs, positions, starts, ends, counts := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		current, open := make([]bool, n), make([]bool, n)
		texts, hashes := make([]string, n), make([]string, n)
		type key struct{ rev, pos int64 }
		at := make(map[key]int, n)
		for i := range chunk {
			p := &chunk[i]
			docs[i], revs[i], current[i], positions[i], starts[i], ends[i] = p.DocumentID, p.RevisionID, p.Current, int64(p.Position), int64(p.Start), int64(p.End)
			texts[i], hashes[i], counts[i], open[i] = p.Text, p.Hash, int64(p.Annotators), p.Open
			at[key{revs[i], positions[i]}] = i
		}
		// The arrays go to the driver as they are: GORM would spread a
		// slice into a list of placeholders.
		rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, q, docs, revs, current, positions, starts, ends, texts, hashes, counts, open)
		if err != nil {
			return err
		}
		got := 0
		for rows.Next() {
			var id int64
			var k key
			if err := rows.Scan(&id, &k.rev, &k.pos); err != nil {
				rows.Close()
				return err
			}
			// A revision holds one paragraph at each position.
			i, ok := at[k]
			if !ok {
				rows.Close()
				return fmt.Errorf("annotate: the insert of paragraphs returned an unknown one (revision %d, position %d)", k.rev, k.pos)
			}
			chunk[i].ID = id
			got++
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("annotate: the insert of %d paragraphs returned %d ids", n, got)
		}
	}
	return nil
}

// failed fills in res for a document that could not be imported.
func failed(res ImportResult, err error) (ImportResult, error) {
	res.Status = ImportFailed
	res.Error = ErrorMessage(err)
	if !isDomain(err) {
		res.Error = err.Error()
	}
	return res, err
}

// preparedDoc is a source checked and split, ready to be written.
type preparedDoc struct {
	src    Source
	title  string
	blocks []Block
	hash   string
	// warning is for ImportResult.Warning.
	warning string
}

// prepare checks a source and splits it, outside any transaction.
func prepare(src Source) (*preparedDoc, error) {
	if src.Key == "" {
		return nil, Invalidf("key", "document has no key")
	}
	if err := CheckImportText("text", string(src.Text)); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, value string }{{"key", src.Key}, {"source", src.Source}, {"url", src.URL}} {
		if err := CheckText(f.name, f.value, false); err != nil {
			return nil, err
		}
	}
	if err := CheckImportText("title", src.Title); err != nil {
		return nil, err
	}
	mode := src.Split
	if mode == "" {
		mode = SplitBlankLines
	}
	rule := src.TitleRule
	if rule == "" {
		rule = TitleFirstBlock
	}
	if src.Title != "" {
		rule = TitleNone
	}
	title, blocks := SplitWith(src.Text, mode, rule)
	if len(blocks) == 0 && title != "" && rule != TitleNone {
		// A document of one paragraph (or one line) is that paragraph,
		// untitled, rather than a title with nothing to label.
		title, blocks = SplitWith(src.Text, mode, TitleNone)
	}
	if src.Title != "" {
		title = src.Title
	}
	if mode != SplitBlankLines || rule != TitleFirstBlock && src.Title == "" {
		if !sameCut(src, title, blocks) {
			src.cut = fmt.Sprintf("split=%s title=%s", mode, rule)
		}
	}
	if src.Markdown {
		title = strings.TrimSpace(strings.TrimLeft(title, "#"))
	}
	if len(blocks) == 0 {
		return nil, Invalidf("text", "the document is empty")
	}
	warning := ""
	if mode == SplitBlankLines && LooksLineSeparated(src.Text) {
		longest := 0
		for _, b := range blocks {
			longest = max(longest, utf8.RuneCountInString(b.Text))
		}
		if n := utf8.RuneCountInString(title); n > longest {
			longest = n
		}
		warning = fmt.Sprintf("the text has no blank line between its %d lines, so it became one paragraph (or title) of %d characters; if its paragraphs are separated by single line breaks, import it again with --split lines (split=lines in the import API and page)", countLines(src.Text), longest)
	} else if n := utf8.RuneCountInString(title); src.Title == "" && n > maxTitleRunes {
		warning = fmt.Sprintf("the title taken from the text is %d characters long; if the text has no title of its own, import it again with --title none or --title first-line (title=none or title=first-line in the import API and page)", n)
	}
	return &preparedDoc{src: src, title: title, blocks: blocks, hash: contentHash(src), warning: warning}, nil
}

// sameCut reports whether the default cut (blank lines, the first block as
// title unless one is given) gives src the same title and paragraphs.
func sameCut(src Source, title string, blocks []Block) bool {
	rule := TitleFirstBlock
	if src.Title != "" {
		rule = TitleNone
	}
	t, bs := SplitWith(src.Text, SplitBlankLines, rule)
	if src.Title != "" {
		t = src.Title
	}
	if t != title || len(bs) != len(blocks) {
		return false
	}
	for i := range bs {
		if bs[i].Text != blocks[i].Text {
			return false
		}
	}
	return true
}

// maxTitleRunes is the length past which a title taken from the text is
// more likely a paragraph, and the import warns.
const maxTitleRunes = 200

// countLines counts the non-blank lines of src.
func countLines(src []byte) int {
	n := 0
	for _, ln := range splitLines(src) {
		if !ln.blank {
			n++
		}
	}
	return n
}

// importIn writes one prepared document inside tx and fills in res.
func (s *Store) importIn(tx *gorm.DB, by int64, d *preparedDoc, res *ImportResult) error {
	src, title, blocks, hash := d.src, d.title, d.blocks, d.hash
	var doc Document
	if err := s.lockRow(tx, "UPDATE").Where("doc_key = ?", src.Key).Limit(1).Find(&doc).Error; err != nil {
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
		// A new revision carries labels over: hold the schema as it is
		// until they are copied, so that an apply converts the copies too
		// (see guard.go). The document's row, locked above, keeps two
		// imports of one document from making the same revision.
		if err := s.lockRow(tx, "SHARE").Model(&SchemaVersion{}).Select("id").Where("superseded_at IS NULL").Find(&[]int64{}).Error; err != nil {
			return err
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
	if prev.ID != 0 {
		// The new paragraphs came in after the old ones stopped being
		// current, and the carried labels after them.
		if err := refreshProgress(tx, []int64{doc.ID}); err != nil {
			return err
		}
		if err := s.refreshDone(tx, []int64{doc.ID}); err != nil {
			return err
		}
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
			from := g.ParagraphID
			g.ID, g.ParagraphID = 0, to
			if err := tx.Create(&g).Error; err != nil {
				return 0, 0, err
			}
			if err := s.record(tx, Change{At: now, UserID: by, Entity: "gold", EntityID: g.ID, ParagraphID: to, Action: "carry-over", Before: toJSON(map[string]any{"paragraph_id": from}), After: toJSON(map[string]any{"labels": g.Labels, "method": g.Method})}); err != nil {
				return 0, 0, err
			}
		}
	}
	for _, c := range curs {
		if to, ok := successor[c.ParagraphID]; ok {
			from := c.ParagraphID
			c.ID, c.ParagraphID = 0, to
			if err := tx.Create(&c).Error; err != nil {
				return 0, 0, err
			}
			if err := s.record(tx, Change{At: now, UserID: by, Entity: "curation", EntityID: c.ID, ParagraphID: to, Action: "carry-over", Before: toJSON(map[string]any{"paragraph_id": from}), After: toJSON(map[string]string{"kind": c.Kind, "status": c.Status})}); err != nil {
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
