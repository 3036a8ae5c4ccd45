package annotate_test

import (
	"context"
	"fmt"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// BenchmarkPutSuggestions stores a batch of 1,000 suggestions (the API's
// largest) over 500 paragraphs, replacing the batch before it.
func BenchmarkPutSuggestions(b *testing.B) {
	s := annotatetest.WithSchema(b)
	ctx := context.Background()
	var srcs []annotate.Source
	for d := range 50 {
		// The first block is the title.
		text := fmt.Sprintf("Document %d\n\n", d)
		for p := range 10 {
			text += fmt.Sprintf("Document %d, paragraph %d, says something.\n\n", d, p)
		}
		srcs = append(srcs, annotate.Source{Key: fmt.Sprintf("d%02d", d), Text: []byte(text), Origin: "bench"})
	}
	if _, err := s.ImportDocuments(ctx, 0, srcs); err != nil {
		b.Fatal(err)
	}
	var in []annotate.SuggestionInput
	for d := range 50 {
		for p := range 10 {
			score := 0.5
			in = append(in,
				annotate.SuggestionInput{DocumentKey: fmt.Sprintf("d%02d", d), Position: &p, Dimension: "stance", Value: ptr("agree"), Score: &score, Agent: "m@1"},
				annotate.SuggestionInput{DocumentKey: fmt.Sprintf("d%02d", d), Position: &p, Dimension: "topic", Values: []string{"strike", "media"}, Score: &score, Agent: "m@1"})
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.PutSuggestions(ctx, 0, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSuggestionsForQueue reads the suggestions of the five
// paragraphs the annotation page prefetches, as each queue request does.
func BenchmarkSuggestionsForQueue(b *testing.B) {
	s := annotatetest.Seeded(b)
	ctx := context.Background()
	docs, err := s.Documents(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	ps, err := s.Paragraphs(ctx, docs[0].ID, 0)
	if err != nil {
		b.Fatal(err)
	}
	var ids []int64
	var in []annotate.SuggestionInput
	score := 0.7
	for _, p := range ps {
		ids = append(ids, p.ID)
		in = append(in, annotate.SuggestionInput{ParagraphID: p.ID, Dimension: "stance", Value: ptr("agree"), Score: &score, Agent: "m@1"})
	}
	if _, err := s.PutSuggestions(ctx, 0, in); err != nil {
		b.Fatal(err)
	}
	ids = ids[:5]
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.SuggestionMode(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Suggestions(ctx, ids); err != nil {
			b.Fatal(err)
		}
	}
}
