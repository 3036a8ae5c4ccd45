package annotate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestOpenValuePages checks the reviewers' list of typed values: most typed
// first, each value's count of typists right (and unchanged when the
// database is opened again), and pages that, followed by their next, visit
// every value once while new values are typed in between; bad limits and
// cursors are a 400 naming the field.
func TestOpenValuePages(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ps := currentParagraphs(t, s, 1)
	users := make([]*annotate.User, 4)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("typist%d", i), annotate.RoleAnnotator)
	}
	// Value v<i> is typed by 1 + i%4 annotators.
	typed := func(user *annotate.User, p int64, value string) {
		t.Helper()
		var version int
		if a, err := s.Annotation(ctx, p, user.ID); err == nil {
			version = a.Version
		}
		if _, err := s.SaveAnnotation(ctx, user.ID, p, version, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {value}}); err != nil {
			t.Fatal(err)
		}
	}
	const values = 23
	want := map[string]int{}
	for i := range values {
		v := fmt.Sprintf("v%02d", i)
		for u := range 1 + i%4 {
			typed(users[u], ps[i%len(ps)].ID, v)
		}
		want[v] = 1 + i%4
	}
	check := func(step string) {
		t.Helper()
		page, err := s.OpenValueReviews(ctx, annotate.OpenValueFilter{Dimension: "event", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != int64(len(want)) || len(page.Values) != len(want) || page.Next != "" {
			t.Fatalf("%s: %d values (total %d, next %q), want %d on one page", step, len(page.Values), page.Total, page.Next, len(want))
		}
		for i, v := range page.Values {
			if v.Annotators != want[v.Value] {
				t.Errorf("%s: %s typed by %d, want %d", step, v.Value, v.Annotators, want[v.Value])
			}
			if i > 0 {
				prev := page.Values[i-1]
				if prev.Annotators < v.Annotators || (prev.Annotators == v.Annotators && prev.ID > v.ID) {
					t.Errorf("%s: %s (%d) after %s (%d): want most typed first, then oldest", step, v.Value, v.Annotators, prev.Value, prev.Annotators)
				}
			}
		}
	}
	check("after typing")
	if err := s.ReopenForTest(ctx); err != nil {
		t.Fatal(err)
	}
	check("after opening the database again")

	// Pages of 5, with a new value typed after each page.
	seen := map[string]int{}
	next, added := "", 0
	for range 20 {
		page, err := s.OpenValueReviews(ctx, annotate.OpenValueFilter{Dimension: "event", Status: annotate.OpenPending, Limit: 5, After: next})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Values) > 5 {
			t.Fatalf("a page of %d values, limit 5", len(page.Values))
		}
		for _, v := range page.Values {
			seen[v.Value]++
		}
		typed(users[3], ps[(values+added)%len(ps)].ID, fmt.Sprintf("new%02d", added))
		added++
		if next = page.Next; next == "" {
			break
		}
	}
	for v := range want {
		if seen[v] != 1 {
			t.Errorf("%s seen %d times while paging, want once", v, seen[v])
		}
	}
	for v, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times while paging, want at most once", v, n)
		}
	}

	for _, f := range []annotate.OpenValueFilter{
		{Limit: 1001},
		{After: "not-a-cursor"},
		{After: next + "x", Offset: 5},
		{Status: "maybe"},
	} {
		if _, err := s.OpenValueReviews(ctx, f); !errors.Is(err, annotate.ErrInvalid) {
			t.Errorf("filter %+v: %v, want EINVALID", f, err)
		}
	}
}

// TestOpenValuePagesUseIndex checks that a page of the typed values, with
// and without a status, is read in order from an index rather than sorted
// from all of them.
func TestOpenValuePagesUseIndex(t *testing.T) {
	s := annotatetest.Seeded(t)
	for _, where := range []string{
		"dimension = 'event'",
		"status = 'pending'",
		"status = 'pending' AND dimension = 'event' AND (dimension > 'event' OR (dimension = 'event' AND (typists < 3 OR (typists = 3 AND id > 10))))",
	} {
		plan := explain(t, s, "SELECT * FROM open_values WHERE "+where+" ORDER BY dimension, typists DESC, id LIMIT 201")
		if !strings.Contains(plan, "idx_open_value_") || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
			t.Errorf("WHERE %s: plan does not read an index of the typed values in order:\n%s", where, plan)
		}
	}
}
