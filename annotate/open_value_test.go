package annotate_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// typer saves labels with open values for the tests of the type-ahead, one
// paragraph after another of the seeded corpus.
type typer struct {
	t     *testing.T
	s     *annotate.Store
	paras []annotate.ParagraphStatus
	next  map[int64]int
}

func newTyper(t *testing.T, s *annotate.Store) *typer {
	t.Helper()
	var ps []annotate.ParagraphStatus
	for doc := int64(1); len(ps) < 200; doc++ {
		got, err := s.Paragraphs(context.Background(), doc, 0)
		if errors.Is(err, annotate.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, got...)
	}
	return &typer{t: t, s: s, paras: ps, next: map[int64]int{}}
}

// typeValue saves, as u, a label of the next paragraph u has not labelled
// whose event is value.
func (ty *typer) typeValue(u *annotate.User, value string) {
	ty.t.Helper()
	i := ty.next[u.ID]
	if i >= len(ty.paras) {
		ty.t.Fatalf("%s has labelled all %d paragraphs", u.Name, len(ty.paras))
	}
	ty.next[u.ID] = i + 1
	if _, err := ty.s.SaveAnnotation(context.Background(), u.ID, ty.paras[i].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {value}}); err != nil {
		ty.t.Fatalf("%s types %q: %v", u.Name, value, err)
	}
}

// matching returns what OpenValuesMatching offers u for prefix.
func matching(t *testing.T, s *annotate.Store, u *annotate.User, prefix string, limit int) ([]string, bool) {
	t.Helper()
	vs, more, err := s.OpenValuesMatching(context.Background(), "event", u.ID, u.Role.AtLeast(annotate.RoleReviewer), prefix, limit)
	if err != nil {
		t.Fatalf("%s looks up %q: %v", u.Name, prefix, err)
	}
	return vs, more
}

// checkTerms fails the test when the terms' table holds other rows than
// the values and their typists give.
func checkTerms(t *testing.T, s *annotate.Store) {
	t.Helper()
	got, want, err := s.OpenValueTermsForTest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("stale term row %s", g)
			}
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("missing term row %s", w)
			}
		}
	}
}

