package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"concord/annotate"
)

// lsResult is one region of a Label Studio annotation or prediction; for
// text classification a Choices or TextArea answer.
type lsResult struct {
	FromName string                     `json:"from_name"`
	Type     string                     `json:"type"`
	Value    map[string]json.RawMessage `json:"value"`
	// Score is a prediction's score for this result alone, when the model
	// gives one per result.
	Score *float64 `json:"score"`
	// ConcordAnnotator and ConcordGold repeat, on each result Concord
	// writes, whose the annotation is: Label Studio keeps them there.
	ConcordAnnotator string `json:"concord_annotator"`
	ConcordGold      bool   `json:"concord_gold"`
}

// lsAnnotation is one annotation of a Label Studio task, as Label Studio
// exports it (and as Concord's label-studio shape writes it, with
// concord_annotator and concord_gold).
type lsAnnotation struct {
	ID               json.RawMessage `json:"id"`
	Result           []lsResult      `json:"result"`
	CompletedBy      json.RawMessage `json:"completed_by"`
	GroundTruth      bool            `json:"ground_truth"`
	WasCancelled     bool            `json:"was_cancelled"`
	UpdatedAt        string          `json:"updated_at"`
	CreatedAt        string          `json:"created_at"`
	ConcordAnnotator string          `json:"concord_annotator"`
	ConcordGold      bool            `json:"concord_gold"`
}

// lsPrediction is one model prediction of a Label Studio task.
type lsPrediction struct {
	ModelVersion json.RawMessage `json:"model_version"`
	Score        *float64        `json:"score"`
	Result       []lsResult      `json:"result"`
}

// model returns the prediction's model_version as text, "" when it has
// none: a number is kept as written.
func (p *lsPrediction) model() string {
	var s string
	if json.Unmarshal(p.ModelVersion, &s) == nil {
		return s
	}
	if len(p.ModelVersion) > 0 && string(p.ModelVersion) != "null" {
		return string(p.ModelVersion)
	}
	return ""
}

// Prediction is a model's answer that a Label Studio task carries. The
// import does not store predictions (it counts them in the report); they
// are kept on the record read so that suggestions can be made of them.
type Prediction struct {
	// Model is the prediction's model_version, "" when it has none.
	Model string
	// Score is the model's score, nil when it gave none.
	Score *float64
	// Labels are the prediction's choices in the schema's keys; nil when
	// they do not fit the schema (Problem says why).
	Labels  annotate.Labels
	Problem string
}

// lsTaskKeys are the keys of a Label Studio task that are not its data,
// for a flat task ({"text": …} without "data"), whose other keys are.
var lsTaskKeys = []string{"id", "data", "annotations", "completions", "predictions", "drafts", "meta", "created_at", "updated_at", "inner_id", "total_annotations", "cancelled_annotations", "total_predictions", "comment_count", "unresolved_comment_count", "last_comment_updated_at", "project", "updated_by", "file_upload", "comment_authors", "annotators", "is_labeled", "overlap"}

