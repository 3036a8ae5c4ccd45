package web_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"concord/annotate"
)

// typeEvents imports a document of len(events) paragraphs and saves, as u,
// a label of each whose event is the matching value, so that u has typed
// them all; it returns the paragraphs' ids.
func typeEvents(t testing.TB, st *annotate.Store, u *annotate.User, events []string) []int64 {
	t.Helper()
	ctx := context.Background()
	var text strings.Builder
	text.WriteString("Events typed\n\n")
	for i := range events {
		fmt.Fprintf(&text, "Paragraph number %d about one more event.\n\n", i)
	}
	res, err := st.ImportDocument(ctx, 0, annotate.Source{Key: fmt.Sprintf("events-%d-%d.txt", u.ID, len(events)), Text: []byte(text.String()), Origin: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := st.Paragraphs(ctx, res.DocumentID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, p := range ps {
		if strings.HasPrefix(p.Text, "Paragraph number") {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) < len(events) {
		t.Fatalf("%d paragraphs for %d events", len(ids), len(events))
	}
	for i, ev := range events {
		if _, err := st.SaveAnnotation(ctx, u.ID, ids[i], 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {ev}}); err != nil {
			t.Fatalf("save %q: %v", ev, err)
		}
	}
	return ids[:len(events)]
}

// numbered returns n values made from format and 0 … n-1.
func numbered(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

// suggestion is the answer of the type-ahead's lookup.
type suggestion struct {
	Values []string `json:"values"`
	More   bool     `json:"more"`
}

// TestAPISuggestOpenValues checks the type-ahead's lookup over HTTP: the
// page's boot and the schema carry the 50 most typed values and say there
// are more; the lookup finds the others by the start of what is typed, in
// any case, for whoever may see them; bad requests get a 400 saying what
// was wrong.
func TestAPISuggestOpenValues(t *testing.T) {
	e := newAPIEnv(t)
	typeEvents(t, e.store, e.users["ann1"], numbered("Event number %02d", 70))
	typeEvents(t, e.store, e.users["ann2"], []string{"Event of ann2 only"})

	// The page carries 50 values and says there are more.
	if err := e.store.SetPassword(context.Background(), 0, e.users["ann1"].ID, apiPassword); err != nil {
		t.Fatal(err)
	}
	client := newAPIClient(t)
	e.apiLogin(client, "ann1")
	var boot struct {
		OpenValues     map[string][]string `json:"open_values"`
		OpenValuesMore map[string]bool     `json:"open_values_more"`
	}
	annotateBootData(t, client, e.server.URL+"/annotate", &boot)
	if got := boot.OpenValues["event"]; len(got) != 50 || got[0] != "Event number 00" || got[49] != "Event number 49" || !boot.OpenValuesMore["event"] {
		t.Errorf("boot: %d event values (%q…), more %v; want the 50 oldest of ann1's 70 and more", len(got), got[:min(len(got), 2)], boot.OpenValuesMore["event"])
	}
	var sch struct {
		OpenValues     map[string][]string `json:"open_values"`
		OpenValuesMore map[string]bool     `json:"open_values_more"`
	}
	e.must("ann2", "GET", "/api/v1/schema", nil, 200, &sch)
	if got := sch.OpenValues["event"]; !slices.Equal(got, []string{"Event of ann2 only"}) || sch.OpenValuesMore["event"] {
		t.Errorf("ann2's schema: %q, more %v; want their one value and no more", got, sch.OpenValuesMore["event"])
	}

	for _, tc := range []struct {
		user, query string
		want        []string
		more        bool
	}{
		{"ann1", "dimension=event&q=event%20number%206&limit=20", numbered("Event number 6%d", 10), false},
		{"ann1", "dimension=event&q=EVENT+NUMBER+6&limit=3", numbered("Event number 6%d", 3), true},
		{"ann1", "dimension=event&q=event+of", nil, false},
		{"ann2", "dimension=event&q=event", []string{"Event of ann2 only"}, false},
		{"rev", "dimension=event&q=event+of", []string{"Event of ann2 only"}, false},
		{"rev", "dimension=event&q=zzz", nil, false},
	} {
		var got suggestion
		e.must(tc.user, "GET", "/api/v1/schema/open-values/suggest?"+tc.query, nil, 200, &got)
		if !slices.Equal(got.Values, tc.want) || got.More != tc.more || got.Values == nil {
			t.Errorf("%s ?%s: %q more %v, want %q more %v", tc.user, tc.query, got.Values, got.More, tc.want, tc.more)
		}
	}
	var def suggestion
	e.must("rev", "GET", "/api/v1/schema/open-values/suggest?dimension=event", nil, 200, &def)
	if len(def.Values) != annotate.DefaultOpenValueMatches || !def.More {
		t.Errorf("no q, no limit: %d values, more %v; want the %d most typed and more", len(def.Values), def.More, annotate.DefaultOpenValueMatches)
	}

	for _, tc := range []struct{ query, field, says string }{
		{"q=a", "dimension", "?dimension=event"},
		{"dimension=place&q=a", "dimension", `unknown dimension "place"`},
		{"dimension=stance&q=a", "dimension", "not an open dimension"},
		{"dimension=event&limit=0", "limit", "from 1 to 100"},
		{"dimension=event&limit=101", "limit", "from 1 to 100"},
		{"dimension=event&limit=ten", "limit", "from 1 to 100"},
		{"dimension=event&q=ev%01", "q", "control character U+0001"},
		{"dimension=event&q=ev%FF", "q", "not valid UTF-8"},
	} {
		status, body := e.do("ann1", "GET", "/api/v1/schema/open-values/suggest?"+tc.query, nil)
		if status != 400 {
			t.Errorf("?%s: status %d, want 400: %s", tc.query, status, body)
			continue
		}
		if got := apiDecodeError(t, body); got.Error.Field != tc.field || !strings.Contains(got.Error.Message, tc.says) {
			t.Errorf("?%s: %+v, want field %s saying %q", tc.query, got.Error, tc.field, tc.says)
		}
	}
}

// TestAnnotateBootBounded checks that the annotation page's size does not
// grow with the number of values typed into an open dimension.
func TestAnnotateBootBounded(t *testing.T) {
	e := newAPIEnv(t)
	size := func() int {
		_, body := e.doNoRedirect("rev", "GET", "/annotate", nil)
		return len(body)
	}
	typeEvents(t, e.store, e.users["ann1"], numbered("A first long event name to fill the page, number %03d", 60))
	before := size()
	typeEvents(t, e.store, e.users["ann2"], numbered("A second long event name to fill the page, number %03d", 240))
	// The page holds 50 values either way; the names of the second batch
	// are one character longer than those of the first.
	if after := size(); after > before+50*2 {
		t.Errorf("the annotation page grew from %d to %d bytes with 240 more values typed; want the same size", before, after)
	}
}