// openValueID returns the id of a typed event value.
func openValueID(t *testing.T, s *annotate.Store, value string) int64 {
	t.Helper()
	page, err := s.OpenValueReviews(context.Background(), annotate.OpenValueFilter{Dimension: "event", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range page.Values {
		if v.Value == value {
			return v.ID
		}
	}
	t.Fatalf("no open value %q", value)
	return 0
}

// TestOpenValuesMatchingBlind checks the type-ahead's lookup keeps
// annotation blind: an annotator finds the accepted values and their own,
// whatever their status, never another annotator's pending or rejected
// one; a reviewer finds every value.
func TestOpenValuesMatchingBlind(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ann1, ann2 := mustUser(t, s, "ann1", annotate.RoleAnnotator), mustUser(t, s, "ann2", annotate.RoleAnnotator)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	ty := newTyper(t, s)
	ty.typeValue(ann1, "Strike at the port")
	ty.typeValue(ann2, "Strike in Ghent")
	ty.typeValue(ann2, "Street party")
	ty.typeValue(ann2, "Strike of teachers")

	for _, tc := range []struct {
		u    *annotate.User
		want []string
	}{
		{ann1, []string{"Strike at the port"}},
		{ann2, []string{"Strike in Ghent", "Strike of teachers"}},
		{rev, []string{"Strike at the port", "Strike in Ghent", "Strike of teachers"}},
	} {
		if got, _ := matching(t, s, tc.u, "stri", 0); !slices.Equal(got, tc.want) {
			t.Errorf("%s finds %q for \"stri\", want %q", tc.u.Name, got, tc.want)
		}
	}

	ghent, party := openValueID(t, s, "Strike in Ghent"), openValueID(t, s, "Street party")
	if _, err := s.DecideOpenValues(ctx, rev.ID, []int64{ghent}, annotate.OpenAccepted); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideOpenValues(ctx, rev.ID, []int64{party}, annotate.OpenRejected); err != nil {
		t.Fatal(err)
	}
	if got, _ := matching(t, s, ann1, "str", 0); !slices.Equal(got, []string{"Strike at the port", "Strike in Ghent"}) {
		t.Errorf("after accepting Strike in Ghent, ann1 finds %q, want their own and the accepted one", got)
	}
	if got, _ := matching(t, s, ann2, "str", 0); !slices.Equal(got, []string{"Strike in Ghent", "Street party", "Strike of teachers"}) {
		t.Errorf("ann2 finds %q, want their accepted, rejected and pending values", got)
	}
	if got, _ := matching(t, s, rev, "", 0); len(got) != 4 {
		t.Errorf("a reviewer finds %q, want all four values", got)
	}
	// Typing a rejected value does not make it another annotator's.
	ty.typeValue(ann1, "Street party")
	if got, _ := matching(t, s, ann1, "street", 0); !slices.Equal(got, []string{"Street party"}) {
		t.Errorf("ann1 finds %q after typing the rejected value, want it", got)
	}
	ann3 := mustUser(t, s, "ann3", annotate.RoleAnnotator)
	if got, _ := matching(t, s, ann3, "", 0); !slices.Equal(got, []string{"Strike in Ghent"}) {
		t.Errorf("an annotator who typed nothing finds %q, want the accepted value only", got)
	}
	// Taking the acceptance back hides the value again from those who
	// did not type it.
	if _, err := s.DecideOpenValues(ctx, rev.ID, []int64{ghent}, annotate.OpenPending); err != nil {
		t.Fatal(err)
	}
	if got, _ := matching(t, s, ann3, "", 0); len(got) != 0 {
		t.Errorf("after setting it back to pending, ann3 finds %q, want nothing", got)
	}
	if got, _ := matching(t, s, ann2, "strike in", 0); !slices.Equal(got, []string{"Strike in Ghent"}) {
		t.Errorf("after setting it back to pending, its typist finds %q, want it", got)
	}
	if got, _ := matching(t, s, rev, "strike in", 0); !slices.Equal(got, []string{"Strike in Ghent"}) {
		t.Errorf("after setting it back to pending, a reviewer finds %q, want it", got)
	}
	// Rejecting a pending value changes no term; accepting it again
	// after that does.
	if _, err := s.DecideOpenValues(ctx, rev.ID, []int64{ghent}, annotate.OpenRejected); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideOpenValues(ctx, rev.ID, []int64{ghent, party}, annotate.OpenAccepted); err != nil {
		t.Fatal(err)
	}
	ty.typeValue(ann3, "Street party")
	checkTerms(t, s)
}

// TestOpenValuesMatchingOrderAndPrefix checks the order (most typists
// first, then the oldest) and the matching: the start of the value, in any
// case and white space, searches longer than a term, and searches nothing
// begins with.
func TestOpenValuesMatchingOrderAndPrefix(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	anns := make([]*annotate.User, 3)
	for i := range anns {
		anns[i] = mustUser(t, s, fmt.Sprintf("ann%d", i), annotate.RoleAnnotator)
	}
	ty := newTyper(t, s)
	long := "Strike at the port of Antwerp by the dockers' union"
	ty.typeValue(anns[0], "Strike one")         // 1 typist, oldest
	ty.typeValue(anns[0], "Strike two")         // 3 typists
	ty.typeValue(anns[0], "Été indien à Liège") // 1 typist
	ty.typeValue(anns[0], long)                 // 2 typists
	ty.typeValue(anns[0], "Strike three")       // 1 typist, newest
	for _, u := range anns[1:] {
		ty.typeValue(u, "Strike two")
	}
	ty.typeValue(anns[1], long)
	// Typing a value again does not count its typist twice.
	ty.typeValue(anns[0], "Strike two")

	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"", []string{"Strike two", long, "Strike one", "Été indien à Liège", "Strike three"}},
		{"strike", []string{"Strike two", long, "Strike one", "Strike three"}},
		{"STRIKE T", []string{"Strike two", "Strike three"}},
		{"  strike   t", []string{"Strike two", "Strike three"}},
		{"été", []string{"Été indien à Liège"}},
		{"ÉTÉ INDIEN", []string{"Été indien à Liège"}},
		// Longer than the exact terms: a term of 16 characters and the
		// rest compared.
		{"strike at the port", []string{long}},
		{"strike at the por", []string{long}},
		{"strike at the pork", nil},
		{strings.ToUpper(long), []string{long}},
		{long + " and more", nil},
		{"strike twos", nil},
		// The start of the value, not of a later word.
		{"two", nil},
		{strings.Repeat("s", annotate.MaxOpenValueLen+1), nil},
	} {
		got, more := matching(t, s, rev, tc.q, 0)
		if !slices.Equal(got, tc.want) || more {
			t.Errorf("%q finds %q (more %v), want %q", tc.q, got, more, tc.want)
		}
	}
	// An annotator's own values and the accepted ones come in one order.
	if _, err := s.DecideOpenValues(context.Background(), rev.ID, []int64{openValueID(t, s, "Strike three")}, annotate.OpenAccepted); err != nil {
		t.Fatal(err)
	}
	if got, _ := matching(t, s, anns[2], "strike", 0); !slices.Equal(got, []string{"Strike two", "Strike three"}) {
		t.Errorf("ann2 finds %q, want their own value typed by three, then the accepted one", got)
	}
	if got, _ := matching(t, s, anns[1], "strike", 0); !slices.Equal(got, []string{"Strike two", long, "Strike three"}) {
		t.Errorf("ann1 finds %q, want by typists then age across their own and the accepted values", got)
	}
	checkTerms(t, s)
}

