package export

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"concord/annotate"
)

// doccanoKeys are the keys of a doccano text-classification line: the ones
// doccano's JSONL export writes, then the ones Concord's doccano shape adds.
var (
	doccanoKeys = []string{"text", "label", "id", "Comments"}
	concordKeys = []string{"concord_id", "paragraph_id", "document_key", "title", "source", "position", "gold_source", "split"}
)

// doccanoExpected says in words which keys a doccano line has.
func doccanoExpected() string {
	return `doccano text-classification lines have "text" and "label" (and optional "id" and "Comments", which doccano writes, and "` + strings.Join(concordKeys, `", "`) + `", which Concord's doccano export adds)`
}

// doccanoRecord reads one doccano text-classification line. Its labels are
// "dimension:value" strings (a bare value for a one-dimension schema),
// stored as one annotator's labels or as gold; a line with none is an
// unlabelled paragraph. A key doccano does not write for text
// classification is refused, so that a file of another task ("labels",
// "entities") is not read as empty labels; doccano writes an example's
// metadata as keys of its own, which DoccanoMeta keeps as the document's
// metadata.
func (r *reader) doccanoRecord(raw []byte) (record, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return record{}, fmt.Errorf("bad JSON: %v", err)
	}
	if keys == nil {
		return record{}, annotate.Invalidf("text", "a doccano line is a JSON object with \"text\" and \"label\"")
	}
	var unknown []string
	meta := map[string]json.RawMessage{}
	for k, v := range keys {
		if contains(doccanoKeys, k) || contains(concordKeys, k) {
			continue
		}
		if r.opt.DoccanoMeta && k != "labels" {
			meta[k] = v
			continue
		}
		unknown = append(unknown, k)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		for i, k := range unknown {
			unknown[i] = strconv.Quote(k)
		}
		msg := fmt.Sprintf("unknown key; %s", doccanoExpected())
		if contains(unknown, `"labels"`) {
			msg += `; a text-classification label list is "label"`
		} else if !r.opt.DoccanoMeta {
			msg += "; if doccano wrote these from the examples' metadata, keep them as the document's metadata with --doccano-meta"
		}
		return record{}, annotate.Invalidf(strings.Join(unknown, ", "), "%s", msg)
	}
	var l struct {
		ID          json.RawMessage `json:"id"`
		Text        *string         `json:"text"`
		DocumentKey string          `json:"document_key"`
		Title       string          `json:"title"`
		Source      string          `json:"source"`
		Position    *int            `json:"position"`
		GoldSource  *string         `json:"gold_source"`
		Comments    []any           `json:"Comments"`
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		return record{}, fmt.Errorf("bad JSON: %v", err)
	}
	if err := checkText(l.Text); err != nil {
		return record{}, err
	}
	labelRaw, ok := keys["label"]
	if !ok {
		return record{}, annotate.Invalidf("label", `missing "label"; %s; "label": [] is a line without labels`, doccanoExpected())
	}
	var items []json.RawMessage
	var one string
	switch t := strings.TrimSpace(string(labelRaw)); {
	case t == "null":
	case json.Unmarshal(labelRaw, &one) == nil:
		// doccano's CSV joins labels with '#'; a JSON string is one label.
		items = []json.RawMessage{labelRaw}
	case json.Unmarshal(labelRaw, &items) != nil:
		return record{}, annotate.Invalidf("label", `"label" must be a list of labels such as ["stance:agree"]`)
	}
	rec := record{key: l.DocumentKey, title: l.Title, source: l.Source, position: l.Position, para: annotate.LabelledParagraph{Text: *l.Text, Position: l.Position}}
	if len(meta) > 0 {
		b, _ := json.Marshal(meta)
		rec.meta = annotate.JSON(b)
	}
	if rec.key == "" {
		if id := jsonID(l.ID); id != "" {
			rec.key = "doccano:" + id
		} else {
			rec.key = textKey("sha256:", *l.Text)
		}
	}
	for _, c := range l.Comments {
		if s, ok := c.(string); !ok || s != "" {
			rec.notes.comments++
		}
	}
	labels := annotate.Labels{}
	for i, raw := range items {
		field := fmt.Sprintf("label[%d]", i)
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return record{}, annotate.Invalidf(field, "expected a \"dimension:value\" string; spans ([start, end, label]) are sequence labelling, not text classification")
		}
		dim, val, ok := strings.Cut(s, ":")
		if !ok {
			if len(r.sc.Dimensions) != 1 {
				return record{}, annotate.Invalidf(field, "label %q must be written dimension:value, such as %s:%s", s, r.sc.Dimensions[0].Name, firstKey(r.sc.Dimensions[0]))
			}
			dim, val = r.sc.Dimensions[0].Name, s
		}
		labels[dim] = append(labels[dim], val)
	}
	if len(labels) == 0 {
		// Concord writes a tie, which has no gold label, as no labels.
		rec.notes.unlabelled++
		if l.GoldSource != nil && *l.GoldSource == GoldTie {
			rec.notes.ties++
		}
		return rec, nil
	}
	for _, d := range r.sc.Dimensions {
		if d.Required && len(labels[d.Name]) == 0 {
			return record{}, &annotate.Error{Code: annotate.EINVALID, Field: "label", Message: fmt.Sprintf("no %s label, which the schema requires; add one such as %s:%s, or leave \"label\" empty to import the paragraph unlabelled", d.Name, d.Name, firstKey(d)), Allowed: d.Keys()}
		}
	}
	canon, err := r.sc.Canonical(labels)
	if err != nil {
		return record{}, fieldErr(err, "label")
	}
	if r.opt.DoccanoAsGold {
		rec.para.Gold = canon
	} else {
		if err := r.annotator("annotator", r.opt.Annotator); err != nil {
			return record{}, err
		}
		rec.para.Annotations = []annotate.NamedLabels{{Annotator: r.opt.Annotator, Labels: canon}}
	}
	return rec, nil
}
