package annotate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// queueCorpus builds a store of docs documents of 10 paragraphs where three
// annotators labelled the first 30% of the paragraphs in reading order, as
// a team does, the third disagreeing with the other two on one paragraph
// in seven, and returns it with a fourth annotator who labelled nothing.
// Every third paragraph has a margin, as suggestions leave it.
func queueCorpus(b *testing.B, docs int) (*annotate.Store, int64) {
	ctx := context.Background()
	s, err := annotate.Open(ctx, filepath.Join(b.TempDir(), "queue.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	annotatetest.ApplyDefaultSchema(b, s)
	batch := make([]annotate.Source, 0, 500)
	for d := range docs {
		var text strings.Builder
		fmt.Fprintf(&text, "Document %d\n\n", d)
		for p := range 10 {
			fmt.Fprintf(&text, "Paragraph %d of document %d.\n\n", p, d)
		}
		batch = append(batch, annotate.Source{Key: fmt.Sprintf("d%07d.txt", d), Text: []byte(text.String())})
		if len(batch) == cap(batch) || d == docs-1 {
			if _, err := s.ImportDocuments(ctx, 0, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	var users []int64
	for i := range 4 {
		u, err := s.CreateUser(ctx, 0, fmt.Sprintf("u%d", i), annotate.RoleAnnotator, "")
		if err != nil {
			b.Fatal(err)
		}
		users = append(users, u.ID)
	}
	db := s.GormForTest()
	limit := docs * 10 * 3 / 10
	for i, u := range users[:3] {
		other := "agree"
		if i == 2 {
			other = "discuss"
		}
		err := db.Exec(`INSERT INTO annotations (paragraph_id, user_id, labels, version, schema_version, created_at, updated_at)
SELECT id, ?, CASE WHEN id % 7 = 0 THEN '{"stance":["`+other+`"],"topic":["strike"]}' ELSE '{"stance":["agree"],"topic":["strike"]}' END, 1, 1, ?, ? FROM paragraphs WHERE is_current = ? ORDER BY document_id, position LIMIT ?`, u, time.Now(), time.Now(), true, limit).Error
		if err != nil {
			b.Fatal(err)
		}
	}
	// The state PutSuggestions leaves (see setParagraphMargins), written
	// directly: a million suggestions through the API is another
	// benchmark's work.
	if err := db.Exec("UPDATE paragraphs SET queue_margin = (id * 7919 % 1000) / 1000.0 WHERE id % 3 = 0").Error; err != nil {
		b.Fatal(err)
	}
	return s, users[3]
}

// BenchmarkQueueAtSize builds a small corpus (S: 1,000 documents, 10,000
// paragraphs) and a large one (L: CONCORD_BENCH_QUEUE_DOCS, 100,000
// documents by default, a million paragraphs), three annotators on the
// first 30% of each, and times a fourth annotator's queue read (the next 10
// paragraphs, with their leases) and remaining count on both, in
// alternating rounds, reporting L's time over S's, in each queue order:
// reading and uncertain at the default overlap of 2, disagreement at 4,
// where the fourth annotator is sent the disputed paragraphs first (the
// disputes are ranked once before the timing starts, as the adjudication
// page or an earlier request would have).
func BenchmarkQueueAtSize(b *testing.B) {
	large := 100000
	if v := benchEnvInt(b, "CONCORD_BENCH_QUEUE_DOCS"); v > 0 {
		large = v
	}
	small, su := queueCorpus(b, 1000)
	big, bu := queueCorpus(b, large)
	ctx := context.Background()
	run := func(s *annotate.Store, u int64) time.Duration {
		start := time.Now()
		ps, err := s.Queue(ctx, u, annotate.QueueOptions{Limit: 10})
		if err != nil || len(ps) != 10 {
			b.Fatalf("queue: %v, %d paragraphs", err, len(ps))
		}
		if _, err := s.Remaining(ctx, u); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	for _, order := range annotate.QueueOrders {
		b.Run("order="+order, func(b *testing.B) {
			overlap := 2
			if order == string(annotate.QueueDisagreement) {
				overlap = 4
			}
			for _, s := range []*annotate.Store{small, big} {
				if err := s.SetQueueOrder(ctx, 0, order); err != nil {
					b.Fatal(err)
				}
				if err := s.SetOverlap(ctx, 0, overlap); err != nil {
					b.Fatal(err)
				}
			}
			run(small, su)
			run(big, bu)
			var ts, tl time.Duration
			b.ResetTimer()
			for range b.N {
				ts += run(small, su)
				tl += run(big, bu)
			}
			b.ReportMetric(float64(ts.Microseconds())/float64(b.N)/1000, "S-ms")
			b.ReportMetric(float64(tl.Microseconds())/float64(b.N)/1000, "L-ms")
			b.ReportMetric(float64(tl)/float64(ts), "L/S")
		})
	}
}

// benchEnvInt reads a positive number from the environment variable name,
// or returns 0 when it is unset.
func benchEnvInt(b *testing.B, name string) int {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}