// TestOpenValuesMatchingLimits checks the limit (default, largest, the
// flag saying more match) and the errors of a bad request.
func TestOpenValuesMatchingLimits(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ann := mustUser(t, s, "ann", annotate.RoleAnnotator)
	ty := newTyper(t, s)
	for i := range annotate.DefaultOpenValueMatches + 5 {
		ty.typeValue(ann, fmt.Sprintf("Event %02d", i))
	}
	got, more := matching(t, s, ann, "event", 0)
	if len(got) != annotate.DefaultOpenValueMatches || !more || got[0] != "Event 00" || got[len(got)-1] != "Event 19" {
		t.Errorf("default limit: %d values from %q to %q, more %v; want the %d oldest and more", len(got), got[0], got[len(got)-1], more, annotate.DefaultOpenValueMatches)
	}
	if got, more := matching(t, s, ann, "event", annotate.DefaultOpenValueMatches+5); len(got) != annotate.DefaultOpenValueMatches+5 || more {
		t.Errorf("limit of exactly as many as match: %d values, more %v; want all and no more", len(got), more)
	}
	if got, more := matching(t, s, ann, "event 1", 3); !slices.Equal(got, []string{"Event 10", "Event 11", "Event 12"}) || !more {
		t.Errorf("limit 3: %q, more %v", got, more)
	}
	for _, tc := range []struct {
		dim, q  string
		limit   int
		field   string
		message string
	}{
		{"event", "", -1, "limit", "from 1 to 100"},
		{"event", "", annotate.MaxOpenValueMatches + 1, "limit", "from 1 to 100"},
		{"place", "", 0, "dimension", `unknown dimension "place"`},
		{"stance", "", 0, "dimension", "not an open dimension"},
		{"event", "str\x00", 0, "q", "control character"},
		{"event", "str\xff", 0, "q", "not valid UTF-8"},
	} {
		_, _, err := s.OpenValuesMatching(ctx, tc.dim, ann.ID, false, tc.q, tc.limit)
		var e *annotate.Error
		if !errors.As(err, &e) || e.Code != annotate.EINVALID || e.Field != tc.field || !strings.Contains(e.Message, tc.message) {
			t.Errorf("%s %q limit %d: %v, want EINVALID on %s saying %q", tc.dim, tc.q, tc.limit, err, tc.field, tc.message)
		}
		if tc.field == "dimension" && !slices.Equal(e.Allowed, []string{"event"}) {
			t.Errorf("%s: allowed %q, want the open dimensions", tc.dim, e.Allowed)
		}
	}
}

