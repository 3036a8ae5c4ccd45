package export_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"concord/annotate"
	"concord/export"
)

func writeXLSX(t testing.TB, s *annotate.Store, opt export.Options) (*excelize.File, *export.Summary, []byte) {
	t.Helper()
	opt.Format = export.FormatXLSX
	var buf bytes.Buffer
	sum, err := export.Write(context.Background(), s, &buf, opt)
	if err != nil {
		t.Fatalf("export xlsx: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("open the exported workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, sum, buf.Bytes()
}

func rowsOf(t testing.TB, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("read sheet %s: %v", sheet, err)
	}
	return rows
}

func colIndex(header []string, name string) int {
	return slices.Index(header, name)
}

func TestXLSXSheetsAndCells(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wb, sum, _ := writeXLSX(t, f.store, export.Options{})
	if got, want := wb.GetSheetList(), []string{"Paragraphs", "Annotations", "Suggestions", "Agreement", "Schema", "About"}; !slices.Equal(got, want) {
		t.Fatalf("sheets: got %v, want %v", got, want)
	}
	paras := rowsOf(t, wb, "Paragraphs")
	header := paras[0]
	for _, h := range []string{"paragraph_id", "id", "text", "gold_source", "gold: stance", "gold: topic", "support: stance", "alice: stance", "carol: topic", "flags", "text_sha256", "gold_version", "exported_gold"} {
		if colIndex(header, h) < 0 {
			t.Errorf("Paragraphs header has no %q: %v", h, header)
		}
	}
	if got, want := len(paras)-1, len(f.paras)-1; got != want {
		t.Errorf("Paragraphs rows: got %d, want %d", got, want)
	}
	textCol := colIndex(header, "text")
	// Formula-like texts stay text: no formula, the value as written.
	for _, txt := range hardTexts {
		found := false
		for r := 1; r < len(paras); r++ {
			if paras[r][textCol] != txt {
				continue
			}
			found = true
			cell, _ := excelize.CoordinatesToCellName(textCol+1, r+1)
			formula, err := wb.GetCellFormula("Paragraphs", cell)
			if err != nil || formula != "" {
				t.Errorf("cell %s (%q): got formula %q (err %v), want none", cell, txt, formula, err)
			}
			typ, _ := wb.GetCellType("Paragraphs", cell)
			if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
				t.Errorf("cell %s (%q): got type %v, want a string cell", cell, txt, typ)
			}
		}
		if !found {
			t.Errorf("text %q is not in the Paragraphs sheet unchanged", txt)
		}
	}
	// The 40,000-character text is cut with a visible marker and counted.
	cut := 0
	for r := 1; r < len(paras); r++ {
		if v := paras[r][textCol]; len(v) > 30000 {
			cut++
			if !strings.Contains(v, "[cut:") || len([]rune(v)) > export.MaxExcelCellChars {
				t.Errorf("long cell: %d characters, marker present %t; want at most %d with the marker", len([]rune(v)), strings.Contains(v, "[cut:"), export.MaxExcelCellChars)
			}
		}
	}
	if cut != 1 || sum.Truncated != 1 {
		t.Errorf("cut cells: got %d in the sheet, %d in the summary, want 1 and 1", cut, sum.Truncated)
	}
	about := rowsOf(t, wb, "About")
	aboutText := ""
	for _, r := range about {
		aboutText += strings.Join(r, "\t") + "\n"
	}
	for _, want := range []string{"exported at", "cells cut\t1", "cut in text\t1", "gold_source", "separated by a comma", "flagged paragraphs"} {
		if !strings.Contains(aboutText, want) {
			t.Errorf("About has no %q:\n%s", want, aboutText)
		}
	}
	ann := rowsOf(t, wb, "Annotations")
	if got := ann[0]; !slices.Equal(got, []string{"paragraph_id", "id", "annotator", "dimension", "value", "time"}) {
		t.Errorf("Annotations header: %v", got)
	}
	if len(ann) < 10 {
		t.Errorf("Annotations: got %d rows, want one per label", len(ann))
	}
	schema := rowsOf(t, wb, "Schema")
	if schema[1][0] != "stance" || schema[1][2] != "agree" {
		t.Errorf("Schema first row: got %v, want stance agree", schema[1])
	}
	agr := rowsOf(t, wb, "Agreement")
	agrText := ""
	for _, r := range agr {
		agrText += strings.Join(r, "\t") + "\n"
	}
	for _, want := range []string{"stance (single)", "topic (multi)", "Krippendorff's alpha (nominal)", "Krippendorff's alpha (MASI)", "annotator A"} {
		if !strings.Contains(agrText, want) {
			t.Errorf("Agreement has no %q:\n%s", want, agrText)
		}
	}
	// Frozen header, autofilter and gold drop-downs.
	panes, err := wb.GetPanes("Paragraphs")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("Paragraphs panes: got %+v (err %v), want the header row frozen", panes, err)
	}
	dvs, err := wb.GetDataValidations("Paragraphs")
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string]string{}
	for _, dv := range dvs {
		lists[dv.Sqref] = dv.Formula1
	}
	goldStance, _ := excelize.ColumnNumberToName(colIndex(header, "gold: stance") + 1)
	last := fmt.Sprint(len(paras))
	if got := lists[goldStance+"2:"+goldStance+last]; !strings.Contains(got, "Schema!$C$2:$C$5") {
		t.Errorf("gold: stance drop-down: got %q in %v, want the stance keys of the Schema sheet", got, lists)
	}
}

