package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"concord/annotate"
	"concord/export"
)

// controlTexts are paragraph texts that XML 1.0 cannot hold as they are,
// or that look like the escape Excel uses for them.
var controlTexts = []string{
	"Group\x1dseparated\x1cfields from a wire feed.",
	"A literal _x001C_ stays literal, and so does _x005F_x0041_.",
	"Start of heading \x01 and delete \x7f and a private \ue000 mark.",
	"An escape-looking _x0041\x1c right before a control.",
}

// sheetXML returns the XML of each worksheet of an xlsx file, by sheet name.
func sheetXML(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		f, err := zr.Open(name)
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	wb, rels := read("xl/workbook.xml"), read("xl/_rels/workbook.xml.rels")
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"`).FindAllStringSubmatch(wb, -1) {
		target := regexp.MustCompile(`Id="` + m[2] + `"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="` + m[2] + `"`).FindStringSubmatch(rels)
		if target == nil {
			t.Fatalf("no target for sheet %s", m[1])
		}
		p := target[1] + target[2]
		out[m[1]] = read("xl/" + strings.TrimPrefix(p, "/xl/"))
	}
	return out
}

// TestXLSXControlCharactersRoundTrip exports paragraphs holding control
// characters and literal _xHHHH_ sequences: the workbook holds them as
// ST_Xstring escapes, reads back as the stored text, and the untouched
// workbook's gold import succeeds with nothing to do; a decision on such a
// row is stored.
func TestXLSXControlCharactersRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	paras := importDoc(t, s, "wire.txt", "Wire \x1c feed", controlTexts...)
	alice, err := s.CreateUser(ctx, 0, "alice", annotate.RoleAnnotator, "password-alice")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paras {
		if p.Text != controlTexts[i] {
			t.Fatalf("paragraph %d stored as %q, want %q", i, p.Text, controlTexts[i])
		}
		label(t, s, alice.ID, p.ID, annotate.Labels{"stance": {"discuss"}, "topic": {"media"}})
	}
	f, _, data := writeXLSX(t, s, export.Options{})

	xml := sheetXML(t, data)[export.SheetParagraphs]
	if strings.ContainsRune(xml, '\ufffd') {
		t.Errorf("the Paragraphs sheet holds U+FFFD: a character was lost")
	}
	for _, want := range []string{"Group_x001D_separated_x001C_fields", "A literal _x005F_x001C_ stays literal", "_x005F_x005F_x005F_x0041_", "heading _x0001_ and", "private _xE000_ mark", "_x005F_x0041_x001C_ right"} {
		if !strings.Contains(xml, want) {
			t.Errorf("the Paragraphs sheet lacks %q", want)
		}
	}

	rows := rowsOf(t, f, export.SheetParagraphs)
	textCol, titleCol := colIndex(rows[0], "text"), colIndex(rows[0], "title")
	for i, want := range controlTexts {
		if got := rows[i+1][textCol]; got != want {
			t.Errorf("row %d text reads back as %q, want %q", i+2, got, want)
		}
		if got := rows[i+1][titleCol]; got != "Wire \x1c feed" {
			t.Errorf("row %d title reads back as %q", i+2, got)
		}
	}

	rep, err := export.ImportGold(ctx, s, 0, bytes.NewReader(data), false)
	if err != nil || rep.Rows != len(controlTexts) || rep.Decisions != 0 {
		t.Fatalf("gold import of the untouched workbook: %+v, %v; want %d rows and no decision", rep, err, len(controlTexts))
	}
	edited := editWorkbook(t, data, func(wb *excelize.File, header []string, rowOf func(string) int) {
		setCell(t, wb, header, "gold: stance", rowOf(controlTexts[0]), "agree")
	})
	rep, err = export.ImportGold(ctx, s, 0, bytes.NewReader(edited), false)
	if err != nil || len(rep.Changes) != 1 {
		t.Fatalf("gold import of an edited row: %+v, %v; want one change", rep, err)
	}
	if g, err := s.GoldLabel(ctx, paras[0].ID); err != nil || g.Labels["stance"][0] != "agree" {
		t.Errorf("gold of the row with control characters: %+v, %v", g, err)
	}
}

