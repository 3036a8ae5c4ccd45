package web_test

// Races between clients of two Concord servers on one database, through
// HTTP: the store-level race suite (annotate/race_test.go) again, with each
// side of a race sent to another server, as teams run Concord behind a
// proxy. With CONCORD_TEST_POSTGRES set the two servers share a PostgreSQL
// database; otherwise they share one SQLite file, as two processes would.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/seeds"
	"concord/web"
)

// webRaceRounds is how many rounds each race runs.
const webRaceRounds = 25

// twoServers is two Concord servers, each over its own store, on one
// database, with users and bearer tokens made through the first.
type twoServers struct {
	t       *testing.T
	stores  [2]*annotate.Store
	servers [2]*httptest.Server
	users   map[string]*annotate.User
	tokens  map[string]string
}

func newTwoServers(t *testing.T, annotators int) *twoServers {
	t.Helper()
	ctx := context.Background()
	dsn := annotatetest.DSN(t)
	ts := &twoServers{t: t, users: map[string]*annotate.User{}, tokens: map[string]string{}}
	for i := range ts.stores {
		st, err := annotate.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("open store %d: %v", i, err)
		}
		t.Cleanup(func() { st.Close() })
		ts.stores[i] = st
		if i == 0 {
			annotatetest.ApplyDefaultSchema(t, st)
			if rep, err := st.ImportFS(ctx, seeds.FS, annotate.ImportOptions{}); err != nil || rep.Err() != nil {
				t.Fatalf("import seeds: %v %v", err, rep.Err())
			}
		}
		srv := httptest.NewServer(web.New(st, web.Config{Logger: slog.New(slog.DiscardHandler)}).Handler())
		t.Cleanup(srv.Close)
		ts.servers[i] = srv
	}
	roles := map[string]annotate.Role{"admin": annotate.RoleAdmin, "rev1": annotate.RoleReviewer, "rev2": annotate.RoleReviewer}
	for i := range annotators {
		roles[fmt.Sprintf("ann%d", i)] = annotate.RoleAnnotator
	}
	for name, role := range roles {
		u, err := ts.stores[0].CreateUser(ctx, 0, name, role, "")
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := ts.stores[0].CreateToken(ctx, u.ID, "race")
		if err != nil {
			t.Fatal(err)
		}
		ts.users[name], ts.tokens[name] = u, secret
	}
	return ts
}

// do sends a request to server i as user and returns the status and body.
func (ts *twoServers) do(i int, user, method, path string, body string) (int, []byte) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.servers[i].URL+path, rd)
	if err != nil {
		ts.t.Error(err)
		return 0, nil
	}
	req.Header.Set("Authorization", "Bearer "+ts.tokens[user])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// paragraphIDs returns the current paragraphs of the first seed document.