func TestXLSXContinuesOnNewSheets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wb, _, _ := writeXLSX(t, f.store, export.Options{MaxRows: 4, IncludeFlagged: true})
	sheets := wb.GetSheetList()
	// 3 rows under the header per sheet; continuation sheets follow the
	// first two, and the small sheets come last.
	var paraSheets []string
	for _, name := range sheets {
		if strings.HasPrefix(name, "Paragraphs") {
			paraSheets = append(paraSheets, name)
		}
	}
	want := []string{"Paragraphs"}
	for i := 2; i <= (len(f.paras)+2)/3; i++ {
		want = append(want, fmt.Sprintf("Paragraphs (%d)", i))
	}
	if !slices.Equal(paraSheets, want) {
		t.Errorf("paragraph sheets: got %v, want %v", paraSheets, want)
	}
	if got := sheets[:2]; !slices.Equal(got, []string{"Paragraphs", "Annotations"}) {
		t.Errorf("first sheets: got %v", got)
	}
	if got := sheets[len(sheets)-3:]; !slices.Equal(got, []string{"Agreement", "Schema", "About"}) {
		t.Errorf("last sheets: got %v", got)
	}
	total := 0
	for _, name := range sheets {
		if !strings.HasPrefix(name, "Paragraphs") {
			continue
		}
		rows := rowsOf(t, wb, name)
		if rows[0][0] != "paragraph_id" {
			t.Errorf("%s: header %v, want it repeated", name, rows[0])
		}
		if len(rows) > 4 {
			t.Errorf("%s: %d rows, want at most 4", name, len(rows))
		}
		total += len(rows) - 1
	}
	if total != len(f.paras) {
		t.Errorf("paragraph rows over all sheets: got %d, want %d", total, len(f.paras))
	}
	if !slices.Contains(sheets, "Annotations (2)") {
		t.Errorf("the Annotations sheet did not go on in Annotations (2): %v", sheets)
	}
}

// editWorkbook opens an exported workbook, lets edit change the
// Paragraphs sheet, and returns the saved bytes.
func editWorkbook(t *testing.T, data []byte, edit func(f *excelize.File, header []string, rowOf func(text string) int)) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := rowsOf(t, f, "Paragraphs")
	header := rows[0]
	textCol := colIndex(header, "text")
	rowOf := func(text string) int {
		for i, r := range rows {
			if r[textCol] == text {
				return i + 1
			}
		}
		t.Fatalf("no row with text %q", text)
		return 0
	}
	edit(f, header, rowOf)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func setCell(t *testing.T, f *excelize.File, header []string, column string, row int, value string) {
	t.Helper()
	cell, _ := excelize.CoordinatesToCellName(colIndex(header, column)+1, row)
	if err := f.SetCellStr("Paragraphs", cell, value); err != nil {
		t.Fatal(err)
	}
}

func TestXLSXGoldRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	_, _, data := writeXLSX(t, f.store, export.Options{})
	first := f.paras[0]       // majority agree, 2 of 3
	arabic := f.paras[6]      // majority discuss, 2 of 2
	adjudicated := f.paras[8] // adjudicated disagree
	edited := editWorkbook(t, data, func(wb *excelize.File, header []string, rowOf func(string) int) {
		setCell(t, wb, header, "gold: stance", rowOf(first.Text), "discuss")
		setCell(t, wb, header, "gold: topic", rowOf(first.Text), "homeland-security, Intelligence and monitoring")
		setCell(t, wb, header, "gold_source", rowOf(arabic.Text), "adjudicated")
	})
	reviewer := f.users["rita"]

	rep, err := export.ImportGold(ctx, f.store, reviewer, bytes.NewReader(edited), true)
	if err != nil || len(rep.Changes) != 2 {
		t.Fatalf("dry run: got %v, %+v; want 2 changes", err, rep)
	}
	if _, err := f.store.GoldLabel(ctx, first.ID); err == nil {
		t.Fatalf("a dry run stored a gold label")
	}
	rep, err = export.ImportGold(ctx, f.store, reviewer, bytes.NewReader(edited), false)
	if err != nil {
		t.Fatalf("import gold: %v", err)
	}
	if rep.Decisions != 2 || len(rep.Changes) != 2 {
		t.Errorf("got %d decisions and %d changes, want 2 and 2", rep.Decisions, len(rep.Changes))
	}
	g, err := f.store.GoldLabel(ctx, first.ID)
	if err != nil || g.Method != "excel" || g.Labels["stance"][0] != "discuss" || !slices.Equal(g.Labels["topic"], []string{"homeland-security", "intelligence"}) {
		t.Errorf("gold of the first paragraph: got %+v (err %v), want discuss, [homeland-security intelligence] by excel", g, err)
	}
	g, err = f.store.GoldLabel(ctx, arabic.ID)
	if err != nil || g.Labels["stance"][0] != "discuss" {
		t.Errorf("accepted majority: got %+v (err %v), want discuss", g, err)
	}
	if g, _ := f.store.GoldLabel(ctx, adjudicated.ID); g.Version != 1 {
		t.Errorf("untouched adjudicated row: version %d, want 1", g.Version)
	}
	// The same file again changes nothing.
	rep, err = export.ImportGold(ctx, f.store, reviewer, bytes.NewReader(edited), false)
	if err != nil || len(rep.Changes) != 0 {
		t.Errorf("second import: got %v and %d changes, want none", err, len(rep.Changes))
	}
}

func TestXLSXGoldRefusesMismatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	_, _, data := writeXLSX(t, f.store, export.Options{})
	first, second := f.paras[0], f.paras[2]
	adjudicated := f.paras[8]
	tests := []struct {
		name  string
		edit  func(wb *excelize.File, header []string, rowOf func(string) int)
		field string
	}{
		{"unknown label", func(wb *excelize.File, h []string, rowOf func(string) int) {
			setCell(t, wb, h, "gold: stance", rowOf(second.Text), "agree")
			setCell(t, wb, h, "gold: stance", rowOf(first.Text), "maybe")
		}, "gold: stance"},
		{"edited text", func(wb *excelize.File, h []string, rowOf func(string) int) {
			r := rowOf(first.Text)
			setCell(t, wb, h, "gold: stance", rowOf(second.Text), "agree")
			setCell(t, wb, h, "gold: stance", r, "discuss")
			setCell(t, wb, h, "text", r, "Police in Boston raised security.")
		}, "text"},
		{"unknown paragraph", func(wb *excelize.File, h []string, rowOf func(string) int) {
			r := rowOf(first.Text)
			setCell(t, wb, h, "gold: stance", rowOf(second.Text), "agree")
			setCell(t, wb, h, "gold: stance", r, "discuss")
			setCell(t, wb, h, "paragraph_id", r, "999999")
		}, "paragraph_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			edited := editWorkbook(t, data, tc.edit)
			_, err := export.ImportGold(ctx, f.store, f.users["rita"], bytes.NewReader(edited), false)
			if err == nil {
				t.Fatalf("got no error, want one naming the %s cell", tc.field)
			}
			if !strings.Contains(err.Error(), "Paragraphs!") {
				t.Errorf("error %q does not name the cell", err)
			}
			if _, gerr := f.store.GoldLabel(ctx, second.ID); gerr == nil {
				t.Errorf("the valid row was stored although another row was refused")
			}
		})
	}
	// A gold label decided on the web since the export wins over the file.
	if _, err := f.store.SetGold(ctx, f.users["rita"], adjudicated.ID, 1, annotate.Labels{"stance": {"discuss"}, "topic": {"homeland-security"}}, "own"); err != nil {
		t.Fatal(err)
	}
	edited := editWorkbook(t, data, func(wb *excelize.File, h []string, rowOf func(string) int) {
		setCell(t, wb, h, "gold: stance", rowOf(adjudicated.Text), "agree")
	})
	_, err := export.ImportGold(ctx, f.store, f.users["rita"], bytes.NewReader(edited), false)
	if err == nil || !strings.Contains(err.Error(), "changed since the file was exported") {
		t.Errorf("stale gold: got %v, want a conflict saying it changed since the export", err)
	}
}
