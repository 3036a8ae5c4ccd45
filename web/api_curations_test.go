package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"concord/annotate"
)

// TestCurationsAllStatuses checks that ?status=all lists every flag, as
// the curation page's "All" does, and that the page says who flagged each
// and where it is by position.
func TestCurationsAllStatuses(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	_, ids := e.paragraphs()
	if _, err := e.store.Flag(ctx, e.users["ann1"].ID, ids[1], annotate.CurationNotRelevant, "an advert"); err != nil {
		t.Fatal(err)
	}
	dup, err := e.store.Flag(ctx, e.users["ann2"].ID, ids[2], annotate.CurationDuplicate, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.DecideCurations(ctx, e.users["admin"].ID, []int64{dup.ID}, annotate.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	every, err := curationsOf(e.store, ctx, annotate.CurationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Curations []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"curations"`
	}
	e.must("rev", "GET", "/api/v1/curations?status=all", nil, 200, &list)
	statuses := map[string]int{}
	for _, c := range list.Curations {
		statuses[c.Status]++
	}
	if len(list.Curations) != len(every) || statuses[annotate.StatusConfirmed] != 1 || statuses[annotate.StatusSuggested] == 0 {
		t.Errorf("?status=all listed %d flags %v, want all %d with one confirmed", len(list.Curations), statuses, len(every))
	}
	e.must("rev", "GET", "/api/v1/curations?status=confirmed", nil, 200, &list)
	if len(list.Curations) != 1 || list.Curations[0].ID != dup.ID {
		t.Errorf("?status=confirmed listed %v, want flag %d alone", list.Curations, dup.ID)
	}

	got, body := e.do("admin", "GET", "/admin/curation?status=all", nil)
	if got != 200 {
		t.Fatalf("curation page: status %d", got)
	}
	page := string(body)
	p, err := e.store.Paragraph(ctx, ids[2])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<th>Flagged by</th>", ">ann1<", ">ann2<", "the import", fmt.Sprintf("Paragraph %d of", p.Position+1)} {
		if !strings.Contains(page, want) {
			t.Errorf("the curation page lacks %q", want)
		}
	}
	if strings.Contains(page, fmt.Sprintf("#%d", ids[2])) {
		t.Errorf("the curation page shows paragraph %d by its id", ids[2])
	}
}
