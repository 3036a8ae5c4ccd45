package annotate_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"concord/agreement"
	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/seeds"
)

// agreeSchema returns the default schema, parsed.
func agreeSchema(t *testing.T) *annotate.Schema {
	t.Helper()
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// agreeStance is the hand-worked example: two annotators, four items.
//
//	item  alice     bob
//	1     agree     agree
//	2     agree     disagree
//	3     disagree  disagree
//	4     discuss   discuss
var agreeStance = [][3]string{
	{"1", "agree", "agree"},
	{"2", "agree", "disagree"},
	{"3", "disagree", "disagree"},
	{"4", "discuss", "discuss"},
}

func agreeRows() []annotate.LabelRow {
	var rows []annotate.LabelRow
	for _, r := range agreeStance {
		rows = append(rows,
			annotate.LabelRow{Item: r[0], Annotator: "alice", Labels: annotate.Labels{"stance": {r[1]}, "topic": {"strike"}}},
			annotate.LabelRow{Item: r[0], Annotator: "bob", Labels: annotate.Labels{"stance": {r[2]}, "topic": {"strike"}}})
	}
	return rows
}

func agreeClose(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

func agreeDim(t *testing.T, rep *annotate.AgreementReport, name string) *annotate.DimensionAgreement {
	t.Helper()
	for i := range rep.Dimensions {
		if rep.Dimensions[i].Name == name {
			return &rep.Dimensions[i]
		}
	}
	t.Fatalf("report has no dimension %q", name)
	return nil
}

func TestBuildAgreementByHand(t *testing.T) {
	t.Parallel()
	sc := agreeSchema(t)
	// Gold on items 1–3: agree, agree, disagree.
	gold := map[string]annotate.Labels{
		"1": {"stance": {"agree"}},
		"2": {"stance": {"agree"}},
		"3": {"stance": {"disagree"}},
	}
	rep := annotate.BuildAgreement(sc, agreeRows(), gold, agreement.Options{})
	st := agreeDim(t, rep, "stance")

	// Cohen's kappa, alice × bob over 4 items:
	//   p_o = 3/4 (items 1, 3, 4 agree)
	//   marginals alice: agree 2, disagree 1, discuss 1; bob: agree 1, disagree 2, discuss 1
	//   p_e = (2·1 + 1·2 + 1·1) / 4² = 5/16
	//   κ = (3/4 − 5/16) / (1 − 5/16) = (7/16) / (11/16) = 7/11
	// Krippendorff's nominal alpha, n = 8 values:
	//   coincidences: o(agree,agree) = 2, o(agree,disagree) = o(disagree,agree) = 1,
	//   o(disagree,disagree) = 2, o(discuss,discuss) = 2
	//   n_agree = 3, n_disagree = 3, n_discuss = 2
	//   D_o ∝ Σ_{c≠k} o_ck = 2; D_e ∝ Σ_{c≠k} n_c·n_k = 8² − (9 + 9 + 4) = 42
	//   α = 1 − (n − 1)·2/42 = 1 − 14/42 = 2/3
	if len(st.Report.Pairwise.Pairs) != 1 {
		t.Fatalf("pairs = %d, want 1", len(st.Report.Pairwise.Pairs))
	}
	if got := st.Report.Pairwise.Pairs[0].Value.Float(); !agreeClose(got, 7.0/11) {
		t.Errorf("kappa = %v, want 7/11 = %v", got, 7.0/11)
	}
	if got := st.Report.AlphaNominal.Float(); !agreeClose(got, 2.0/3) {
		t.Errorf("alpha = %v, want 2/3", got)
	}
	if st.Primary != "alpha_nominal" || st.Reading == "" {
		t.Errorf("primary %q, reading %q: want alpha_nominal and a reading", st.Primary, st.Reading)
	}
	if rep.Items != 4 || rep.Labels != 8 || rep.GoldItems != 3 || len(rep.Annotators) != 2 {
		t.Errorf("items %d labels %d gold %d annotators %v, want 4 8 3 [alice bob]", rep.Items, rep.Labels, rep.GoldItems, rep.Annotators)
	}

	// Against gold (items 1–3):
	//   alice: agree/agree, agree/agree, disagree/disagree → 3 of 3; κ = 1
	//   bob:   agree/agree, disagree/agree, disagree/disagree → 2 of 3
	//     bob: agree 1, disagree 2; gold: agree 2, disagree 1
	//     p_o = 2/3, p_e = (1·2 + 2·1)/9 = 4/9, κ = (6/9 − 4/9)/(5/9) = 0.4
	want := map[string]struct {
		items, matches int
		kappa          float64
	}{"alice": {3, 3, 1}, "bob": {3, 2, 0.4}}
	if len(st.Gold) != 2 {
		t.Fatalf("gold agreement rows = %d, want 2", len(st.Gold))
	}
	for _, g := range st.Gold {
		w := want[g.Annotator]
		if g.Items != w.items || g.Matches != w.matches || !agreeClose(g.Kappa.Float(), w.kappa) {
			t.Errorf("%s vs gold: items %d matches %d kappa %v, want %d %d %v", g.Annotator, g.Items, g.Matches, g.Kappa.Float(), w.items, w.matches, w.kappa)
		}
		if g.Accuracy == nil || !agreeClose(*g.Accuracy, float64(w.matches)/float64(w.items)) {
			t.Errorf("%s accuracy = %v, want %d/%d", g.Annotator, g.Accuracy, w.matches, w.items)
		}
	}
	// No gold on topic: every annotator has zero items and no kappa.
	for _, g := range agreeDim(t, rep, "topic").Gold {
		if g.Items != 0 || g.Accuracy != nil || g.Kappa.Defined() {
			t.Errorf("topic gold for %s = %+v, want no items", g.Annotator, g)
		}
	}
}

func TestBuildAgreementKinds(t *testing.T) {
	t.Parallel()
	sc := agreeSchema(t)
	rows := []annotate.LabelRow{
		{Item: "1", Annotator: "a", Labels: annotate.Labels{"event": {"soleimani-strike"}, "topic": {"media", "strike"}}},
		{Item: "1", Annotator: "b", Labels: annotate.Labels{"event": {"soleimani-strike"}, "topic": {"strike"}}},
		{Item: "2", Annotator: "a", Labels: annotate.Labels{"event": {"A new event"}, "topic": {"justice"}}},
		{Item: "2", Annotator: "b", Labels: annotate.Labels{"event": {"A new event"}, "topic": {"justice"}}},
		// An older row of the same item and annotator is replaced by the newer one.
		{Item: "3", Annotator: "a", Labels: annotate.Labels{"event": {"iran-mourning"}}, At: time.Unix(1, 0)},
		{Item: "3", Annotator: "a", Labels: annotate.Labels{"event": {"ghaani-appointment"}}, At: time.Unix(2, 0)},
		{Item: "3", Annotator: "b", Labels: annotate.Labels{"event": {"ghaani-appointment"}}},
	}
	rep := annotate.BuildAgreement(sc, rows, nil, agreement.Options{})
	ev := agreeDim(t, rep, "event")
	if ev.Report.Kind != "single" || ev.Report.UnknownValues != 0 {
		t.Errorf("event kind %q unknown %d, want single and 0", ev.Report.Kind, ev.Report.UnknownValues)
	}
	last := ev.Report.Categories[len(ev.Report.Categories)-1]
	if last != "A new event" || len(ev.Report.Categories) != len(sc.Dimensions[2].Options)+1 {
		t.Errorf("event categories = %v, want the options then %q", ev.Report.Categories, "A new event")
	}
	if got := ev.Report.ObservedAgreement.Float(); got != 1 {
		t.Errorf("event observed agreement = %v, want 1 (the older row of item 3 is replaced)", got)
	}
	if rep.Labels != 6 {
		t.Errorf("labels = %d, want 6 after dropping the replaced row", rep.Labels)
	}
	tp := agreeDim(t, rep, "topic")
	if tp.Report.Kind != "multi" || tp.Primary != "alpha_masi" || tp.Report.PairableItems != 2 {
		t.Errorf("topic kind %q primary %q pairable %d, want multi alpha_masi 2", tp.Report.Kind, tp.Primary, tp.Report.PairableItems)
	}
	st := agreeDim(t, rep, "stance")
	if st.Report.Items != 0 || st.Report.AlphaNominal.Defined() || st.Reading == "" {
		t.Errorf("stance without labels: items %d alpha %v reading %q; want 0, undefined, a reading", st.Report.Items, st.Report.AlphaNominal.Value, st.Reading)
	}
}

// agreeFixture is a store with two documents and three annotators whose
// stance labels are agreeStance (alice, bob) on document A, plus carol, and
// labels on document B.
type agreeFixture struct {
	s                 *annotate.Store
	docA, docB        int64
	a, b              []annotate.ParagraphStatus
	alice, bob, carol *annotate.User
	reviewer          *annotate.User
	day1, day2, day3  time.Time
}

func newAgreeFixture(t *testing.T) *agreeFixture {
	t.Helper()
	s := annotatetest.WithSchema(t)
	f := &agreeFixture{s: s}
	ra := mustImport(t, s, "a.txt", "A\n\nOne is here.\n\nTwo is here.\n\nThree is here.\n\nFour is here.")
	rb := mustImport(t, s, "b.txt", "B\n\nFive is here.\n\nSix is here.")
	f.docA, f.docB = ra.DocumentID, rb.DocumentID
	f.a, f.b = currentParagraphs(t, s, f.docA), currentParagraphs(t, s, f.docB)
	f.alice = mustUser(t, s, "alice", annotate.RoleAnnotator)
	f.bob = mustUser(t, s, "bob", annotate.RoleAnnotator)
	f.carol = mustUser(t, s, "carol", annotate.RoleAnnotator)
	f.reviewer = mustUser(t, s, "rita", annotate.RoleReviewer)
	f.day1 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	f.day2 = f.day1.AddDate(0, 0, 1)
	f.day3 = f.day1.AddDate(0, 0, 2)
	ctx := context.Background()
	save := func(at time.Time, u *annotate.User, pid int64, stance string) {
		t.Helper()
		s.SetClock(func() time.Time { return at })
		if _, err := s.SaveAnnotation(ctx, u.ID, pid, 0, annotate.Labels{"stance": {stance}, "topic": {"strike"}}); err != nil {
			t.Fatalf("save %s on %d: %v", u.Name, pid, err)
		}
	}
	for i, r := range agreeStance {
		save(f.day1, f.alice, f.a[i].ID, r[1])
		save(f.day2, f.bob, f.a[i].ID, r[2])
	}
	// carol labels document A on day 3, always "unrelated".
	for i := range agreeStance {
		save(f.day3, f.carol, f.a[i].ID, "unrelated")
	}
	save(f.day1, f.alice, f.b[0].ID, "agree")
	save(f.day1, f.bob, f.b[0].ID, "agree")
	s.SetClock(func() time.Time { return f.day3 })
	return f
}

func TestStoreAgreementFilters(t *testing.T) {
	t.Parallel()
	f := newAgreeFixture(t)
	ctx := context.Background()
	cases := []struct {
		name       string
		filter     annotate.AgreementFilter
		items      int
		labels     int
		annotators int
		alpha      float64 // nominal alpha of stance; NaN to skip
	}{
		{"document A, alice and bob", annotate.AgreementFilter{Documents: []int64{f.docA}, Annotators: []string{"alice", "bob"}}, 4, 8, 2, 2.0 / 3},
		{"everything", annotate.AgreementFilter{}, 5, 14, 3, math.NaN()},
		{"document B", annotate.AgreementFilter{Documents: []int64{f.docB}}, 1, 2, 2, math.NaN()},
		{"days 1 and 2 leave carol out", annotate.AgreementFilter{Documents: []int64{f.docA}, From: f.day1, To: f.day3}, 4, 8, 2, 2.0 / 3},
		{"day 3 only", annotate.AgreementFilter{From: f.day3, To: f.day3.Add(time.Hour)}, 4, 4, 1, math.NaN()},
	}
	for _, tc := range cases {
		rep, err := f.s.Agreement(ctx, tc.filter, agreement.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if rep.Items != tc.items || rep.Labels != tc.labels || len(rep.Annotators) != tc.annotators {
			t.Errorf("%s: items %d labels %d annotators %v, want %d %d %d", tc.name, rep.Items, rep.Labels, rep.Annotators, tc.items, tc.labels, tc.annotators)
		}
		if !math.IsNaN(tc.alpha) {
			if got := agreeDim(t, rep, "stance").Report.AlphaNominal.Float(); !agreeClose(got, tc.alpha) {
				t.Errorf("%s: alpha = %v, want %v", tc.name, got, tc.alpha)
			}
		}
	}
	bad := []struct {
		filter annotate.AgreementFilter
		field  string
	}{
		{annotate.AgreementFilter{Annotators: []string{"nobody"}}, "annotators"},
		{annotate.AgreementFilter{Documents: []int64{999}}, "document"},
		{annotate.AgreementFilter{From: f.day2, To: f.day1}, "to"},
	}
	for _, tc := range bad {
		_, err := f.s.Agreement(ctx, tc.filter, agreement.Options{})
		var de *annotate.Error
		if !errors.As(err, &de) || de.Code != annotate.EINVALID || de.Field != tc.field {
			t.Errorf("filter %+v: got %v, want EINVALID on %s", tc.filter, err, tc.field)
		}
	}
}

func TestStoreAgreementGoldAndConfusion(t *testing.T) {
	t.Parallel()
	f := newAgreeFixture(t)
	ctx := context.Background()
	for i, g := range []string{"agree", "agree", "disagree"} {
		if _, err := f.s.SetGold(ctx, f.reviewer.ID, f.a[i].ID, 0, annotate.Labels{"stance": {g}, "topic": {"strike"}}, "own"); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := f.s.Agreement(ctx, annotate.AgreementFilter{Documents: []int64{f.docA}, Annotators: []string{"alice", "bob"}}, agreement.Options{Bootstrap: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := agreeDim(t, rep, "stance")
	if st.Report.AlphaNominal.CI == nil {
		t.Errorf("alpha has no confidence interval with a bootstrap of 200")
	}
	for _, g := range st.Gold {
		if g.Annotator == "bob" && (g.Matches != 2 || !agreeClose(g.Kappa.Float(), 0.4)) {
			t.Errorf("bob vs gold: %d matches, kappa %v; want 2 and 0.4", g.Matches, g.Kappa.Float())
		}
	}
	m, err := f.s.Confusion(ctx, annotate.AgreementFilter{Documents: []int64{f.docA}}, "stance", "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	// Rows alice, columns bob, categories in schema order agree, disagree, discuss, unrelated.
	want := [][]int{{1, 1, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 0}}
	for i := range want {
		for j := range want[i] {
			if m.Counts[i][j] != want[i][j] {
				t.Fatalf("confusion = %v, want %v", m.Counts, want)
			}
		}
	}
	for _, tc := range []struct{ dim, a, b, field string }{
		{"mood", "alice", "bob", "dimension"},
		{"stance", "zed", "bob", "a"},
		{"stance", "alice", "", "b"},
	} {
		_, err := f.s.Confusion(ctx, annotate.AgreementFilter{}, tc.dim, tc.a, tc.b)
		var de *annotate.Error
		if !errors.As(err, &de) || de.Field != tc.field {
			t.Errorf("confusion %v: got %v, want an error on %s", tc, err, tc.field)
		}
	}
}

// TestBuildAgreementMatchesStore checks that the same labels give the same
// report from rows built by hand and from the database.
func TestBuildAgreementMatchesStore(t *testing.T) {
	t.Parallel()
	f := newAgreeFixture(t)
	rep, err := f.s.Agreement(context.Background(), annotate.AgreementFilter{Documents: []int64{f.docA}, Annotators: []string{"alice", "bob"}}, agreement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []annotate.LabelRow
	for i, r := range agreeRows() {
		r.Item = strconv.FormatInt(f.a[i/2].ID, 10)
		rows = append(rows, r)
	}
	sc, err := f.s.Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := annotate.BuildAgreement(sc, rows, nil, agreement.Options{})
	got, exp := agreeDim(t, rep, "stance").Report.AlphaNominal.Float(), agreeDim(t, want, "stance").Report.AlphaNominal.Float()
	if !agreeClose(got, exp) {
		t.Errorf("store alpha %v, built alpha %v", got, exp)
	}
}
