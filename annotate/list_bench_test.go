package annotate_test

import (
	"context"
	"fmt"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// BenchmarkCurationPageAtSize reads a page of 100 suggested flags out of
// about 40,000 (one duplicate per document, as an import of news pages
// with the same footer suggests them), at the start and near the end of
// the list: a page costs the same wherever its cursor is.
func BenchmarkCurationPageAtSize(b *testing.B) {
	s := annotatetest.WithSchema(b)
	ctx := context.Background()
	const docs = 40_000
	for from := 0; from < docs; from += 2000 {
		batch := make([]annotate.Source, 2000)
		for i := range batch {
			k := from + i
			batch[i] = annotate.Source{Key: fmt.Sprintf("news-%05d.txt", k), Text: []byte(fmt.Sprintf("News %d\n\nStory number %d happened today.\n\nSubscribe to our newsletter for more stories like this one.", k, k))}
		}
		if rep, err := s.ImportDocuments(ctx, 0, batch); err != nil || rep.Err() != nil {
			b.Fatalf("import: %v %v", err, rep.Err())
		}
	}
	first, err := s.Curations(ctx, annotate.CurationFilter{Status: annotate.StatusSuggested})
	if err != nil || len(first.Curations) != annotate.DefaultCurationLimit {
		b.Fatalf("first page: %v", err)
	}
	var deep int64
	for next := first.Next; next != 0; {
		p, err := s.Curations(ctx, annotate.CurationFilter{Status: annotate.StatusSuggested, Limit: annotate.MaxCurationLimit, After: next})
		if err != nil {
			b.Fatal(err)
		}
		if p.Next != 0 {
			deep = next
		}
		next = p.Next
	}
	for _, bc := range []struct {
		name  string
		after int64
	}{{"first", 0}, {"last", deep}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := s.Curations(ctx, annotate.CurationFilter{Status: annotate.StatusSuggested, After: bc.after})
				if err != nil || len(p.Curations) == 0 {
					b.Fatalf("page: %v", err)
				}
			}
		})
	}
}