// labelStudioRecord reads one Label Studio task: its text from data (or
// from the task itself when it is flat), Concord's identifiers if it has
// them, every annotation not cancelled (the ground-truth one as gold too),
// and its predictions, which are kept but not stored.
func (r *reader) labelStudioRecord(raw []byte) (record, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return record{}, fmt.Errorf("bad JSON: %v", err)
	}
	if keys == nil {
		return record{}, annotate.Invalidf("data", "a task is a JSON object with its text in \"data\"")
	}
	var t struct {
		ID          json.RawMessage `json:"id"`
		Annotations []lsAnnotation  `json:"annotations"`
		Completions []lsAnnotation  `json:"completions"`
		Predictions []lsPrediction  `json:"predictions"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return record{}, fmt.Errorf("bad JSON: %v", err)
	}
	var data map[string]any
	if d, ok := keys["data"]; ok {
		if err := json.Unmarshal(d, &data); err != nil || data == nil {
			return record{}, annotate.Invalidf("data", `"data" must be an object such as {"text": "..."}`)
		}
	} else {
		// A flat task is its own data, as Label Studio reads it.
		data = map[string]any{}
		for k, v := range keys {
			if contains(lsTaskKeys, k) {
				continue
			}
			var x any
			if json.Unmarshal(v, &x) == nil {
				data[k] = x
			}
		}
	}
	field := r.opt.TextField
	if field == "" {
		field = "text"
	}
	where := "data." + field
	if _, ok := keys["data"]; !ok {
		where = field
	}
	text, ok := data[field].(string)
	if !ok {
		return record{}, annotate.Invalidf(where, "%s", lsNoText(data, field, where))
	}
	if err := checkText(&text); err != nil {
		var de *annotate.Error
		if !errors.As(err, &de) {
			return record{}, err
		}
		c := *de
		c.Field = where
		return record{}, &c
	}
	str := func(k string) string { s, _ := data[k].(string); return s }
	rec := record{key: str("document_key"), title: str("title"), source: str("source"), para: annotate.LabelledParagraph{Text: text}}
	if fl, ok := data["flags"].([]any); ok {
		for _, v := range fl {
			k, _ := v.(string)
			if !contains(annotate.CurationKinds, k) {
				return record{}, &annotate.Error{Code: annotate.EINVALID, Field: "data.flags", Message: fmt.Sprintf("unknown flag %v", v), Allowed: annotate.CurationKinds}
			}
			rec.para.Flags = append(rec.para.Flags, k)
		}
	}
	if p, ok := data["position"].(float64); ok && p >= 0 && p == float64(int(p)) {
		n := int(p)
		rec.position = &n
		// Kept, so that a document an export left paragraphs out of keeps
		// its paragraphs' positions, and with them their ids.
		rec.para.Position = &n
	}
	taskID := jsonID(t.ID)
	if rec.key == "" {
		if taskID != "" {
			rec.key = "label-studio:" + taskID
		} else {
			rec.key = textKey("sha256:", text)
		}
	}
	// Label Studio before 1.0 called annotations completions.
	anns := append(t.Annotations, t.Completions...)
	seen := map[string]int{}
	for i, a := range anns {
		af := fmt.Sprintf("annotations[%d]", i)
		if a.WasCancelled {
			rec.notes.cancelled++
			continue
		}
		if len(a.Result) == 0 {
			rec.notes.empty++
			continue
		}
		labels, err := r.lsLabels(af+".result", a.Result)
		if err != nil {
			return record{}, err
		}
		at := lsTime(a.UpdatedAt, a.CreatedAt)
		for _, res := range a.Result {
			a.ConcordGold = a.ConcordGold || res.ConcordGold
			if a.ConcordAnnotator == "" {
				a.ConcordAnnotator = res.ConcordAnnotator
			}
		}
		if a.ConcordGold || a.GroundTruth {
			if rec.para.Gold != nil && !rec.para.Gold.Equal(labels) {
				return record{}, annotate.Invalidf(af+".ground_truth", "the task has two ground-truth annotations with different labels; keep one")
			}
			rec.para.Gold, rec.para.GoldAt = labels, at
			// Concord's own gold annotation is nobody's labels; in Label
			// Studio ground truth is a mark on someone's annotation.
			if a.ConcordGold {
				continue
			}
		}
		name := a.ConcordAnnotator
		if name == "" {
			name = r.lsUser(a.CompletedBy)
		}
		if name == "" {
			name = lsAnonymous(jsonID(a.ID), taskID, text, i)
			rec.notes.anonymous++
			rec.notes.anonymousNames = append(rec.notes.anonymousNames, name)
		}
		if err := r.annotator(af+".completed_by", name); err != nil {
			return record{}, err
		}
		if first, ok := seen[name]; ok {
			// Label Studio gives annotations it imports without
			// completed_by to the user who imported them, so a task
			// uploaded with several annotators' labels comes back as one
			// person's.
			return record{}, annotate.Invalidf(af+".completed_by", "%s has two annotations of this task (annotations %d and %d); keep one (Label Studio gives every annotation it imported without completed_by to the importing user)", name, first, i)
		}
		seen[name] = i
		rec.para.Annotations = append(rec.para.Annotations, annotate.NamedLabels{Annotator: name, Labels: labels, At: at})
	}
	for _, p := range t.Predictions {
		pr := Prediction{Score: p.Score, Model: p.model()}
		if l, err := r.lsPredictionLabels("predictions.result", p.Result); err != nil {
			pr.Problem = annotate.ErrorMessage(err)
		} else {
			pr.Labels = l
		}
		rec.predictions = append(rec.predictions, pr)
	}
	return rec, nil
}

// lsNoText explains where a task's text should be, naming the string
// fields the task has, one of which is likely the text.
func lsNoText(data map[string]any, field, where string) string {
	var strs []string
	for k, v := range data {
		if _, ok := v.(string); ok {
			strs = append(strs, strconv.Quote(k))
		}
	}
	sort.Strings(strs)
	msg := fmt.Sprintf("a task needs its text as a string in %s", where)
	if len(strs) > 0 {
		msg += fmt.Sprintf("; this task has %s: name the text's key with --text-field, such as --text-field %s", strings.Join(strs, ", "), strings.Trim(strs[0], `"`))
	}
	return msg
}

