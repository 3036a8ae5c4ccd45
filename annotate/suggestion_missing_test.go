package annotate_test

import (
	"context"
	"testing"

	"concord/annotate"
)

func TestParagraphsWithoutSuggestionsWalksOnce(t *testing.T) {
	ctx := context.Background()
	s, ps := suggestionStore(t)
	ids := []int64{ps[0].ID, ps[1].ID, ps[2].ID}
	put := func(pid int64, agent string) {
		t.Helper()
		if _, err := s.PutSuggestions(ctx, 0, []annotate.SuggestionInput{{ParagraphID: pid, Dimension: "stance", Value: ptr("agree"), Score: ptr(0.5), Agent: agent}}); err != nil {
			t.Fatal(err)
		}
	}
	put(ids[1], "models:9090/bert-3")
	put(ids[2], "other:9090/bert-3")
	idsOf := func(xs []annotate.ParagraphText) []int64 {
		out := []int64{}
		for _, x := range xs {
			out = append(out, x.ID)
		}
		return out
	}
	got, err := s.ParagraphsWithoutSuggestions(ctx, "models:9090/", 0, 10)
	if err != nil || len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[2] || got[0].Text == "" {
		t.Fatalf("got %v %v, want paragraphs %d and %d with their text", got, err, ids[0], ids[2])
	}
	// Keyset pages: one at a time, each after the last.
	var walked []int64
	for after := int64(0); ; {
		page, err := s.ParagraphsWithoutSuggestions(ctx, "models:9090/", after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		walked = append(walked, page[0].ID)
		after = page[0].ID
	}
	if len(walked) != 2 || walked[0] != ids[0] || walked[1] != ids[2] {
		t.Fatalf("walked %v", walked)
	}
	// A whole agent name is a prefix too; a prefix longer than every agent
	// matches none.
	if got, _ := s.ParagraphsWithoutSuggestions(ctx, "other:9090/bert-3", 0, 10); len(got) != 2 || got[1].ID != ids[1] {
		t.Fatalf("by whole agent: %v", idsOf(got))
	}
	if got, _ := s.ParagraphsWithoutSuggestions(ctx, "models:9090/bert-3-and-more", 0, 10); len(got) != 3 {
		t.Fatalf("longer prefix: %v", idsOf(got))
	}
	for _, bad := range []int{0, annotate.MaxMissingLimit + 1} {
		if _, err := s.ParagraphsWithoutSuggestions(ctx, "x/", 0, bad); annotate.ErrorCode(err) != annotate.EINVALID {
			t.Errorf("limit %d: %v", bad, err)
		}
	}
	// The hinted ones, in the order given, without those done.
	w, err := s.WithoutSuggestions(ctx, "models:9090/", []int64{ids[2], ids[1], ids[0], 999999})
	if err != nil || len(w) != 2 || w[0].ID != ids[2] || w[1].ID != ids[0] {
		t.Fatalf("WithoutSuggestions: %v %v", idsOf(w), err)
	}
	// A new revision leaves the old paragraphs out.
	mustImport(t, s, "doc-a", "Headline\n\nAll new text.\n")
	got, err = s.ParagraphsWithoutSuggestions(ctx, "models:9090/", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range got {
		for _, old := range ids {
			if x.ID == old {
				t.Fatalf("old revision's paragraph %d listed: %v", old, idsOf(got))
			}
		}
	}
	if len(got) == 0 {
		t.Fatal("the new revision's paragraph is missing")
	}
	if w, _ := s.WithoutSuggestions(ctx, "models:9090/", ids); len(w) != 0 {
		t.Fatalf("old paragraphs hinted: %v", idsOf(w))
	}
}