// TestXLSXDimensions checks that every sheet declares the range it fills,
// as readers that trust <dimension> (openpyxl in read-only mode) need.
func TestXLSXDimensions(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	f, _, data := writeXLSX(t, fx.store, export.Options{IncludeFlagged: true})
	dimRe := regexp.MustCompile(`<dimension ref="([^"]+)"`)
	sheets := sheetXML(t, data)
	for _, name := range f.GetSheetList() {
		m := dimRe.FindStringSubmatch(sheets[name])
		if m == nil {
			t.Errorf("sheet %s declares no dimension", name)
			continue
		}
		rows := rowsOf(t, f, name)
		cols := 0
		for _, r := range rows {
			cols = max(cols, len(r))
		}
		want, _ := excelize.CoordinatesToCellName(cols, len(rows))
		switch name {
		case export.SheetParagraphs, export.SheetAnnotations, export.SheetSchema, export.SheetAbout:
			// Every column of these has a header or a value in its widest row.
			if m[1] != "A1:"+want {
				t.Errorf("sheet %s declares %s, want A1:%s", name, m[1], want)
			}
		default:
			_, lastRow, err := excelize.CellNameToCoordinates(strings.TrimPrefix(m[1], "A1:"))
			if err != nil || lastRow != len(rows) {
				t.Errorf("sheet %s declares %s, want its %d rows", name, m[1], len(rows))
			}
		}
	}
	if got := dimRe.FindStringSubmatch(sheets[export.SheetParagraphs])[1]; got != "A1:"+lastCell(t, f, len(fx.paras)+1) {
		t.Errorf("Paragraphs declares %s for %d paragraphs", got, len(fx.paras))
	}
}

// lastCell names the cell in the Paragraphs header's last column at row.
func lastCell(t *testing.T, f *excelize.File, row int) string {
	t.Helper()
	header := rowsOf(t, f, export.SheetParagraphs)[0]
	c, err := excelize.CoordinatesToCellName(len(header), row)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLabelledImportControlCharacters checks that a labelled file goes by
// the import's one rule: a NUL is a line error naming the line and
// character, and nothing is written; other control characters are kept,
// and the export writes them back as JSON escapes.
func TestLabelledImportControlCharacters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	bad := writeTemp(t, "bad.jsonl", []byte(`{"text": "fine", "label": ["stance:agree", "topic:media"]}`+"\n"+`{"text": "bad\u0000 here", "label": ["stance:agree", "topic:media"]}`+"\n"))
	rep, err := export.ImportFile(ctx, s, bad, export.ImportOptions{Shape: export.ShapeDoccano})
	if err != nil || len(rep.Errors) != 1 || rep.Errors[0].Line != 2 || rep.Errors[0].Field != "text" || !strings.Contains(rep.Errors[0].Message, "U+0000 at line 1, character 4") || rep.Documents != 0 {
		t.Fatalf("NUL in a doccano line: %+v, %v; want one error on line 2 naming U+0000 and nothing written", rep, err)
	}
	good := writeTemp(t, "good.jsonl", []byte(`{"text": "Group\u001dseparated\u001cfields.", "label": ["stance:agree", "topic:media"]}`+"\n"))
	rep, err = export.ImportFile(ctx, s, good, export.ImportOptions{Shape: export.ShapeDoccano})
	if err != nil || rep.Err() != nil || rep.Created != 1 {
		t.Fatalf("U+001C in a doccano line: %+v, %v; want it imported", rep, err)
	}
	for _, shape := range []export.Shape{export.ShapeDataset, export.ShapeLabelStudio, export.ShapeDoccano} {
		_, raw := exportLines(t, s, export.Options{Shape: shape, Split: export.SplitOptions{Off: true}})
		if len(raw) != 1 || !strings.Contains(raw[0], `Group\u001dseparated\u001cfields.`) {
			t.Errorf("%s export: %q, want the control characters as JSON escapes", shape, raw)
		}
	}
}