func (ts *twoServers) paragraphIDs() []int64 {
	ps, err := ts.stores[0].Paragraphs(context.Background(), 1, 0)
	if err != nil {
		ts.t.Fatal(err)
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

func TestTwoServersGoldRace(t *testing.T) {
	ts := newTwoServers(t, 0)
	ctx := context.Background()
	ids := ts.paragraphIDs()
	for round := range webRaceRounds {
		p := ids[round%len(ids)]
		version := 0
		if g, err := ts.stores[0].GoldLabel(ctx, p); err == nil {
			version = g.Version
		}
		path := fmt.Sprintf("/api/v1/paragraphs/%d/gold", p)
		stance := [2]string{"agree", "disagree"}
		var codes [2]int
		annotatetest.Together(
			func() {
				codes[0], _ = ts.do(0, "rev1", "PUT", path, fmt.Sprintf(`{"version":%d,"labels":{"stance":%q,"topic":["strike"],"event":"r%d"},"method":"own"}`, version, stance[0], round))
			},
			func() {
				codes[1], _ = ts.do(1, "rev2", "PUT", path, fmt.Sprintf(`{"version":%d,"labels":{"stance":%q,"topic":["strike"],"event":"r%d"},"method":"own"}`, version, stance[1], round))
			},
		)
		won := -1
		for i, c := range codes {
			switch {
			case c == http.StatusOK || c == http.StatusCreated:
				if won >= 0 {
					t.Fatalf("round %d: both reviewers' gold with version %d was accepted (%v)", round, version, codes)
				}
				won = i
			case c != http.StatusConflict:
				t.Fatalf("round %d: status %d, want 200/201 or 409", round, c)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: no gold accepted: %v", round, codes)
		}
		g, err := ts.stores[1].GoldLabel(ctx, p)
		if err != nil || g.Labels["stance"][0] != stance[won] || g.Version != version+1 {
			t.Fatalf("round %d: stored gold %v (%v), want the winner's %s at version %d", round, g, err, stance[won], version+1)
		}
	}
}

func TestTwoServersDeleteAndPutRace(t *testing.T) {
	ts := newTwoServers(t, 1)
	ctx := context.Background()
	ids := ts.paragraphIDs()
	ann := ts.users["ann0"]
	for round := range webRaceRounds {
		p := ids[round%len(ids)]
		path := fmt.Sprintf("/api/v1/paragraphs/%d/annotation", p)
		version := 0
		if a, err := ts.stores[0].Annotation(ctx, p, ann.ID); err == nil {
			version = a.Version
		}
		code, body := ts.do(0, "ann0", "PUT", path, fmt.Sprintf(`{"version":%d,"labels":{"stance":"agree","topic":["strike"],"event":"r%d"}}`, version, round))
		if code != http.StatusOK && code != http.StatusCreated {
			t.Fatalf("round %d: setting up: %d %s", round, code, body)
		}
		var saved struct {
			Version int `json:"version"`
		}
		if err := json.Unmarshal(body, &saved); err != nil || saved.Version == 0 {
			t.Fatalf("round %d: answer %s: %v", round, body, err)
		}
		var putCode, delCode int
		annotatetest.Together(
			func() {
				putCode, _ = ts.do(0, "ann0", "PUT", path, fmt.Sprintf(`{"version":%d,"labels":{"stance":"discuss","topic":["justice"]}}`, saved.Version))
			},
			func() { delCode, _ = ts.do(1, "ann0", "DELETE", fmt.Sprintf("%s?version=%d", path, saved.Version), "") },
		)
		got, getErr := ts.stores[1].Annotation(ctx, p, ann.ID)
		switch {
		case putCode == http.StatusOK && delCode == http.StatusNoContent || putCode == http.StatusOK && delCode == http.StatusOK:
			t.Fatalf("round %d: the save and the removal of version %d both succeeded; stored %v (%v)", round, saved.Version, got, getErr)
		case putCode == http.StatusOK:
			if delCode != http.StatusConflict || getErr != nil || got.Labels["stance"][0] != "discuss" {
				t.Fatalf("round %d: save won, removal %d, stored %v (%v)", round, delCode, got, getErr)
			}
		case putCode == http.StatusConflict:
			if delCode/100 != 2 || annotate.ErrorCode(getErr) != annotate.ENOTFOUND {
				t.Fatalf("round %d: save refused, removal %d, stored %v (%v)", round, delCode, got, getErr)
			}
		default:
			t.Fatalf("round %d: save %d, removal %d", round, putCode, delCode)
		}
	}
}

func TestTwoServersQueueLeases(t *testing.T) {
	const annotators = 20
	ts := newTwoServers(t, annotators)
	ctx := context.Background()
	if err := ts.stores[0].SetOverlap(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	got := make([][]int64, annotators)
	fns := make([]func(), annotators)
	for i := range fns {
		fns[i] = func() {
			code, body := ts.do(i%2, fmt.Sprintf("ann%d", i), "GET", "/api/v1/queue/next?limit=1", "")
			if code != http.StatusOK {
				t.Errorf("annotator %d: %d %s", i, code, body)
				return
			}
			var q struct {
				Items []struct {
					Paragraph struct {
						ID int64 `json:"id"`
					} `json:"paragraph"`
				} `json:"items"`
			}
			if err := json.Unmarshal(body, &q); err != nil {
				t.Errorf("annotator %d: %v in %s", i, err, body)
				return
			}
			for _, it := range q.Items {
				got[i] = append(got[i], it.Paragraph.ID)
			}
		}
	}
	annotatetest.Together(fns...)
	holder := map[int64]int{}
	for i, ps := range got {
		if len(ps) != 1 {
			t.Errorf("annotator %d got %d paragraphs, want 1 (the seeds have more than %d)", i, len(ps), annotators)
		}
		for _, p := range ps {
			if j, ok := holder[p]; ok {
				t.Errorf("paragraph %d handed to annotators %d and %d at once with overlap 1", p, j, i)
			}
			holder[p] = i
		}
	}
}

func TestTwoServersParallelSchemaApplies(t *testing.T) {
	ts := newTwoServers(t, 0)
	ctx := context.Background()
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	codes := make([]int, n)
	bodies := make([][]byte, n)
	fns := make([]func(), n)
	for i := range fns {
		// Each apply words the event's description its own way, so every
		// body differs.
		yaml := strings.Replace(string(data), "    title: Event\n", fmt.Sprintf("    title: Event %d\n", i), 1)
		if yaml == string(data) {
			t.Fatal("the default schema has no event dimension to vary")
		}
		req, _ := json.Marshal(map[string]string{"yaml": yaml})
		fns[i] = func() { codes[i], bodies[i] = ts.do(i%2, "admin", "POST", "/api/v1/schema", string(req)) }
	}
	annotatetest.Together(fns...)
	for i := range n {
		switch codes[i] {
		case http.StatusOK, http.StatusCreated:
		case http.StatusConflict:
			if !strings.Contains(string(bodies[i]), `"current"`) {
				t.Errorf("apply %d: 409 without the current version: %s", i, bodies[i])
			}
		default:
			t.Errorf("apply %d: status %d %s, want success or 409 with current", i, codes[i], bodies[i])
		}
	}
	versions, err := ts.stores[1].SchemaVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range versions {
		if want := len(versions) - i; v.Version != want {
			t.Fatalf("stored versions are not 1…%d in order: %d at %d", len(versions), v.Version, i)
		}
	}
}
