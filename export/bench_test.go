package export_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"github.com/xuri/excelize/v2"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/export"
	"concord/seeds"
)

// benchParagraphs is the corpus size of the benchmarks: 1,000,000
// paragraphs unless CONCORD_BENCH_PARAGRAPHS says otherwise.
func benchParagraphs() int {
	if v, err := strconv.Atoi(os.Getenv("CONCORD_BENCH_PARAGRAPHS")); err == nil && v > 0 {
		return v
	}
	return 1000000
}

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// benchDB returns a database of benchParagraphs paragraphs in documents of
// ten, each labelled by three annotators, filled with plain SQL in large
// transactions. It is built once per run.
func benchDB(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "concord-export-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchPath = filepath.Join(dir, "bench.db")
		benchErr = fillBenchDB(benchPath, benchParagraphs())
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// fillBenchDB writes the corpus with plain SQLite SQL in large
// transactions, as a million paragraphs through the store would take far
// longer, so the benchmarks' database is an SQLite file whatever
// CONCORD_TEST_POSTGRES says.
func fillBenchDB(path string, n int) error {
	ctx := context.Background()
	st, err := annotate.Open(ctx, path)
	if err != nil {
		return err
	}
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		return err
	}
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		return err
	}
	if _, err := st.ApplySchema(ctx, 0, sc, nil); err != nil {
		return err
	}
	for _, name := range []string{"alice", "bob", "carol"} {
		if _, err := st.CreateUser(ctx, 0, name, annotate.RoleAnnotator, ""); err != nil {
			return err
		}
	}
	st.Close()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF")
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	topics := []string{`["strike"]`, `["homeland-security","terrorism"]`, `["intelligence"]`}
	const perDoc = 10
	for start := 0; start < n; start += 100000 {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		insDoc, _ := tx.Prepare(`INSERT INTO documents (id, doc_key, title, source, revision, created_at, updated_at) VALUES (?, ?, ?, 'bench', 1, ?, ?)`)
		insRev, _ := tx.Prepare(`INSERT INTO revisions (id, document_id, number, content_hash, origin, created_at) VALUES (?, ?, 1, 'x', 'bench', ?)`)
		insPara, _ := tx.Prepare(`INSERT INTO paragraphs (id, document_id, revision_id, is_current, position, start_offset, end_offset, text, hash) VALUES (?, ?, ?, 1, ?, 0, 0, ?, ?)`)
		insAnn, _ := tx.Prepare(`INSERT INTO annotations (paragraph_id, user_id, labels, version, schema_version, created_at, updated_at) VALUES (?, ?, ?, 1, 1, ?, ?)`)
		for i := start; i < min(start+100000, n); i++ {
			doc := i/perDoc + 1
			if i%perDoc == 0 {
				if _, err := insDoc.Exec(doc, fmt.Sprintf("doc-%07d", doc), fmt.Sprintf("Title of document %d", doc), now, now); err != nil {
					return err
				}
				if _, err := insRev.Exec(doc, doc, now); err != nil {
					return err
				}
			}
			text := fmt.Sprintf("Paragraph %d of document %d: officials said the police are monitoring the situation closely and see no credible threat at this time.", i%perDoc, doc)
			if _, err := insPara.Exec(i+1, doc, doc, i%perDoc, text, annotate.HashText(text)); err != nil {
				return err
			}
			for u := 1; u <= 3; u++ {
				st := stances[(i+u/3)%4]
				labels := `{"stance":["` + st + `"],"topic":` + topics[(i+u)%3] + `}`
				if _, err := insAnn.Exec(i+1, u, labels, now, now); err != nil {
					return err
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// withoutConsensus deletes the consensus runs stored in the benchmark's
// database, so that the export that follows computes its own, as an
// export after any write does: the benchmarks then measure each export
// with its run, whichever of them runs first.
func withoutConsensus(b *testing.B, path string) {
	b.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"consensus_items", "consensus_annotators", "consensus_runs"} {
		if _, err := db.Exec("DELETE FROM " + table); err != nil {
			b.Fatal(err)
		}
	}
}

func report(b *testing.B, rows int, stop func() uint64) {
	peak := stop()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "paragraphs/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkJSONLDataset exports the dataset shape, with its consensus run.
func BenchmarkJSONLDataset(b *testing.B) {
	path := benchDB(b)
	withoutConsensus(b, path)
	s, err := annotate.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	runtime.GC()
	b.ResetTimer()
	stop := annotatetest.PeakHeap()
	for b.Loop() {
		if _, err := export.Write(context.Background(), s, io.Discard, export.Options{Split: export.SplitOptions{Off: true}}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, benchParagraphs(), stop)
}

// BenchmarkLabelStudio exports the label-studio shape as the task list
// Label Studio uploads and as JSON Lines, each with its consensus run: the
// array is streamed the same way, so its speed and peak heap should match
// the lines'.
func BenchmarkLabelStudio(b *testing.B) {
	path := benchDB(b)
	s, err := annotate.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, format := range []export.Format{export.FormatJSON, export.FormatJSONL} {
		b.Run(string(format), func(b *testing.B) {
			withoutConsensus(b, path)
			runtime.GC()
			b.ResetTimer()
			stop := annotatetest.PeakHeap()
			for b.Loop() {
				if _, err := export.Write(context.Background(), s, io.Discard, export.Options{Format: format, Shape: export.ShapeLabelStudio, Split: export.SplitOptions{Off: true}}); err != nil {
					b.Fatal(err)
				}
			}
			report(b, benchParagraphs(), stop)
		})
	}
}

// BenchmarkRawScanJSON is the yardstick of BenchmarkJSONLDataset: one
// query over the same rows, each encoded with encoding/json.
func BenchmarkRawScanJSON(b *testing.B) {
	path := benchDB(b)
	db, err := sql.Open("sqlite3", "file:"+path+"?_query_only=1")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	type row struct {
		ID        int64           `json:"paragraph_id"`
		Document  int64           `json:"document_id"`
		Key       string          `json:"document_key"`
		Title     string          `json:"title"`
		Position  int             `json:"position"`
		Text      string          `json:"text"`
		Annotator string          `json:"annotator"`
		Labels    json.RawMessage `json:"labels"`
		Time      time.Time       `json:"time"`
	}
	runtime.GC()
	b.ResetTimer()
	stop := annotatetest.PeakHeap()
	for b.Loop() {
		rows, err := db.Query(`SELECT p.id, p.document_id, d.doc_key, d.title, p.position, p.text, u.name, a.labels, a.updated_at
FROM paragraphs p JOIN documents d ON d.id = p.document_id
LEFT JOIN annotations a ON a.paragraph_id = p.id LEFT JOIN users u ON u.id = a.user_id
WHERE p.is_current = 1 ORDER BY p.document_id, p.position`)
		if err != nil {
			b.Fatal(err)
		}
		enc := json.NewEncoder(io.Discard)
		for rows.Next() {
			var r row
			var labels string
			if err := rows.Scan(&r.ID, &r.Document, &r.Key, &r.Title, &r.Position, &r.Text, &r.Annotator, &labels, &r.Time); err != nil {
				b.Fatal(err)
			}
			r.Labels = json.RawMessage(labels)
			if err := enc.Encode(&r); err != nil {
				b.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
	}
	report(b, benchParagraphs(), stop)
}

// BenchmarkXLSX exports the Excel workbook, with its consensus run.
func BenchmarkXLSX(b *testing.B) {
	path := benchDB(b)
	withoutConsensus(b, path)
	s, err := annotate.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	runtime.GC()
	b.ResetTimer()
	stop := annotatetest.PeakHeap()
	for b.Loop() {
		if _, err := export.Write(context.Background(), s, io.Discard, export.Options{Format: export.FormatXLSX, Split: export.SplitOptions{Off: true}}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, benchParagraphs(), stop)
}

// BenchmarkRawStreamWriter is the yardstick of BenchmarkXLSX: the same
// number of cells, of the same sizes, written with excelize's StreamWriter
// alone, with no database and no formatting.
func BenchmarkRawStreamWriter(b *testing.B) {
	n := benchParagraphs()
	runtime.GC()
	b.ResetTimer()
	stop := annotatetest.PeakHeap()
	for b.Loop() {
		f := excelize.NewFile()
		_, _ = f.NewSheet("Annotations")
		paras := newRawSheet(b, f, "Sheet1")
		anns := newRawSheet(b, f, "Annotations")
		prow := make([]any, 24)
		arow := make([]any, 6)
		for i := range n {
			text := fmt.Sprintf("Paragraph %d of document %d: officials said the police are monitoring the situation closely and see no credible threat at this time.", i%10, i/10+1)
			prow[0], prow[1], prow[2], prow[3], prow[4], prow[5], prow[6], prow[7] = int64(i+1), fmt.Sprintf("doc-%07d#%d", i/10+1, i%10), fmt.Sprintf("doc-%07d", i/10+1), "Title of document", i%10, "", text, "majority"
			prow[8], prow[9], prow[10], prow[11], prow[12], prow[13] = "discuss", "strike", "", 0.6667, 1.0, 0.3333
			for a := range 3 {
				prow[14+3*a], prow[15+3*a], prow[16+3*a] = "discuss", "homeland-security, terrorism", ""
			}
			prow[23] = annotate.HashText(text)
			paras.add(b, prow)
			for a := range 3 {
				for _, dim := range []string{"stance", "topic"} {
					arow[0], arow[1], arow[2], arow[3], arow[4], arow[5] = int64(i+1), prow[1], "alice", dim, "discuss", "2026-01-02T03:04:05Z"
					anns.add(b, arow)
					_ = a
				}
			}
		}
		paras.flush(b)
		anns.flush(b)
		if _, err := f.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	report(b, n, stop)
}

type rawSheet struct {
	f    *excelize.File
	base string
	part int
	sw   *excelize.StreamWriter
	row  int
}

func newRawSheet(b *testing.B, f *excelize.File, name string) *rawSheet {
	r := &rawSheet{f: f, base: name}
	r.open(b)
	return r
}

func (r *rawSheet) open(b *testing.B) {
	r.part++
	name := r.base
	if r.part > 1 {
		name = fmt.Sprintf("%s (%d)", r.base, r.part)
		if _, err := r.f.NewSheet(name); err != nil {
			b.Fatal(err)
		}
	}
	sw, err := r.f.NewStreamWriter(name)
	if err != nil {
		b.Fatal(err)
	}
	r.sw, r.row = sw, 0
}

func (r *rawSheet) add(b *testing.B, row []any) {
	if r.row >= export.MaxExcelRows {
		r.flush(b)
		r.open(b)
	}
	r.row++
	cell, _ := excelize.CoordinatesToCellName(1, r.row)
	if err := r.sw.SetRow(cell, row); err != nil {
		b.Fatal(err)
	}
}

func (r *rawSheet) flush(b *testing.B) {
	if err := r.sw.Flush(); err != nil {
		b.Fatal(err)
	}
}
