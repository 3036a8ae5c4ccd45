package export

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"concord/annotate"
)

// GoldMethodExcel is the method recorded for gold labels decided in an
// exported workbook.
const GoldMethodExcel = "excel"

// GoldReport says what ImportGold found and stored.
type GoldReport struct {
	// Rows counts the paragraph rows read, Decisions those whose gold cells
	// or gold_source were changed, Changes the gold labels stored (a
	// decision equal to the stored gold label changes nothing).
	Rows      int                   `json:"rows"`
	Decisions int                   `json:"decisions"`
	Changes   []annotate.GoldChange `json:"changes"`
	DryRun    bool                  `json:"dry_run"`
}

// ImportGold reads the gold decisions a reviewer made in a workbook that
// Export wrote, and stores them as gold labels with method "excel", all or
// nothing: when any row does not match the database (an unknown paragraph
// id, an edited text, a label the schema does not know, a gold label
// decided elsewhere since the export) nothing is written and the error
// names the sheet and cell. A row is a decision when its gold cells differ
// from the gold label as exported, or its gold_source was set to
// adjudicated.
func ImportGold(ctx context.Context, store *annotate.Store, by int64, r io.Reader, dryRun bool) (*GoldReport, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, annotate.Invalidf("file", "not an Excel workbook: %v", err)
	}
	defer f.Close()
	sc, err := store.Schema(ctx)
	if err != nil {
		return nil, err
	}
	rep := &GoldReport{DryRun: dryRun, Changes: []annotate.GoldChange{}}
	var decisions []annotate.GoldDecision
	sheets := 0
	for _, name := range f.GetSheetList() {
		if name != SheetParagraphs && !strings.HasPrefix(name, SheetParagraphs+" (") {
			continue
		}
		sheets++
		ds, n, err := readGoldSheet(f, name, sc)
		if err != nil {
			return nil, err
		}
		rep.Rows += n
		decisions = append(decisions, ds...)
	}
	if sheets == 0 {
		return nil, annotate.Invalidf("file", "the workbook has no %q sheet; give a file written by concord export --format xlsx", SheetParagraphs)
	}
	rep.Decisions = len(decisions)
	if len(decisions) == 0 {
		return rep, nil
	}
	changes, err := store.ApplyGold(ctx, by, decisions, dryRun)
	if err != nil {
		return nil, err
	}
	rep.Changes = append(rep.Changes, changes...)
	return rep, nil
}