// TestOpenValuesMatchingUsesIndex checks that the lookup reads, for each
// audience, the terms' index in its order (most typed first) and sorts
// nothing, so that it reads about as many rows as it returns however many
// values there are. With a search longer than a term as well, for an
// annotator and for a reviewer.
func TestOpenValuesMatchingUsesIndex(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	for _, tc := range []struct {
		user int64
		q    string
	}{{7, ""}, {7, "str"}, {0, "Strike at the port"}} {
		query, args := annotate.OpenValuesQueryForTest("event", tc.user, tc.q, 21)
		plan := explain(t, s, query, args...)
		t.Logf("user %d, %q:\n%s", tc.user, tc.q, plan)
		// The table is its key on SQLite; PostgreSQL reads its unique
		// index.
		key := "USING PRIMARY KEY (dimension=? AND audience=? AND term=?)"
		if s.Dialect() == "postgres" {
			key = "Index Only Scan using idx_open_value_term"
		}
		if n := strings.Count(plan, key); n != 2 {
			t.Errorf("user %d, %q: plan reads %q %d times, want once per audience:\n%s", tc.user, tc.q, key, n, plan)
		}
		if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
			t.Errorf("user %d, %q: plan sorts:\n%s", tc.user, tc.q, plan)
		}
	}
	// A change to a value finds its rows by their whole key. PostgreSQL
	// plans that from its statistics: with a handful of rows it would
	// read the dimension's rows and filter them, so the table gets many.
	want := []string{"USING PRIMARY KEY (dimension=? AND audience=? AND term=? AND typists=? AND open_value_id=?)"}
	if s.Dialect() == "postgres" {
		db := s.GormForTest()
		if err := db.Exec("INSERT INTO open_value_terms SELECT 'event', (g % 10) - 1, substr(md5(g::text), 1, g % 8), g % 5, g FROM generate_series(1, 50000) g").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("ANALYZE open_value_terms").Error; err != nil {
			t.Fatal(err)
		}
		want = []string{"using idx_open_value_term", "(audience = ANY (", "(term = ANY (", "(open_value_id = "}
	}
	plan := explain(t, s, annotate.DeleteOpenValueTermsSQLForTest, "event", []int64{-1, 3, 4}, []string{"", "s", "st"}, 2, 9)
	t.Logf("delete:\n%s", plan)
	for _, w := range want {
		if !strings.Contains(plan, w) || strings.Contains(plan, "Filter") {
			t.Errorf("deleting a value's terms: plan lacks %q or filters:\n%s", w, plan)
		}
	}
}

// TestOpenValueTermsMigrate checks that a database whose values were typed
// before the type-ahead had its index gets it when opened.
func TestOpenValueTermsMigrate(t *testing.T) {
	t.Parallel()
	dsn := annotatetest.DSN(t)
	ctx := context.Background()
	s, err := annotate.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	annotatetest.ApplyDefaultSchema(t, s)
	mustImport(t, s, "doc.txt", "Title\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph.")
	ann1, ann2 := mustUser(t, s, "ann1", annotate.RoleAnnotator), mustUser(t, s, "ann2", annotate.RoleAnnotator)
	ty := newTyper(t, s)
	ty.typeValue(ann1, "Strike one")
	ty.typeValue(ann2, "Strike one")
	ty.typeValue(ann2, "Strike two")
	ty.typeValue(ann1, "ÉTÉ INDIEN")
	db := s.GormForTest()
	for _, stmt := range []string{
		"DELETE FROM open_value_terms",
		"UPDATE open_values SET folded = '', typists = 0",
		"DELETE FROM settings WHERE name = 'open_value_terms'",
	} {
		if err := db.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := matching(t, s, ann2, "", 0); len(got) != 0 {
		t.Fatalf("without terms ann2 finds %q; the test removes nothing", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = annotate.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if got, _ := matching(t, s, ann2, "STRIKE", 0); !slices.Equal(got, []string{"Strike one", "Strike two"}) {
		t.Errorf("after reopening ann2 finds %q, want both their values, the one typed by two first", got)
	}
	if got, _ := matching(t, s, ann1, "strike", 0); !slices.Equal(got, []string{"Strike one"}) {
		t.Errorf("after reopening ann1 finds %q, want their own value only", got)
	}
	// lower() leaves É alone on SQLite: the value is folded again in Go.
	if got, _ := matching(t, s, ann1, "été", 0); !slices.Equal(got, []string{"ÉTÉ INDIEN"}) {
		t.Errorf("after reopening ann1 finds %q for \"été\", want ÉTÉ INDIEN", got)
	}
	checkTerms(t, s)
}
