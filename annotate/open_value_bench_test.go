package annotate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// BenchmarkOpenValuesMatchingAtSize looks up the type-ahead of an event
// dimension with 1,000 and with 30,000 typed values, as an annotator and
// as a reviewer, for the most typed values (the page's boot), one letter,
// a word and a search longer than a term: a lookup costs about the same
// however many values there are.
func BenchmarkOpenValuesMatchingAtSize(b *testing.B) {
	ctx := context.Background()
	words := []string{"strike", "protest", "summit", "election", "storm", "strategy", "street", "flood"}
	for _, n := range []int{1_000, 30_000} {
		s := annotatetest.WithSchema(b)
		db := s.GormForTest()
		vs := make([]annotate.OpenValue, n)
		for i := range vs {
			st := annotate.OpenPending
			if i%3 == 0 {
				st = annotate.OpenAccepted
			}
			vs[i] = annotate.OpenValue{Dimension: "event", Value: fmt.Sprintf("%s at the port of city %05d", words[i%len(words)], i), CreatedBy: int64(1 + i%7), Status: st}
		}
		if err := db.CreateInBatches(vs, 1000).Error; err != nil {
			b.Fatal(err)
		}
		var us []annotate.OpenValueUser
		for i, v := range vs {
			for u := range 1 + i%4 {
				us = append(us, annotate.OpenValueUser{OpenValueID: v.ID, UserID: int64(1 + (i+u)%7)})
			}
		}
		if err := db.CreateInBatches(us, 1000).Error; err != nil {
			b.Fatal(err)
		}
		// Opening the database again indexes the values as it does those
		// of a database made before the index.
		if err := db.Exec("DELETE FROM settings WHERE name = 'open_value_terms'").Error; err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := s.ReopenForTest(ctx); err != nil {
			b.Fatal(err)
		}
		b.Logf("indexing %d values on opening took %v", n, time.Since(t0))
		for _, q := range []string{"", "s", "strike", "strike at the port of c"} {
			for _, all := range []bool{false, true} {
				b.Run(fmt.Sprintf("values=%d/q=%q/all=%v", n, q, all), func(b *testing.B) {
					for b.Loop() {
						got, _, err := s.OpenValuesMatching(ctx, "event", 3, all, q, 50)
						if err != nil || len(got) != 50 {
							b.Fatalf("%d values, %v", len(got), err)
						}
					}
				})
			}
		}
	}
}
