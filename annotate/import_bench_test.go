package annotate_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"concord/annotate"
)

// benchParagraphs is the number of paragraphs of each generated document.
const benchParagraphs = 10

// benchDocs returns the number of documents the import benchmarks use:
// CONCORD_BENCH_DOCS, or 100,000 (a million paragraphs).
func benchDocs(b *testing.B) int {
	n := 100000
	if v := os.Getenv("CONCORD_BENCH_DOCS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("CONCORD_BENCH_DOCS=%q is not a positive number", v)
		}
	}
	return n
}

var benchVocabulary = strings.Fields(`the police said officials security threat iran
united states city department federal agencies monitoring events strike commander
retaliation community network synagogues institutions notice leaders vigilant report
intelligence communications attack planning statement credible resources locations
caution spokeswoman prosecutors trained deployed organization terrorist sentenced
prison november lebanese group backed foreign airport baghdad pentagon president
tensions conflict overseas interests americans abroad africa america yemen lebanon
presence visible plans immediate boost light top commander watchful eye adjust
appropriate warrants concern proxies targeted sources first step various joint task
forces local check hezbollah sympathetic communities individuals investigated second
look death mourning days public supreme leader appointed deputy role worshippers
streets friday condemned killing chanting capital`)

var (
	benchOnce   sync.Once
	benchCorpus []annotate.Source
)

// corpus generates n documents of benchParagraphs paragraphs of about 40
// words each, the same every time.
func corpus(n int) []annotate.Source {
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 2))
		benchCorpus = make([]annotate.Source, n)
		var b strings.Builder
		for i := range benchCorpus {
			b.Reset()
			fmt.Fprintf(&b, "Generated article %d\n\n", i)
			for p := 0; p < benchParagraphs; p++ {
				words := 35 + r.IntN(11)
				for w := 0; w < words; w++ {
					if w > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(benchVocabulary[r.IntN(len(benchVocabulary))])
				}
				b.WriteString(".\n\n")
			}
			key := fmt.Sprintf("doc-%06d", i)
			benchCorpus[i] = annotate.Source{Key: key, Origin: key, Source: "bench", Text: []byte(b.String())}
		}
	})
	return benchCorpus[:n]
}

// BenchmarkImport imports the generated corpus into a fresh database, one
// transaction per document through ImportDocuments. Like every benchmark
// here it opens SQLite files whatever CONCORD_TEST_POSTGRES says: its
// yardstick, BenchmarkRawInsert, and the README's figures are SQLite's.
func BenchmarkImport(b *testing.B) {
	docs := corpus(benchDocs(b))
	ctx := context.Background()
	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := annotate.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		rep, err := s.ImportDocuments(ctx, 0, docs)
		elapsed += time.Since(start)
		b.StopTimer()
		if err != nil || rep.Created != len(docs) {
			b.Fatalf("import: %v, created %d of %d", err, rep.Created, len(docs))
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(docs)*benchParagraphs*b.N)/elapsed.Seconds(), "paragraphs/s")
}

// BenchmarkImportOneByOne imports the generated corpus one ImportDocument
// call (and one transaction) at a time.
func BenchmarkImportOneByOne(b *testing.B) {
	docs := corpus(benchDocs(b))
	ctx := context.Background()
	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := annotate.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for _, d := range docs {
			if _, err := s.ImportDocument(ctx, 0, d); err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(start)
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(docs)*benchParagraphs*b.N)/elapsed.Seconds(), "paragraphs/s")
}

// BenchmarkRawInsert writes the same documents, revisions and paragraphs
// into the same tables and indexes with plain prepared statements in large
// transactions: the floor that ImportDocuments is measured against.
func BenchmarkRawInsert(b *testing.B) {
	docs := corpus(benchDocs(b))
	ctx := context.Background()
	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "raw.db")
		s, err := annotate.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
		db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		b.StartTimer()
		start := time.Now()
		if err := rawInsert(ctx, db, docs); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(docs)*benchParagraphs*b.N)/elapsed.Seconds(), "paragraphs/s")
}

func rawInsert(ctx context.Context, db *sql.DB, docs []annotate.Source) error {
	const perTx = 1000
	now := time.Now().UTC()
	for start := 0; start < len(docs); start += perTx {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		insDoc, err := tx.Prepare("INSERT INTO documents (doc_key, title, source, url, meta, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)")
		if err != nil {
			return err
		}
		insRev, err := tx.Prepare("INSERT INTO revisions (document_id, number, content_hash, origin, created_at) VALUES (?, 1, ?, ?, ?)")
		if err != nil {
			return err
		}
		insPara, err := tx.Prepare("INSERT INTO paragraphs (document_id, revision_id, is_current, position, start_offset, end_offset, text, hash) VALUES (?, ?, 1, ?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		for _, d := range docs[start:min(start+perTx, len(docs))] {
			title, blocks := annotate.Split(d.Text)
			res, err := insDoc.Exec(d.Key, title, d.Source, "", nil, now, now)
			if err != nil {
				return err
			}
			docID, _ := res.LastInsertId()
			res, err = insRev.Exec(docID, annotate.HashText(string(d.Text)), d.Origin, now)
			if err != nil {
				return err
			}
			revID, _ := res.LastInsertId()
			for _, p := range blocks {
				if _, err := insPara.Exec(docID, revID, p.Position, p.Start, p.End, p.Text, p.Hash); err != nil {
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