func readGoldSheet(f *excelize.File, sheet string, sc *annotate.Schema) ([]annotate.GoldDecision, int, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, 0, nil
	}
	header, err := rows.Columns()
	if err != nil {
		return nil, 0, err
	}
	col := func(name string) int { return slices.Index(header, name) }
	idCol, hashCol, verCol, expCol, srcCol, textCol := col(colParagraphID), col(colTextHash), col(colGoldVersion), col(colExportedGold), col(colGoldSource), col(colText)
	for _, need := range []struct {
		name string
		i    int
	}{{colParagraphID, idCol}, {colTextHash, hashCol}, {colGoldVersion, verCol}, {colExportedGold, expCol}, {colGoldSource, srcCol}} {
		if need.i < 0 {
			return nil, 0, annotate.Invalidf(sheet+"!1", "no %q column: the sheet was not written by concord export, or its columns were removed", need.name)
		}
	}
	type goldCol struct {
		dim *annotate.Dimension
		i   int
	}
	var golds []goldCol
	for i, h := range header {
		if name, ok := strings.CutPrefix(h, goldPrefix); ok {
			d, ok := sc.Dimension(name)
			if !ok {
				return nil, 0, &annotate.Error{Code: annotate.EINVALID, Field: cellName(sheet, i, 1), Message: fmt.Sprintf("column %q names a dimension the schema does not have", h), Allowed: sc.Names()}
			}
			golds = append(golds, goldCol{d, i})
		}
	}
	var out []annotate.GoldDecision
	n := 0
	for r := 2; rows.Next(); r++ {
		cells, err := rows.Columns()
		if err != nil {
			return nil, 0, err
		}
		get := func(i int) string {
			if i >= 0 && i < len(cells) {
				return strings.TrimSpace(cells[i])
			}
			return ""
		}
		if strings.Join(cells, "") == "" {
			continue
		}
		n++
		id, err := strconv.ParseInt(get(idCol), 10, 64)
		if err != nil || id <= 0 {
			return nil, 0, annotate.Invalidf(cellName(sheet, idCol, r), "paragraph id %q is not a number; do not edit the paragraph_id column", get(idCol))
		}
		hash := get(hashCol)
		if text := get(textCol); textCol >= 0 && !strings.HasSuffix(text, strings.TrimSpace(truncMarker)) && annotate.HashText(text) != hash {
			return nil, 0, &annotate.Error{Code: annotate.ECONFLICT, Field: cellName(sheet, textCol, r), Message: fmt.Sprintf("the text of paragraph %d was edited in the file; texts cannot be changed here", id)}
		}
		version, err := strconv.Atoi(get(verCol))
		if err != nil {
			return nil, 0, annotate.Invalidf(cellName(sheet, verCol, r), "gold version %q is not a number; do not edit the hidden columns", get(verCol))
		}
		exported, err := decodeExportedGold(sc, get(expCol))
		if err != nil {
			return nil, 0, annotate.Invalidf(cellName(sheet, expCol, r), "the exported gold label is not readable; do not edit the hidden columns")
		}
		labels := annotate.Labels{}
		changed := false
		for _, g := range golds {
			var vs []string
			parts := []string{get(g.i)}
			if g.dim.Kind == annotate.KindMulti {
				parts = strings.Split(parts[0], ",")
			}
			for _, v := range parts {
				if v = strings.TrimSpace(v); v != "" {
					vs = append(vs, v)
				}
			}
			if len(vs) > 0 {
				labels[g.dim.Name] = vs
			}
			canon, err := resolve(g.dim, vs)
			if err != nil {
				return nil, 0, fieldErr(err, cellName(sheet, g.i, r))
			}
			if !slices.Equal(canon, exported[g.dim.Name]) {
				changed = true
			}
		}
		src := get(srcCol)
		switch src {
		case "", GoldMajority, GoldSingle, GoldTie, GoldConsensus:
		case GoldAdjudicated:
			changed = changed || version == 0
		default:
			return nil, 0, &annotate.Error{Code: annotate.EINVALID, Field: cellName(sheet, srcCol, r), Message: fmt.Sprintf("unknown gold source %q", src), Allowed: GoldSources}
		}
		if !changed {
			continue
		}
		out = append(out, annotate.GoldDecision{ParagraphID: id, TextHash: hash, Version: version, Labels: labels, Method: GoldMethodExcel, Origin: cellName(sheet, 0, r)})
	}
	return out, n, rows.Error()
}

// cellName names a cell for messages, such as Paragraphs!H12.
func cellName(sheet string, col, row int) string {
	c, err := excelize.CoordinatesToCellName(col+1, row)
	if err != nil {
		c = strconv.Itoa(row)
	}
	return sheet + "!" + c
}

// resolve checks one dimension's values from a cell and returns them as
// stored: keys, sorted, without repeats.
func resolve(d *annotate.Dimension, vs []string) ([]string, error) {
	var out []string
	for _, v := range vs {
		k, ok := d.Resolve(v)
		if !ok {
			return nil, &annotate.Error{Code: annotate.EINVALID, Field: d.Name, Message: fmt.Sprintf("%q is not a value of %s", v, d.Name), Allowed: d.Keys()}
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if d.Kind != annotate.KindMulti && len(out) > 1 {
		return nil, &annotate.Error{Code: annotate.EINVALID, Field: d.Name, Message: fmt.Sprintf("%s takes one value, got %d", d.Name, len(out)), Allowed: d.Keys()}
	}
	slices.Sort(out)
	return out, nil
}
