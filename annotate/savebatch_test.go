package annotate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

// TestSavesArrivingTogether fires many saves at once — creates, updates,
// a stale version, a retry of stored labels, two first saves of one
// paragraph by one user — and checks that each gets the outcome it would
// get alone, with its history row. On PostgreSQL the saves share batch
// statements (a row lock held on one paragraph makes the rest gather
// behind it), and one save's failed guard must not touch the others.
func TestSavesArrivingTogether(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	ps := currentParagraphs(t, s, 1)
	if len(ps) < 12 {
		t.Fatalf("need 12 paragraphs, the seed has %d", len(ps))
	}
	users := make([]*annotate.User, 6)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("batch%d", i), annotate.RoleAnnotator)
	}
	first := annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}
	second := annotate.Labels{"stance": {"disagree"}, "topic": {"justice"}}
	// users[0] has labelled paragraphs 0–3 once already.
	for _, p := range ps[:4] {
		if _, err := s.SaveAnnotation(ctx, users[0].ID, p.ID, 0, first); err != nil {
			t.Fatal(err)
		}
	}

	type save struct {
		user     int
		para     int
		version  int
		labels   annotate.Labels
		want     string // "ok", "conflict", or "retry" (see below)
		wantVers int
	}
	var saves []save
	for i := range 4 {
		saves = append(saves, save{0, i, 1, second, "ok", 2})       // update
		saves = append(saves, save{0, i, 0, first, "retry", 1})     // retry of stored labels (a lost answer)
		saves = append(saves, save{1, i, 0, second, "ok", 1})       // another user's first save
		saves = append(saves, save{2, i, 3, second, "conflict", 0}) // no annotation at version 3
	}
	for i := 4; i < 12; i++ {
		for u := 1; u < len(users); u++ {
			saves = append(saves, save{u, i, 0, first, "ok", 1})
		}
	}
	// Two first saves of paragraph 11 by users[0] with the same labels:
	// one creates, the other is the no-op of stored labels.
	saves = append(saves, save{0, 11, 0, second, "ok", 1}, save{0, 11, 0, second, "ok", 1})

	release := func() {}
	if annotatetest.Postgres() {
		// Hold paragraph 0 so that the first statement waits and the other
		// saves gather into batches behind it.
		w, _ := s.SQLForTest()
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SELECT id FROM paragraphs WHERE id = $1 FOR UPDATE", ps[0].ID); err != nil {
			t.Fatal(err)
		}
		release = func() {
			if err := tx.Commit(); err != nil {
				t.Error(err)
			}
		}
	}
	statements0, batched0 := s.SaveBatchesForTest()
	queued0 := s.SavesQueuedForTest()
	results := make([]*annotate.Annotation, len(saves))
	errs := make([]error, len(saves))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, sv := range saves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.SaveAnnotation(ctx, users[sv.user].ID, ps[sv.para].ID, sv.version, sv.labels)
		}()
	}
	close(start)
	// Every save goes through the queue once; wait until all have, the
	// ones of paragraph 0 held behind its lock.
	waitQueued(t, s, queued0, len(saves))
	release()
	wg.Wait()

	for i, sv := range saves {
		switch sv.want {
		case "ok":
			if errs[i] != nil {
				t.Errorf("save %d (user %d, paragraph %d, version %d): %v", i, sv.user, sv.para, sv.version, errs[i])
				continue
			}
			if results[i].Version != sv.wantVers {
				t.Errorf("save %d: version %d, want %d", i, results[i].Version, sv.wantVers)
			}
		case "retry":
			// The retry of stored labels races the update of the same
			// annotation: before it, a no-op answering the stored version
			// 1; after it, a conflict.
			if errs[i] == nil && (results[i].Version != 1 || !results[i].Labels.Equal(first)) {
				t.Errorf("save %d (retry): version %d %v, want the stored version 1", i, results[i].Version, results[i].Labels)
			} else if errs[i] != nil && !isConflict(errs[i]) {
				t.Errorf("save %d (retry): %v, want the stored annotation or a conflict", i, errs[i])
			}
		case "conflict":
			if !isConflict(errs[i]) {
				t.Errorf("save %d (stale version): got %v, want a conflict", i, errs[i])
			}
		}
	}
	// Whichever came first, the stored annotation is the update's.
	for p := range 4 {
		a, err := s.Annotation(ctx, ps[p].ID, users[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != 2 || !a.Labels.Equal(second) {
			t.Errorf("paragraph %d: stored version %d %v, want version 2 %v", p, a.Version, a.Labels, second)
		}
	}
	// Every stored annotation has exactly the history its version says:
	// one create and version-1 updates, the last one after its labels.
	for pi, p := range ps[:12] {
		h, err := historyOf(s, ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for ui, u := range users {
			a, err := s.Annotation(ctx, p.ID, u.ID)
			if annotate.ErrorCode(err) == annotate.ENOTFOUND {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			var creates, updates int
			var last annotate.Change
			for _, c := range h {
				if c.Entity == "annotation" && c.EntityID == a.ID {
					switch c.Action {
					case "create":
						creates++
					case "update":
						updates++
					}
					last = c
				}
			}
			if creates != 1 || updates != a.Version-1 {
				t.Errorf("paragraph %d, user %d: version %d with %d creates and %d updates in the history", pi, ui, a.Version, creates, updates)
			}
			var after annotate.Labels
			if err := json.Unmarshal([]byte(last.After), &after); err != nil || !after.Equal(a.Labels) {
				t.Errorf("paragraph %d, user %d: last history row holds %s, the annotation %v", pi, ui, last.After, a.Labels)
			}
		}
	}
	// The paragraphs' counts of annotators follow the annotations.
	for pi, p := range ps[:12] {
		want := 0
		for _, u := range users {
			if _, err := s.Annotation(ctx, p.ID, u.ID); err == nil {
				want++
			}
		}
		got := annotatorCount(t, s, p.ID)
		if got != want {
			t.Errorf("paragraph %d: count of annotators %d, want %d", pi, got, want)
		}
	}
	if annotatetest.Postgres() {
		statements, batched := s.SaveBatchesForTest()
		statements, batched = statements-statements0, batched-batched0
		if batched <= statements {
			t.Errorf("%d saves went in %d statements: none shared one", batched, statements)
		}
		t.Logf("%d saves in %d batch statements", batched, statements)
	}
}

// annotatorCount returns the count of annotators a paragraph carries.
func annotatorCount(t *testing.T, s *annotate.Store, paragraphID int64) int {
	t.Helper()
	var n int
	if err := s.GormForTest().Raw("SELECT annotators FROM paragraphs WHERE id = ?", paragraphID).Row().Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSavesBatchMapsResults fires, in a shuffled order, one save for every
// annotator and paragraph of a grid — first saves, updates of version 1
// and of version 2, each with labels of its own — and a stale update beside
// some of them. On PostgreSQL they wait behind busy writers and go in full
// batches, which sort them by paragraph and map the statement's rows back
// to the saves. Each save must get its own annotation back (id, creation
// time, version, labels), and each write exactly one history row holding
// the labels it replaced and the ones it wrote.
func TestSavesBatchMapsResults(t *testing.T) {
	ctx := context.Background()
	s := annotatetest.Seeded(t)
	ps := seedParagraphs(t, s)
	if len(ps) < 13 {
		t.Fatalf("need 13 paragraphs, the seeds have %d", len(ps))
	}
	grid := ps[1:13]
	users := make([]*annotate.User, 6)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("grid%d", i), annotate.RoleAnnotator)
	}
	// Labels are numbered by cell and round so that no two saves of the
	// grid, nor a save and the labels it replaces, share them.
	cell := func(p, u int) int { return p*len(users) + u }
	labels := func(p, u, round int) annotate.Labels { return labelsFor(round*len(grid)*len(users) + cell(p, u)) }
	// The stored version of each cell before the batch: none, 1 or 2.
	stored := func(p, u int) int { return (p + u) % 3 }
	for p := range grid {
		for u := range users {
			for v := range stored(p, u) {
				if _, err := s.SaveAnnotation(ctx, users[u].ID, grid[p].ID, v, labels(p, u, v)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	type save struct {
		p, u, version int
		labels        annotate.Labels
		stale         bool
	}
	var saves []save
	for p := range grid {
		for u := range users {
			v := stored(p, u)
			saves = append(saves, save{p, u, v, labels(p, u, 3), false})
			if v == 2 {
				// A save from a tab still showing version 1.
				saves = append(saves, save{p, u, 1, labels(p, u, 4), true})
			}
		}
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(len(saves))

	release := parkWriters(t, s, ps[0].ID)
	statements0, batched0 := s.SaveBatchesForTest()
	queued0 := s.SavesQueuedForTest()
	results := make([]*annotate.Annotation, len(saves))
	errs := make([]error, len(saves))
	var wg sync.WaitGroup
	for _, i := range order {
		sv := saves[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.SaveAnnotation(ctx, users[sv.u].ID, grid[sv.p].ID, sv.version, sv.labels)
		}()
	}
	waitQueued(t, s, queued0, len(saves))
	release()
	wg.Wait()

	for i, sv := range saves {
		if sv.stale {
			if !isConflict(errs[i]) {
				t.Errorf("stale save %d (paragraph %d, user %d, version 1): %v, want a conflict", i, sv.p, sv.u, errs[i])
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("save %d (paragraph %d, user %d, version %d): %v", i, sv.p, sv.u, sv.version, errs[i])
			continue
		}
		a, err := s.Annotation(ctx, grid[sv.p].ID, users[sv.u].ID)
		if err != nil {
			t.Fatal(err)
		}
		got := results[i]
		if got.ID != a.ID || got.ParagraphID != a.ParagraphID || got.UserID != a.UserID || got.Version != sv.version+1 || !got.Labels.Equal(sv.labels) || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("save %d (paragraph %d, user %d) answered id %d paragraph %d user %d version %d %v created %v; stored id %d version %d, created %v; sent %v",
				i, sv.p, sv.u, got.ID, got.ParagraphID, got.UserID, got.Version, got.Labels, got.CreatedAt, a.ID, a.Version, a.CreatedAt, sv.labels)
		}
		if a.Version != sv.version+1 || !a.Labels.Equal(sv.labels) {
			t.Errorf("save %d (paragraph %d, user %d): stored version %d %v, want version %d %v", i, sv.p, sv.u, a.Version, a.Labels, sv.version+1, sv.labels)
		}
		h := annotationHistory(t, s, grid[sv.p].ID, a.ID)
		if len(h) != a.Version {
			t.Errorf("save %d (paragraph %d, user %d): %d history rows for version %d", i, sv.p, sv.u, len(h), a.Version)
			continue
		}
		last := h[len(h)-1]
		wantAction, wantBefore := "create", annotate.Labels(nil)
		if sv.version > 0 {
			wantAction, wantBefore = "update", labels(sv.p, sv.u, sv.version-1)
		}
		if last.Action != wantAction || last.UserID != users[sv.u].ID || last.ParagraphID != grid[sv.p].ID ||
			!labelsOf(t, last.Before).Equal(wantBefore) || !labelsOf(t, last.After).Equal(sv.labels) {
			t.Errorf("save %d (paragraph %d, user %d): history %s by user %d on paragraph %d, %s → %s; want %s by %d on %d, %v → %v",
				i, sv.p, sv.u, last.Action, last.UserID, last.ParagraphID, last.Before, last.After, wantAction, users[sv.u].ID, grid[sv.p].ID, wantBefore, sv.labels)
		}
	}
	if annotatetest.Postgres() {
		statements, batched := s.SaveBatchesForTest()
		statements, batched = statements-statements0, batched-batched0
		if batched <= statements {
			t.Errorf("%d saves went in %d statements: none shared one", batched, statements)
		}
		t.Logf("%d saves in %d batch statements", batched, statements)
	}
}

// TestSavesBatchCredentials sends, in one batch on PostgreSQL, saves whose
// requests carry a live token, a revoked token, the token of a user since
// demoted, the token of a user since disabled, a live session, an ended
// session, and no credential. The statement checks each row's credential
// on its own: the saves whose credential is no longer what it was are
// refused — EUNAUTHORIZED, or ECONFLICT for the changed role — with nothing
// written, and the others are written. On SQLite the same credentials give
// the same answers.
func TestSavesBatchCredentials(t *testing.T) {
	ctx := context.Background()
	s := annotatetest.Seeded(t)
	ps := seedParagraphs(t, s)
	type caller struct {
		name string
		ctx  context.Context
		user *annotate.User
		want string // "" for written, else the error code
	}
	token := func(u *annotate.User) (annotate.Proof, int64, string) {
		secret, tok, err := s.CreateToken(ctx, u.ID, "script")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByToken(ctx, secret); err != nil {
			t.Fatal(err)
		}
		_, p, ok := s.RememberedToken(secret)
		if !ok {
			t.Fatal("token not remembered after its check")
		}
		return p, tok.ID, secret
	}
	session := func(u *annotate.User) (annotate.Proof, string) {
		secret, _, err := s.CreateSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, secret); err != nil {
			t.Fatal(err)
		}
		_, _, p, ok := s.RememberedSession(secret)
		if !ok {
			t.Fatal("session not remembered after its check")
		}
		return p, secret
	}
	var callers []caller
	add := func(name string, u *annotate.User, p *annotate.Proof, want string) {
		c := ctx
		if p != nil {
			c = annotate.WithProof(ctx, *p)
		}
		callers = append(callers, caller{name, c, u, want})
	}
	live := mustUser(t, s, "live-token", annotate.RoleAnnotator)
	p, _, _ := token(live)
	add("live token", live, &p, "")
	revoked := mustUser(t, s, "revoked-token", annotate.RoleAnnotator)
	p, id, _ := token(revoked)
	add("revoked token", revoked, &p, annotate.EUNAUTHORIZED)
	if err := s.RevokeToken(ctx, 0, revoked.ID, id); err != nil {
		t.Fatal(err)
	}
	demoted := mustUser(t, s, "demoted", annotate.RoleReviewer)
	p, _, _ = token(demoted)
	add("demoted user's token", demoted, &p, annotate.ECONFLICT)
	if err := s.SetRole(ctx, 0, demoted.ID, annotate.RoleAnnotator); err != nil {
		t.Fatal(err)
	}
	disabled := mustUser(t, s, "disabled", annotate.RoleAnnotator)
	p, _, _ = token(disabled)
	add("disabled user's token", disabled, &p, annotate.EUNAUTHORIZED)
	if err := s.GormForTest().Exec("UPDATE users SET disabled_at = ? WHERE id = ?", time.Now().UTC(), disabled.ID).Error; err != nil {
		t.Fatal(err)
	}
	browser := mustUser(t, s, "live-session", annotate.RoleAnnotator)
	p, _ = session(browser)
	add("live session", browser, &p, "")
	loggedOut := mustUser(t, s, "ended-session", annotate.RoleAnnotator)
	p, secret := session(loggedOut)
	add("ended session", loggedOut, &p, annotate.EUNAUTHORIZED)
	if err := s.DeleteSession(ctx, secret); err != nil {
		t.Fatal(err)
	}
	add("no credential", mustUser(t, s, "no-credential", annotate.RoleAnnotator), nil, "")

	release := parkWriters(t, s, ps[0].ID)
	queued0 := s.SavesQueuedForTest()
	// Each caller saves three paragraphs, so that every batch holds rows
	// of every kind side by side.
	paras := ps[1:4]
	errs := make([][]error, len(callers))
	var wg sync.WaitGroup
	for i, c := range callers {
		errs[i] = make([]error, len(paras))
		for j, para := range paras {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i][j] = s.SaveAnnotation(c.ctx, c.user.ID, para.ID, 0, labelsFor(i*len(paras)+j))
			}()
		}
	}
	waitQueued(t, s, queued0, len(callers)*len(paras))
	release()
	wg.Wait()

	for i, c := range callers {
		for j, para := range paras {
			err := errs[i][j]
			n, h := annotationRows(t, s, para.ID, c.user.ID)
			if c.want == "" {
				if err != nil {
					t.Errorf("%s, paragraph %d: %v", c.name, j, err)
				}
				if n != 1 || h != 1 {
					t.Errorf("%s, paragraph %d: %d annotations and %d history rows, want 1 and 1", c.name, j, n, h)
				}
				continue
			}
			if got := annotate.ErrorCode(err); got != c.want {
				t.Errorf("%s, paragraph %d: %v (%s), want %s", c.name, j, err, got, c.want)
			}
			if n != 0 || h != 0 {
				t.Errorf("%s, paragraph %d: refused, yet %d annotations and %d history rows", c.name, j, n, h)
			}
		}
	}
}

// TestSavesBatchStatementFails puts in one batch, beside good saves, a save
// the database refuses as a whole statement: a first save for a user who
// does not exist, which breaks the foreign key. On PostgreSQL the batch
// statement fails and its saves are written again one by one, so that only
// that save fails; each of the others is written once, with one history
// row. SQLite, which writes them one by one anyway, must answer the same.
func TestSavesBatchStatementFails(t *testing.T) {
	ctx := context.Background()
	s := annotatetest.Seeded(t)
	ps := seedParagraphs(t, s)
	users := make([]*annotate.User, 3)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("beside%d", i), annotate.RoleAnnotator)
	}
	// users[0] has version 1 of paragraphs 1–4, to update in the batch.
	for p := 1; p <= 4; p++ {
		if _, err := s.SaveAnnotation(ctx, users[0].ID, ps[p].ID, 0, labelsFor(100+p)); err != nil {
			t.Fatal(err)
		}
	}
	const ghost = int64(1) << 40
	type save struct {
		user          int64
		para, version int
	}
	var saves []save
	for p := 1; p <= 6; p++ {
		v := 0
		if p <= 4 {
			v = 1
		}
		saves = append(saves, save{users[0].ID, p, v}, save{users[1].ID, p, 0}, save{users[2].ID, p, 0})
	}
	bad := len(saves)
	saves = append(saves, save{ghost, 3, 0})

	release := parkWriters(t, s, ps[0].ID)
	statements0, _ := s.SaveBatchesForTest()
	queued0 := s.SavesQueuedForTest()
	errs := make([]error, len(saves))
	var wg sync.WaitGroup
	for i, sv := range saves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.SaveAnnotation(ctx, sv.user, ps[sv.para].ID, sv.version, labelsFor(i))
		}()
	}
	waitQueued(t, s, queued0, len(saves))
	release()
	wg.Wait()

	t.Logf("refused: %v (%s)", errs[bad], annotate.ErrorCode(errs[bad]))
	if errs[bad] == nil {
		t.Error("the save of a user who does not exist was accepted")
	}
	if n, h := annotationRows(t, s, ps[3].ID, ghost); n != 0 || h != 0 {
		t.Errorf("the refused save left %d annotations and %d history rows", n, h)
	}
	for i, sv := range saves[:bad] {
		if errs[i] != nil {
			t.Errorf("save %d (paragraph %d, version %d), beside the refused one: %v", i, sv.para, sv.version, errs[i])
			continue
		}
		a, err := s.Annotation(ctx, ps[sv.para].ID, sv.user)
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != sv.version+1 || !a.Labels.Equal(labelsFor(i)) {
			t.Errorf("save %d: stored version %d %v, want version %d %v", i, a.Version, a.Labels, sv.version+1, labelsFor(i))
		}
		if h := annotationHistory(t, s, ps[sv.para].ID, a.ID); len(h) != a.Version {
			t.Errorf("save %d: %d history rows for version %d", i, len(h), a.Version)
		}
	}
	if annotatetest.Postgres() {
		statements, _ := s.SaveBatchesForTest()
		t.Logf("%d saves in %d batch statements", len(saves), statements-statements0)
	}
}
