package annotate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/seeds"
)

// TestImportSeedsTwice checks that importing the same corpus again changes
// nothing: every document is unchanged and no table gains a row.
func TestImportSeedsTwice(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	before := countRows(t, s)
	if before["documents"] != 2 || before["revisions"] != 2 || before["paragraphs"] != 12+18 {
		t.Fatalf("after the first import: %v, want 2 documents, 2 revisions, 30 paragraphs", before)
	}
	rep, err := s.ImportFS(ctx, seeds.FS, annotate.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unchanged != 2 || rep.Created != 0 || rep.Revised != 0 || rep.Failed != 0 {
		t.Errorf("second import: %+v, want 2 unchanged", rep)
	}
	// The same files through ImportPaths keep their keys (the file name).
	rep, err = s.ImportPaths(ctx, []string{filepath.Join("..", "seeds")}, annotate.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unchanged != 2 || rep.Failed != 0 {
		t.Errorf("import of the seeds folder: %+v, want 2 unchanged", rep)
	}
	after := countRows(t, s)
	for _, tb := range tables {
		if after[tb] != before[tb] {
			t.Errorf("table %s: %d rows after importing again, want %d", tb, after[tb], before[tb])
		}
	}
}

const revOne = `A title

Paragraph one stays.

Paragraph two stays too.

Paragraph three will change.

Paragraph four will go.
`

const revTwo = `A title

Paragraph one stays.

A new paragraph comes in.

Paragraph two   stays
too.

Paragraph three has changed.
`

// TestImportRevision checks what a changed file does to labels: labels on
// unchanged paragraphs move to the new revision, the others stay with the
// old paragraphs, and gold labels and confirmed flags move along.
func TestImportRevision(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice", annotate.RoleAnnotator)
	bob := mustUser(t, s, "bob", annotate.RoleReviewer)

	first := mustImport(t, s, "doc.txt", revOne)
	old := currentParagraphs(t, s, first.DocumentID)
	if len(old) != 4 {
		t.Fatalf("revision 1 has %d paragraphs, want 4", len(old))
	}
	labels := []annotate.Labels{
		{"stance": {"agree"}, "topic": {"strike"}},
		{"stance": {"disagree"}, "topic": {"media", "terrorism"}},
		{"stance": {"discuss"}, "topic": {"justice"}},
		{"stance": {"unrelated"}, "topic": {"media"}},
	}
	for i, p := range old {
		for _, u := range []*annotate.User{alice, bob} {
			if _, err := s.SaveAnnotation(ctx, u.ID, p.ID, 0, labels[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.SetGold(ctx, bob.ID, old[0].ID, 0, labels[0], "majority"); err != nil {
		t.Fatal(err)
	}
	flag, err := s.Flag(ctx, alice.ID, old[1].ID, annotate.CurationNotRelevant, "off topic")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideCurations(ctx, bob.ID, []int64{flag.ID}, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	// A suggestion nobody decided is not carried: the import suggests anew.
	if _, err := s.Flag(ctx, alice.ID, old[0].ID, annotate.CurationDuplicate, "maybe"); err != nil {
		t.Fatal(err)
	}

	res, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "doc.txt", Origin: "doc.txt", Text: []byte(revTwo)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != annotate.ImportRevised || res.Revision != 2 || res.Paragraphs != 4 || res.CarriedOver != 4 || res.LeftOnOld != 4 {
		t.Errorf("result = %+v, want revised, revision 2, 4 paragraphs, 4 carried over, 4 left on old", res)
	}
	doc, err := s.Document(ctx, first.DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Revision != 2 {
		t.Errorf("document revision = %d, want 2", doc.Revision)
	}
	cur := currentParagraphs(t, s, first.DocumentID)
	wantText := []string{"Paragraph one stays.", "A new paragraph comes in.", "Paragraph two stays too.", "Paragraph three has changed."}
	if len(cur) != len(wantText) {
		t.Fatalf("revision 2 has %d paragraphs, want %d", len(cur), len(wantText))
	}
	for i, p := range cur {
		if p.Text != wantText[i] || !p.Current {
			t.Errorf("paragraph %d = %q current=%v, want %q current", i, p.Text, p.Current, wantText[i])
		}
	}
	// Labels moved with the unchanged paragraphs, for both annotators.
	moved := map[int64]annotate.Labels{cur[0].ID: labels[0], cur[2].ID: labels[1]}
	for pid, want := range moved {
		for _, u := range []*annotate.User{alice, bob} {
			a, err := s.Annotation(ctx, pid, u.ID)
			if err != nil {
				t.Fatalf("annotation of %s on paragraph %d: %v", u.Name, pid, err)
			}
			if !a.Labels.Equal(want) {
				t.Errorf("carried labels of %s on paragraph %d = %v, want %v", u.Name, pid, a.Labels, want)
			}
		}
		h, err := historyOf(s, ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		carry := 0
		for _, c := range h {
			if c.Action == "carry-over" && c.Entity == "annotation" {
				carry++
			}
		}
		if carry != 2 {
			t.Errorf("paragraph %d: %d carry-over history rows, want 2", pid, carry)
		}
	}
	for _, p := range []annotate.ParagraphStatus{cur[1], cur[3]} {
		if p.Annotators != 0 {
			t.Errorf("new paragraph %q has %d annotators, want 0", p.Text, p.Annotators)
		}
	}
	// Nothing is dropped: the old paragraphs keep all 8 annotations, and 4
	// copies sit on the new ones.
	if got := count(t, s, "SELECT count(*) FROM annotations"); got != 12 {
		t.Errorf("annotations = %d, want 12 (8 on revision 1, 4 carried)", got)
	}
	for _, p := range old {
		if got := count(t, s, "SELECT count(*) FROM annotations WHERE paragraph_id = ?", p.ID); got != 2 {
			t.Errorf("old paragraph %d keeps %d annotations, want 2", p.ID, got)
		}
		op, err := s.Paragraph(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if op.Current {
			t.Errorf("old paragraph %d is still current", p.ID)
		}
	}
	// Gold and the confirmed flag moved; the undecided suggestion did not.
	g, err := s.GoldLabel(ctx, cur[0].ID)
	if err != nil {
		t.Fatalf("gold on the carried paragraph: %v", err)
	}
	if !g.Labels.Equal(labels[0]) || g.Method != "majority" {
		t.Errorf("carried gold = %v %q, want %v majority", g.Labels, g.Method, labels[0])
	}
	if got := count(t, s, "SELECT count(*) FROM history WHERE entity = 'gold' AND action = 'carry-over' AND paragraph_id = ?", cur[0].ID); got != 1 {
		t.Errorf("history rows for the carried gold = %d, want 1", got)
	}
	if got := count(t, s, "SELECT count(*) FROM history WHERE entity = 'curation' AND action = 'carry-over' AND paragraph_id = ?", cur[2].ID); got != 1 {
		t.Errorf("history rows for the carried flag = %d, want 1", got)
	}
	if got := count(t, s, "SELECT count(*) FROM curations WHERE paragraph_id = ? AND kind = 'not_relevant' AND status = 'confirmed'", cur[2].ID); got != 1 {
		t.Errorf("confirmed flags on the carried paragraph = %d, want 1", got)
	}
	if got := count(t, s, "SELECT count(*) FROM curations WHERE paragraph_id = ? AND kind = 'duplicate'", cur[0].ID); got != 0 {
		t.Errorf("undecided suggestion carried: %d, want 0", got)
	}
	// The queue holds only current paragraphs, without the confirmed one.
	carol := mustUser(t, s, "carol", annotate.RoleAnnotator)
	q, err := s.Queue(ctx, carol.ID, annotate.QueueOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range q {
		got = append(got, p.Text)
	}
	want := []string{"A new paragraph comes in.", "Paragraph three has changed."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("queue = %q, want %q (overlap 2 is met on the carried paragraphs)", got, want)
	}
	// Old paragraphs cannot be labelled any more.
	if _, err := s.SaveAnnotation(ctx, carol.ID, old[3].ID, 0, labels[3]); !errors.Is(err, annotate.ErrConflict) {
		t.Errorf("labelling an old paragraph: %v, want ECONFLICT", err)
	}
	// Importing revision 2 again changes nothing.
	again, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "doc.txt", Text: []byte(revTwo)})
	if err != nil || again.Status != annotate.ImportUnchanged || again.Revision != 2 {
		t.Errorf("re-import = %+v %v, want unchanged revision 2", again, err)
	}
}

// TestImportBadFiles checks that every bad file is reported with its path
// and the reason while the good ones import.
func TestImportBadFiles(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.txt", "Good title\n\nGood paragraph.\n")
	latin1 := write("latin1.txt", "Title\n\nCaf\xe9 au lait.\n")
	empty := write("empty.txt", "")
	blank := write("blank.md", "  \n\n\t\n")
	titleOnly := write("title.txt", "Only a title\n")
	big := write("big.txt", "Big title\n\n"+strings.Repeat("word ", 400))
	skipped := write("notes.csv", "a,b\n")
	dangling := filepath.Join(dir, "gone.txt")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	jl := write("docs.jsonl", strings.Join([]string{
		`{"id": "a1", "title": "First", "text": "One paragraph."}`,
		`{"id": "a2", "text": "broken`,
		`{"id": "a3", "title": "No text"}`,
		`{"id": "a4", "text": "Dated.", "published_at": "yesterday"}`,
		``,
		`{"id": true, "text": "Odd id."}`,
		`{"id": 7, "text": "Numbered.\n\nTwo paragraphs."}`,
		`{"text": ""}`,
	}, "\n"))

	rep, err := s.ImportPaths(ctx, []string{dir, filepath.Join(dir, "missing.txt")}, annotate.ImportOptions{MaxFileSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ status, err string }
	wants := map[string]want{
		filepath.Join(dir, "missing.txt"): {annotate.ImportFailed, "no such file or directory"},
		good:                              {annotate.ImportCreated, ""},
		latin1:                            {annotate.ImportFailed, "not valid UTF-8 (line 3, character 4, byte 10)"},
		empty:                             {annotate.ImportFailed, "the document is empty"},
		blank:                             {annotate.ImportFailed, "the document is empty"},
		titleOnly:                         {annotate.ImportCreated, ""},
		big:                               {annotate.ImportFailed, "larger than the limit of 1000 bytes"},
		dangling:                          {annotate.ImportFailed, "no such file or directory"},
		jl + ":1":                         {annotate.ImportCreated, ""},
		jl + ":2":                         {annotate.ImportFailed, "bad JSON"},
		jl + ":3":                         {annotate.ImportFailed, `missing "text"`},
		jl + ":4":                         {annotate.ImportFailed, `"published_at" "yesterday" is not a date`},
		jl + ":6":                         {annotate.ImportFailed, `"id" must be a string or a number`},
		jl + ":7":                         {annotate.ImportCreated, ""},
		jl + ":8":                         {annotate.ImportFailed, "the document is empty"},
	}
	got := map[string]annotate.ImportResult{}
	for _, r := range rep.Results {
		if _, dup := got[r.Origin]; dup {
			t.Errorf("origin %s reported twice", r.Origin)
		}
		got[r.Origin] = r
	}
	for origin, w := range wants {
		r, ok := got[origin]
		if !ok {
			t.Errorf("%s: not in the report", origin)
			continue
		}
		if r.Status != w.status || !strings.Contains(r.Error, w.err) || (w.err == "" && r.Error != "") {
			t.Errorf("%s: %s %q, want %s containing %q", origin, r.Status, r.Error, w.status, w.err)
		}
	}
	if _, ok := got[skipped]; ok {
		t.Errorf("%s (not an importable type) should be passed over in a folder", skipped)
	}
	if len(rep.Results) != len(wants) {
		t.Errorf("report has %d results, want %d: %+v", len(rep.Results), len(wants), rep.Results)
	}
	if rep.Created != 4 || rep.Failed != len(wants)-4 {
		t.Errorf("created %d failed %d, want 4 and %d", rep.Created, rep.Failed, len(wants)-4)
	}
	if err := rep.Err(); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("report Err = %v, want EINVALID", err)
	}
	if got := count(t, s, "SELECT count(*) FROM documents"); got != 4 {
		t.Errorf("documents = %d, want 4", got)
	}
	// A file named on its own with the wrong extension is refused by name.
	rep, err = s.ImportPaths(ctx, []string{skipped}, annotate.ImportOptions{})
	if err != nil || len(rep.Results) != 1 || !strings.Contains(rep.Results[0].Error, "not a .txt, .md or .jsonl file") {
		t.Errorf("import of a .csv: %+v %v", rep, err)
	}
}

// TestImportJSONLFields checks that ids, titles, sources, URLs, dates and
// metadata from JSONL land in the document.
func TestImportJSONLFields(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "corpus.jsonl")
	body := `{"id": "nbc-1", "title": "  A  JSONL title ", "text": "First paragraph.\n\nSecond paragraph.", "source": "NBC News", "url": "https://example.org/a", "published_at": "2020-01-03T10:45:00-05:00", "meta": {"lang": "en",  "tags": ["iran"]}}
{"id": 42, "text": "Title line\n\nBody.", "published_at": "2020-01-04"}
{"text": "No id here.\n\nBody two."}
`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := s.ImportPaths(ctx, []string{p}, annotate.ImportOptions{})
	if err != nil || rep.Err() != nil {
		t.Fatalf("import: %v %v %+v", err, rep.Err(), rep)
	}
	docs, err := s.Documents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 3", len(docs))
	}
	d := docs[0].Document
	wantTime := time.Date(2020, 1, 3, 15, 45, 0, 0, time.UTC)
	if d.Key != "nbc-1" || d.Title != "A JSONL title" || d.Source != "NBC News" || d.URL != "https://example.org/a" ||
		d.PublishedAt == nil || !d.PublishedAt.Equal(wantTime) || d.Meta != `{"lang":"en","tags":["iran"]}` || docs[0].Paragraphs != 2 {
		t.Errorf("document 1 = %+v (paragraphs %d)", d, docs[0].Paragraphs)
	}
	d = docs[1].Document
	// Without a "title" no title is taken from the text: it is all
	// paragraphs.
	if d.Key != "42" || d.Title != "" || d.Source != p || d.PublishedAt == nil || !d.PublishedAt.Equal(time.Date(2020, 1, 4, 0, 0, 0, 0, time.UTC)) || docs[1].Paragraphs != 2 {
		t.Errorf("document 2 = %+v (paragraphs %d), want key 42, no title, 2 paragraphs, source the file", d, docs[1].Paragraphs)
	}
	d = docs[2].Document
	if !strings.HasPrefix(d.Key, "sha256:") || d.Title != "" || docs[2].Paragraphs != 2 {
		t.Errorf("document 3 = %+v, want a sha256: key and no title", d)
	}
	// The same file again is unchanged, line by line.
	rep, err = s.ImportPaths(ctx, []string{p}, annotate.ImportOptions{})
	if err != nil || rep.Unchanged != 3 {
		t.Errorf("second import: %+v %v, want 3 unchanged", rep, err)
	}
}

// TestImportSuggestions checks the curation suggestions an import makes:
// exact duplicates across documents, whatever their white space, and
// boilerplate in the seed articles.
func TestImportSuggestions(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	a := mustImport(t, s, "a.txt", "Title A\n\nThe police said there was no threat.\n\nOnly in A.")
	b := mustImport(t, s, "b.txt", "Title B\n\nThe  police said\nthere was   no threat.\n\nOnly in B.")
	pa := currentParagraphs(t, s, a.DocumentID)
	pb := currentParagraphs(t, s, b.DocumentID)
	if pa[0].Hash != pb[0].Hash {
		t.Fatalf("hashes differ: %q vs %q", pa[0].Text, pb[0].Text)
	}
	var dup *annotate.Curation
	for i := range pb[0].Flags {
		if pb[0].Flags[i].Kind == annotate.CurationDuplicate {
			dup = &pb[0].Flags[i]
		}
	}
	if dup == nil || dup.DuplicateOf == nil || *dup.DuplicateOf != pa[0].ID || dup.Status != annotate.StatusSuggested {
		t.Errorf("duplicate flag on b = %+v, want a suggestion pointing at %d", dup, pa[0].ID)
	}
	for _, p := range []annotate.ParagraphStatus{pa[0], pa[1], pb[1]} {
		for _, f := range p.Flags {
			if f.Kind == annotate.CurationDuplicate {
				t.Errorf("paragraph %q flagged duplicate", p.Text)
			}
		}
	}

	items, err := curationsOf(s, ctx, annotate.CurationFilter{Kind: annotate.CurationBoilerplate})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range items {
		got[c.Text] = c.Reason
	}
	want := map[string]string{
		"nypd | new york city crime Dave Hosford/Flickr":                                       "photo credit",
		"IE 11 is not supported. For an optimal experience visit our site on another browser.": "browser notice",
		"Get more newsLiveon":                         "navigation or promotion text",
		"Download the NBC News app for breaking news": "app promotion",
	}
	for text, reason := range want {
		if got[text] != reason {
			t.Errorf("boilerplate %q: reason %q, want %q", text, got[text], reason)
		}
	}
	if len(got) != len(want) {
		t.Errorf("boilerplate suggestions = %v, want exactly %v", got, want)
	}
}

// TestImportAtomic checks that a document that fails half way leaves no
// trace: a trigger makes the last write of the import fail.
func TestImportAtomic(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	ctx := context.Background()
	db, _ := s.SQLForTest()
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// failOn makes every insert into history with the given action fail, in
	// the dialect's own trigger syntax, and returns the statement that
	// removes the trigger again.
	failOn := func(name, action string) string {
		t.Helper()
		if s.Dialect() == "postgres" {
			exec(`CREATE FUNCTION ` + name + `() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.action = '` + action + `' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$`)
			exec(`CREATE TRIGGER ` + name + ` BEFORE INSERT ON history FOR EACH ROW EXECUTE FUNCTION ` + name + `()`)
			return `DROP TRIGGER ` + name + ` ON history`
		}
		exec(`CREATE TRIGGER ` + name + ` BEFORE INSERT ON history WHEN NEW.action = '` + action + `' BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
		return `DROP TRIGGER ` + name
	}
	before := countRows(t, s)
	drop := failOn("fail_import", "import-created")
	res, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "a.txt", Text: []byte("Title\n\nAdvertisement\n\nBody one.\n\nBody two.")})
	if err == nil || res.Status != annotate.ImportFailed || !strings.Contains(res.Error, "disk full") {
		t.Fatalf("import = %+v %v, want a failure", res, err)
	}
	if after := countRows(t, s); !sameCounts(before, after) {
		t.Errorf("a failed import left rows: before %v, after %v", before, after)
	}
	exec(drop)

	// A revision that fails while carrying labels over leaves revision 1.
	first := mustImport(t, s, "a.txt", "Title\n\nBody one.\n\nBody two.")
	u := mustUser(t, s, "alice", annotate.RoleAnnotator)
	p := currentParagraphs(t, s, first.DocumentID)
	if _, err := s.SaveAnnotation(ctx, u.ID, p[0].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); err != nil {
		t.Fatal(err)
	}
	before = countRows(t, s)
	drop = failOn("fail_carry", "carry-over")
	if _, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "a.txt", Text: []byte("Title\n\nBody one.\n\nBody three.")}); err == nil {
		t.Fatal("revision import succeeded despite the trigger")
	}
	if after := countRows(t, s); !sameCounts(before, after) {
		t.Errorf("a failed revision left rows: before %v, after %v", before, after)
	}
	d, err := s.Document(ctx, first.DocumentID)
	if err != nil || d.Revision != 1 {
		t.Errorf("document = %+v %v, want revision 1", d, err)
	}
	if cur := currentParagraphs(t, s, first.DocumentID); len(cur) != 2 || cur[0].ID != p[0].ID || cur[1].ID != p[1].ID {
		t.Errorf("current paragraphs changed after a failed revision: %+v", cur)
	}
	exec(drop)

	// A cancelled context writes nothing either.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.ImportDocument(cctx, 0, annotate.Source{Key: "b.txt", Text: []byte("Title\n\nBody.")}); err == nil {
		t.Error("import with a cancelled context succeeded")
	}
	rep, err := s.ImportFS(cctx, seeds.FS, annotate.ImportOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ImportFS with a cancelled context = %+v %v, want context.Canceled", rep, err)
	}
	if after := countRows(t, s); !sameCounts(before, after) {
		t.Errorf("a cancelled import left rows: before %v, after %v", before, after)
	}
}

func sameCounts(a, b map[string]int) bool {
	for _, tb := range tables {
		if a[tb] != b[tb] {
			return false
		}
	}
	return true
}

// TestImportRefusesNonWebURL checks that a document's url must be an http or
// https address, since pages link to it.
func TestImportRefusesNonWebURL(t *testing.T) {
	t.Parallel()
	s := annotatetest.WithSchema(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "docs.jsonl")
	lines := `{"id": "a", "text": "Title\n\nBody.", "url": "https://example.com/a"}
{"id": "b", "text": "Title\n\nBody.", "url": "javascript:alert(1)"}
{"id": "c", "text": "Title\n\nBody.", "url": "example.com/c"}
`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := s.ImportPaths(context.Background(), []string{path}, annotate.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 1 || rep.Failed != 2 {
		t.Fatalf("created %d, failed %d; want 1 and 2 (%+v)", rep.Created, rep.Failed, rep.Results)
	}
	for _, r := range rep.Results {
		if r.Status == annotate.ImportFailed && !strings.Contains(r.Error, "http:// or https://") {
			t.Errorf("%s: error %q does not say what a url must be", r.Origin, r.Error)
		}
	}
}
