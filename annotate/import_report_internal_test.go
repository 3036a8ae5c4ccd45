package annotate

import "testing"

// TestImportReportIsBounded adds more results than the report lists and
// checks that the counts stay whole while the list stops at the bound,
// failures kept apart from the rest.
func TestImportReportIsBounded(t *testing.T) {
	var seen int
	r := &ImportReport{onResult: func(ImportResult) { seen++ }}
	for i := range 2*MaxReportResults + 5 {
		r.add(ImportResult{Status: ImportCreated, Origin: "x"})
		if i%2 == 0 {
			r.add(ImportResult{Status: ImportFailed, Origin: "y"})
		}
	}
	created, failed := 2*MaxReportResults+5, MaxReportResults+3
	if r.Created != created || r.Failed != failed || r.Total() != created+failed || seen != created+failed {
		t.Fatalf("created %d failed %d total %d seen %d; want %d, %d, %d, %d", r.Created, r.Failed, r.Total(), seen, created, failed, created+failed, created+failed)
	}
	var fails int
	for _, res := range r.Results {
		if res.Status == ImportFailed {
			fails++
		}
	}
	if fails != MaxReportResults || len(r.Results) != 2*MaxReportResults {
		t.Errorf("listed %d results, %d failures; want %d and %d", len(r.Results), fails, 2*MaxReportResults, MaxReportResults)
	}
	if r.Omitted != created+failed-2*MaxReportResults {
		t.Errorf("omitted %d, want %d", r.Omitted, created+failed-2*MaxReportResults)
	}
}
