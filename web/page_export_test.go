package web_test

import (
	"strings"
	"testing"
)

// TestExportPageSplitWarning checks that the export page warns when the
// split cannot give every part a document (the seed corpus has two
// documents, so 80/10/10 leaves dev and test empty), and not otherwise.
func TestExportPageSplitWarning(t *testing.T) {
	e := newAPIEnv(t)
	page := string(e.must("rev", "GET", "/export", nil, 200, nil))
	if !strings.Contains(page, `id="split-warning"`) || !strings.Contains(page, "the split 80/10/10 cannot give dev and test a document") {
		t.Errorf("the export page with the default split does not warn about dev and test:\n%s", page)
	}
	if page := string(e.must("rev", "GET", "/export?split=50/50/0", nil, 200, nil)); strings.Contains(page, `id="split-warning"`) {
		t.Errorf("the export page warns about a split that fits two documents")
	}
	if page := string(e.must("rev", "GET", "/export", nil, 200, nil)); !strings.Contains(page, "Paragraphs labelled by a single annotator and ties are not gold") {
		t.Errorf("the export page does not say what a gold label is")
	}
}