// lsLabels reads the results of an annotation or prediction: a choices or
// textarea result per dimension, from_name naming the dimension.
func (r *reader) lsLabels(field string, results []lsResult) (annotate.Labels, error) {
	return r.lsLabelsIn(r.sc, field, results)
}

// lsPredictionLabels reads a prediction's results as lsLabels does, except
// that a prediction may leave out required dimensions: a model may answer
// one question only.
func (r *reader) lsPredictionLabels(field string, results []lsResult) (annotate.Labels, error) {
	if r.loose == nil {
		r.loose = looseSchema(r.sc)
	}
	return r.lsLabelsIn(r.loose, field, results)
}

// looseSchema returns a copy of sc in which no dimension is required, which
// is how a prediction is read.
func looseSchema(sc *annotate.Schema) *annotate.Schema {
	loose := *sc
	loose.Dimensions = append([]annotate.Dimension(nil), sc.Dimensions...)
	for i := range loose.Dimensions {
		loose.Dimensions[i].Required = false
	}
	return &loose
}

func (r *reader) lsLabelsIn(sc *annotate.Schema, field string, results []lsResult) (annotate.Labels, error) {
	return lsLabelsOf(sc, field, results)
}

// lsLabelsOf reads results against sc: from_name names the dimension, a
// choices result carries value.choices and a textarea one value.text, as
// LabelStudioConfig writes them.
func lsLabelsOf(sc *annotate.Schema, field string, results []lsResult) (annotate.Labels, error) {
	labels := annotate.Labels{}
	for j, res := range results {
		rf := fmt.Sprintf("%s[%d]", field, j)
		d, ok := sc.Dimension(res.FromName)
		if !ok {
			return nil, &annotate.Error{Code: annotate.EINVALID, Field: rf + ".from_name", Message: fmt.Sprintf("unknown dimension %q: from_name must be the name of a dimension", res.FromName), Allowed: sc.Names()}
		}
		key := ""
		switch res.Type {
		case "choices":
			key = "choices"
		case "textarea":
			key = "text"
		default:
			return nil, &annotate.Error{Code: annotate.EINVALID, Field: rf + ".type", Message: fmt.Sprintf("result type %q is not text classification", res.Type), Allowed: []string{"choices", "textarea"}}
		}
		if _, dup := labels[d.Name]; dup {
			return nil, annotate.Invalidf(rf+".from_name", "two results for %s in one annotation", d.Name)
		}
		var vs []string
		if err := json.Unmarshal(res.Value[key], &vs); err != nil {
			return nil, annotate.Invalidf(rf+".value."+key, "expected an array of strings")
		}
		labels[d.Name] = vs
	}
	out, err := sc.Canonical(labels)
	if err != nil {
		return nil, fieldErr(err, field)
	}
	return out, nil
}

// jsonID returns a JSON number or string id as text, "" for none.
func jsonID(raw json.RawMessage) string {
	id := strings.Trim(string(raw), `"`)
	if id == "null" {
		return ""
	}
	return id
}

// lsTime reads Label Studio's time of an annotation: when it was last
// updated, else created; zero when neither parses.
func lsTime(times ...string) time.Time {
	for _, s := range times {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// lsNobody reports whether completed_by is missing.
func lsNobody(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// lsUser names a Label Studio annotator: the e-mail when the export has it
// and it makes a user name, else labelstudio-ID; "" when completed_by is
// missing.
func (r *reader) lsUser(raw json.RawMessage) string {
	var v any
	if lsNobody(raw) || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch x := v.(type) {
	case float64:
		return "labelstudio-" + strconv.FormatInt(int64(x), 10)
	case string:
		if userNameRe.MatchString(x) {
			return x
		}
	case map[string]any:
		if e, ok := x["email"].(string); ok && userNameRe.MatchString(e) {
			return e
		}
		if id, ok := x["id"].(float64); ok {
			return "labelstudio-" + strconv.FormatInt(int64(id), 10)
		}
	}
	return ""
}

// lsAnonymous names the annotator of an annotation without completed_by:
// one per annotation, since nothing says two were by the same person.
func lsAnonymous(annID, taskID, text string, i int) string {
	switch {
	case annID != "" && userNameRe.MatchString("labelstudio-annotation-"+annID):
		return "labelstudio-annotation-" + annID
	case taskID != "" && userNameRe.MatchString("labelstudio-task-"+taskID):
		return fmt.Sprintf("labelstudio-task-%s-annotation-%d", taskID, i+1)
	}
	return fmt.Sprintf("labelstudio-%s-annotation-%d", textKey("", text)[:12], i+1)
}
