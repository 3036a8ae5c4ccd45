package annotate_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"concord/annotate"
)

// BenchmarkPutAnnotationParallel saves annotations from 64 goroutines
// straight into the store, without HTTP: the store's own ceiling for the
// annotation PUT that BenchmarkAnnotationPut in web measures end to end,
// which, like the README's figures, is SQLite's; so this opens an SQLite
// file whatever CONCORD_TEST_POSTGRES says.
func BenchmarkPutAnnotationParallel(b *testing.B) {
	ctx := context.Background()
	s, err := annotate.Open(ctx, b.TempDir()+"/put.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sc := defaultSchema(b)
	if _, err := s.ApplySchema(ctx, 0, sc, nil); err != nil {
		b.Fatal(err)
	}
	var paras []int64
	for d := range 20 {
		var text strings.Builder
		fmt.Fprintf(&text, "Benchmark document %d\n\n", d)
		for p := range 100 {
			fmt.Fprintf(&text, "Paragraph %d of document %d says something about the news of the day.\n\n", p, d)
		}
		res, err := s.ImportDocument(ctx, 0, annotate.Source{Key: fmt.Sprintf("bench-%02d.txt", d), Text: []byte(text.String()), Origin: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		ps, err := s.Paragraphs(ctx, res.DocumentID, 0)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range ps {
			paras = append(paras, p.ID)
		}
	}
	const clients, users = 64, 8
	uids := make([]int64, users)
	for i := range uids {
		u, err := s.CreateUser(ctx, 0, fmt.Sprintf("bench%d", i), annotate.RoleAnnotator, "")
		if err != nil {
			b.Fatal(err)
		}
		uids[i] = u.ID
	}
	stances := []string{"agree", "disagree", "discuss", "unrelated"}
	perUser := clients / users
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			versions := map[int64]int{}
			own := len(paras) / perUser
			for n := 0; next.Add(1) <= int64(b.N); n++ {
				p := paras[(n%own)*perUser+g/users]
				v := versions[p]
				_, _, err := s.PutAnnotation(ctx, uids[g%users], p, v, annotate.Labels{"stance": {stances[v%len(stances)]}, "topic": {"strike"}})
				if err != nil {
					b.Error(err)
					return
				}
				versions[p]++
			}
		}()
	}
	wg.Wait()
}
