package annotate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"concord/learn"
)

// ModelAgentPrefix starts the agent of every suggestion Concord's built-in
// model makes: concord-linear@ and the model's id.
const ModelAgentPrefix = "concord-linear@"

// Training triggers: who started a ModelRun.
const (
	TriggerAdmin   = "admin"
	TriggerAuto    = "auto"
	TriggerCommand = "command"
)

// ModelRun statuses.
const (
	RunRunning      = "running"
	RunDone         = "done"
	RunFailed       = "failed"
	RunNotEvaluated = "not_evaluated"
)

// ModelRun is one training of the built-in model on one dimension: the
// cross-validated figures, the model's id, how many paragraphs it
// suggested labels for, and, when it could not be trained, why.
type ModelRun struct {
	ID        int64  `gorm:"primaryKey" json:"id"`
	Dimension string `gorm:"size:40;not null;index" json:"dimension"`
	Kind      string `gorm:"size:20;not null" json:"kind"`
	Status    string `gorm:"size:20;not null" json:"status"`
	Trigger   string `gorm:"size:20;not null" json:"trigger"`
	StartedBy int64  `gorm:"not null;default:0" json:"started_by"`
	// DataVersion is the store's DataVersion when the run began: the
	// labels it learned from are those written up to then.
	DataVersion   int64   `gorm:"not null" json:"data_version"`
	Items         int     `gorm:"not null" json:"items"`
	Gold          int     `gorm:"not null" json:"gold"`
	Consensus     int     `gorm:"not null" json:"consensus"`
	NoWords       int     `gorm:"not null" json:"no_words"`
	Folds         int     `gorm:"not null" json:"folds"`
	MinConfidence float64 `gorm:"not null" json:"min_confidence"`
	// Accuracy is the out-of-fold accuracy (subset accuracy for a
	// multi-label dimension); MacroF1 and MicroF1 as learn.Evaluation.
	Accuracy   float64 `gorm:"not null" json:"accuracy"`
	MacroF1    float64 `gorm:"not null" json:"macro_f1"`
	MicroF1    float64 `gorm:"not null" json:"micro_f1"`
	Categories Values  `gorm:"type:text;not null" json:"categories"`
	// PerCategory holds each category's precision, recall and F1, as
	// JSON.
	PerCategory JSON   `gorm:"type:text" json:"per_category,omitempty"`
	ModelID     string `gorm:"size:80;not null;default:''" json:"model_id,omitempty"`
	Agent       string `gorm:"size:200;not null;default:''" json:"agent,omitempty"`
	// EstimatedErrors is confident learning's count of likely label
	// errors; the ranked paragraphs are LabelIssue rows of the run.
	EstimatedErrors int        `gorm:"not null" json:"estimated_errors"`
	Predicted       int        `gorm:"not null" json:"predicted"`
	Reason          string     `gorm:"type:text;not null;default:''" json:"reason,omitempty"`
	StartedAt       time.Time  `gorm:"not null" json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
}

// LabelIssue is one paragraph whose gold or consensus label the
// out-of-fold model of a run finds unlikely, ranked from the least likely
// (Rank 1).
type LabelIssue struct {
	ID          int64  `gorm:"primaryKey" json:"-"`
	RunID       int64  `gorm:"not null;uniqueIndex:idx_label_issue_rank,priority:1" json:"run_id"`
	Rank        int    `gorm:"not null;uniqueIndex:idx_label_issue_rank,priority:2" json:"rank"`
	ParagraphID int64  `gorm:"not null" json:"paragraph_id"`
	Dimension   string `gorm:"size:40;not null" json:"dimension"`
	Given       Values `gorm:"type:text;not null" json:"given"`
	// Source is where the given label came from: gold or consensus.
	Source           string  `gorm:"size:20;not null" json:"source"`
	GivenProbability float64 `gorm:"not null" json:"given_probability"`
	// Suggested is the model's alternative: another value, or for a
	// multi-label dimension the set with the doubted decisions turned.
	Suggested            Values  `gorm:"type:text;not null" json:"suggested"`
	SuggestedProbability float64 `gorm:"not null" json:"suggested_probability"`
	// Flagged says confident learning counts it among the estimated
	// errors, not only that it ranks low.
	Flagged bool `gorm:"not null" json:"flagged"`
}

func init() { models = append(models, &ModelRun{}, &LabelIssue{}) }

// Where a training item's label comes from.
const (
	SourceGold      = "gold"
	SourceConsensus = "consensus"
)

// TrainingItem is one paragraph a dimension is trained on.
type TrainingItem struct {
	ParagraphID int64
	DocumentKey string
	Position    int
	Text        string
	Labels      []string
	Source      string
}

// TrainingSet is one dimension's training items.
type TrainingSet struct {
	Dimension string
	Multi     bool
	Items     []TrainingItem
	Gold      int
	Consensus int
	// NoWords counts the labelled paragraphs left out for having no words.
	NoWords int
}

// Kind is the dimension's kind as the schema spells it.
func (ts *TrainingSet) Kind() Kind {
	if ts.Multi {
		return KindMulti
	}
	return KindSingle
}

// Data is the set as the classifier takes it.
func (ts *TrainingSet) Data() learn.Data {
	d := learn.Data{Multi: ts.Multi, Texts: make([]string, len(ts.Items)), Labels: make([][]string, len(ts.Items))}
	for i, it := range ts.Items {
		d.Texts[i] = it.Text
		d.Labels[i] = it.Labels
	}
	return d
}

// CrossValidate evaluates the set by k-fold cross-validation, or returns
// why it cannot be (no labels, one category, fewer items than folds).
func (ts *TrainingSet) CrossValidate(folds int, seed uint64) (*learn.Evaluation, string, error) {
	if len(ts.Items) == 0 {
		return nil, "no gold label and no consensus confident enough yet", nil
	}
	if !ts.Multi {
		seen := map[string]bool{}
		for _, it := range ts.Items {
			seen[it.Labels[0]] = true
		}
		if len(seen) < 2 {
			return nil, fmt.Sprintf("every one of the %d labelled paragraphs is %s; label paragraphs of at least one other category", len(ts.Items), ts.Items[0].Labels[0]), nil
		}
	}
	if len(ts.Items) < folds {
		return nil, fmt.Sprintf("%d labelled paragraph(s), fewer than the %d folds; label more or use fewer folds (%d)", len(ts.Items), folds, max(2, len(ts.Items))), nil
	}
	ev, err := learn.CrossValidate(ts.Data(), folds, seed, learn.DefaultOptions())
	if errors.Is(err, learn.ErrInvalid) {
		return nil, strings.TrimPrefix(err.Error(), learn.ErrInvalid.Error()+": "), nil
	}
	return ev, "", err
}

// Issue is one ranked likely label error of an evaluated set.
type Issue struct {
	Item                 int
	Given, Suggested     []string
	GivenProbability     float64
	SuggestedProbability float64
	Flagged              bool
}

// LabelIssues ranks the set's items by how unlikely the out-of-fold model
// finds their labels (confident learning), single-choice and multi-label
// alike, and returns the estimated number of errors.
func (ts *TrainingSet) LabelIssues(ev *learn.Evaluation) ([]Issue, int, error) {
	cats := ev.Categories
	names := func(idx []int) []string {
		out := make([]string, len(idx))
		for i, c := range idx {
			out[i] = cats[c]
		}
		return out
	}
	if !ts.Multi {
		conf, err := learn.LabelIssues(ev.Given, ev.Probabilities)
		if err != nil {
			return nil, 0, err
		}
		out := make([]Issue, len(conf.Issues))
		for i, is := range conf.Issues {
			out[i] = Issue{Item: is.Item, Given: []string{cats[is.Given]}, Suggested: []string{cats[is.Suggested]},
				GivenProbability: is.GivenProbability, SuggestedProbability: is.SuggestedProbability, Flagged: is.Flagged}
		}
		return out, conf.Errors, nil
	}
	given := make([][]int, len(ts.Items))
	for i, it := range ts.Items {
		for _, l := range it.Labels {
			if k := slices.Index(cats, l); k >= 0 {
				given[i] = append(given[i], k)
			}
		}
	}
	conf, err := learn.LabelSetIssues(given, ev.Probabilities)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Issue, len(conf.Issues))
	for i, is := range conf.Issues {
		out[i] = Issue{Item: is.Item, Given: names(is.Given), Suggested: names(is.Suggested),
			GivenProbability: is.SelfConfidence, SuggestedProbability: is.SuggestedProbability, Flagged: is.Flagged}
	}
	return out, conf.Errors, nil
}

// TrainingSets reads the training items of the single-choice and
// multi-label dimensions of the schema, or of the one named: a current
// paragraph's gold label first, otherwise its consensus when that is no
// tie and at least minConfidence sure. Paragraphs with no words are left
// out and counted.
func (s *Store) TrainingSets(ctx context.Context, dimension string, minConfidence float64) ([]*TrainingSet, error) {
	sc, err := s.Schema(ctx)
	if err != nil {
		return nil, err
	}
	var sets []*TrainingSet
	for _, d := range sc.Dimensions {
		if d.Kind != KindSingle && d.Kind != KindMulti {
			if d.Name == dimension {
				return nil, Invalidf("dimension", "dimension %q is open (free text); the classifier learns single-choice and multi-label dimensions", dimension)
			}
			continue
		}
		if dimension == "" || d.Name == dimension {
			sets = append(sets, &TrainingSet{Dimension: d.Name, Multi: d.Kind == KindMulti})
		}
	}
	if dimension != "" && len(sets) == 0 {
		names := []string{}
		for _, d := range sc.Dimensions {
			names = append(names, d.Name)
		}
		return nil, Invalidf("dimension", "the schema has no dimension %q; it has %s", dimension, strings.Join(names, ", "))
	}
	if len(sets) == 0 {
		return nil, Invalidf("dimension", "the schema has no single-choice or multi-label dimension to learn")
	}
	run, err := s.ConsensusNow(ctx)
	if err != nil {
		return nil, err
	}
	err = s.EachParagraph(ctx, ParagraphFilter{Consensus: run}, func(r *ParagraphRecord) error {
		for _, ts := range sets {
			var labels []string
			source := ""
			if r.Gold != nil {
				if v, ok := r.Gold.Labels[ts.Dimension]; ok && (ts.Multi || len(v) == 1) {
					labels, source = v, SourceGold
				}
			}
			if source == "" {
				ci, ok := r.Consensus[ts.Dimension]
				if ok && !ci.Tie && ci.Confidence >= minConfidence && (ts.Multi || len(ci.Values) == 1) {
					labels, source = ci.Values, SourceConsensus
				}
			}
			if source == "" {
				continue
			}
			if len(learn.Tokenize(r.Paragraph.Text)) == 0 {
				ts.NoWords++
				continue
			}
			it := TrainingItem{ParagraphID: r.Paragraph.ID, Position: r.Paragraph.Position, Text: r.Paragraph.Text, Labels: slices.Clone(labels), Source: source}
			if r.Document != nil {
				it.DocumentKey = r.Document.Key
			}
			ts.Items = append(ts.Items, it)
			if source == SourceGold {
				ts.Gold++
			} else {
				ts.Consensus++
			}
		}
		return nil
	})
	return sets, err
}

// TrainOptions says what a training run does.
type TrainOptions struct {
	// Dimension, when set, trains only that dimension.
	Dimension string
	// Trigger and By say who started it.
	Trigger string
	By      int64
	// Folds (default 5), Seed (default 1) and MinConfidence (default 0.9)
	// as for TrainingSets and TrainingSet.CrossValidate.
	Folds         int
	Seed          uint64
	MinConfidence float64
}

// trainingLease is the lease that lets one server at a time train.
const trainingLease = "training"

// maxStoredIssues is how many ranked paragraphs a run keeps per
// dimension, beyond the flagged ones: the reviewer's queue pages through
// them, and a ranking past the first thousands is of no use to anyone.
const maxStoredIssues = 5000

// The bounds of a page of training runs and of likely label errors.
const (
	DefaultRunLimit   = 20
	MaxRunLimit       = 200
	DefaultIssueLimit = 50
	MaxIssueLimit     = 500
)

// predictWindow is how many current paragraphs a run predicts and stores
// suggestions for at once.
const predictWindow = 1000

// ErrTrainingBusy is returned by Train when another server, or another
// run in this one, is training already.
var ErrTrainingBusy = &Error{Code: ECONFLICT, Message: "a training run is under way already; wait for it to finish"}

// Train trains the built-in model on each dimension (or the one
// opt.Dimension names): it cross-validates it, keeps the figures and the
// ranked likely label errors as a ModelRun, then fits a model on every
// item and stores its prediction for every current paragraph as a
// suggestion of agent concord-linear@<model id>, replacing the earlier
// model's. It returns the runs, one per dimension. One server at a time
// trains; another call meanwhile gets ErrTrainingBusy.
func (s *Store) Train(ctx context.Context, opt TrainOptions) ([]ModelRun, error) {
	if opt.Folds == 0 {
		opt.Folds = 5
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.MinConfidence == 0 {
		opt.MinConfidence = 0.9
	}
	if opt.Trigger == "" {
		opt.Trigger = TriggerCommand
	}
	if opt.Folds < 2 {
		return nil, Invalidf("folds", "folds must be at least 2, got %d", opt.Folds)
	}
	if math.IsNaN(opt.MinConfidence) || opt.MinConfidence < 0 || opt.MinConfidence > 1 {
		return nil, Invalidf("min_confidence", "min_confidence must be from 0 to 1, got %v", opt.MinConfidence)
	}
	var runs []ModelRun
	got, err := s.withLease(ctx, trainingLease, func() error {
		version, err := s.DataVersion(ctx)
		if err != nil {
			return err
		}
		sets, err := s.TrainingSets(ctx, opt.Dimension, opt.MinConfidence)
		if err != nil {
			return err
		}
		for _, ts := range sets {
			run, err := s.trainSet(ctx, ts, opt, version)
			if err != nil {
				return fmt.Errorf("%s: %w", ts.Dimension, err)
			}
			runs = append(runs, *run)
		}
		return nil
	})
	if err != nil {
		return runs, err
	}
	if !got {
		return nil, ErrTrainingBusy
	}
	return runs, nil
}

// trainSet is one dimension of Train.
func (s *Store) trainSet(ctx context.Context, ts *TrainingSet, opt TrainOptions, version int64) (*ModelRun, error) {
	run := &ModelRun{Dimension: ts.Dimension, Kind: string(ts.Kind()), Status: RunRunning, Trigger: opt.Trigger, StartedBy: opt.By,
		DataVersion: version, Items: len(ts.Items), Gold: ts.Gold, Consensus: ts.Consensus, NoWords: ts.NoWords,
		Folds: opt.Folds, MinConfidence: opt.MinConfidence, Categories: Values{}, StartedAt: s.now()}
	if err := s.tx(ctx, func(tx *gorm.DB) error { return tx.Create(run).Error }); err != nil {
		return nil, translate(err)
	}
	finish := func(status string) error {
		now := s.now()
		run.Status, run.FinishedAt = status, &now
		return s.tx(context.WithoutCancel(ctx), func(tx *gorm.DB) error { return tx.Save(run).Error })
	}
	fail := func(err error) (*ModelRun, error) {
		run.Reason = err.Error()
		if ferr := finish(RunFailed); ferr != nil {
			return nil, errors.Join(err, ferr)
		}
		return run, err
	}
	ev, reason, err := ts.CrossValidate(opt.Folds, opt.Seed)
	if err != nil {
		return fail(err)
	}
	if ev == nil {
		run.Reason = reason
		return run, finish(RunNotEvaluated)
	}
	run.Accuracy, run.MacroF1, run.MicroF1 = ev.Accuracy, ev.MacroF1, ev.MicroF1
	run.Categories = Values(ev.Categories)
	if b, err := json.Marshal(ev.PerCategory); err == nil {
		run.PerCategory = JSON(b)
	}
	issues, estimated, err := ts.LabelIssues(ev)
	if err != nil {
		return fail(err)
	}
	run.EstimatedErrors = estimated
	if err := s.storeIssues(ctx, run, ts, issues); err != nil {
		return fail(err)
	}
	model, err := learn.Train(ts.Data(), learn.DefaultOptions())
	if err != nil {
		return fail(err)
	}
	run.ModelID = model.ID
	if len(run.ModelID) > 16 {
		run.ModelID = run.ModelID[:16]
	}
	run.Agent = ModelAgentPrefix + run.ModelID
	n, err := s.predictAll(ctx, model, ts.Dimension, run.Agent)
	run.Predicted = n
	if err != nil {
		return fail(err)
	}
	return run, finish(RunDone)
}

// storeIssues keeps a run's ranking: every flagged paragraph and the
// least likely others up to maxStoredIssues, and drops the rankings of the
// dimension's earlier runs.
func (s *Store) storeIssues(ctx context.Context, run *ModelRun, ts *TrainingSet, issues []Issue) error {
	keep := len(issues)
	if keep > maxStoredIssues {
		keep = max(maxStoredIssues, run.EstimatedErrors)
	}
	rows := make([]LabelIssue, 0, keep)
	for i, is := range issues[:keep] {
		it := ts.Items[is.Item]
		rows = append(rows, LabelIssue{RunID: run.ID, Rank: i + 1, ParagraphID: it.ParagraphID, Dimension: ts.Dimension,
			Given: Values(is.Given), Source: it.Source, GivenProbability: is.GivenProbability,
			Suggested: Values(is.Suggested), SuggestedProbability: is.SuggestedProbability, Flagged: is.Flagged})
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM label_issues WHERE dimension = ? AND run_id < ?", ts.Dimension, run.ID).Error; err != nil {
			return err
		}
		for lo := 0; lo < len(rows); lo += 200 {
			if err := tx.Create(rows[lo:min(lo+200, len(rows))]).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// predictAll stores the model's answer for every current paragraph with
// words as a suggestion of agent, window by window in id order, then
// drops the dimension's suggestions of earlier built-in models. It
// returns how many paragraphs got one.
func (s *Store) predictAll(ctx context.Context, m *learn.Model, dimension, agent string) (int, error) {
	type row struct {
		ID   int64
		Text string
	}
	done := 0
	after := int64(0)
	for {
		var rows []row
		if err := s.read(ctx).Raw("SELECT id, text FROM paragraphs WHERE id > ? AND is_current = ? ORDER BY id LIMIT ?", after, true, predictWindow).Scan(&rows).Error; err != nil {
			return done, translate(err)
		}
		if len(rows) == 0 {
			break
		}
		after = rows[len(rows)-1].ID
		texts := make([]string, 0, len(rows))
		ids := make([]int64, 0, len(rows))
		for _, r := range rows {
			if len(learn.Tokenize(r.Text)) > 0 {
				texts = append(texts, r.Text)
				ids = append(ids, r.ID)
			}
		}
		probs := m.PredictBatch(texts)
		margins := learn.Margins(probs, m.Multi)
		in := make([]SuggestionInput, len(ids))
		for i, p := range probs {
			values, score := modelAnswer(m, p)
			margin := margins[i]
			in[i] = SuggestionInput{ParagraphID: ids[i], Dimension: dimension, Values: values, Score: &score, Margin: &margin, Agent: agent}
		}
		if len(in) > 0 {
			rep, err := s.PutSuggestions(ctx, 0, in)
			if err != nil {
				if rep != nil && len(rep.Errors) > 0 {
					return done, fmt.Errorf("%w: %s", err, rep.Errors[0].Error())
				}
				return done, err
			}
			done += len(in)
		}
		if len(rows) < predictWindow {
			break
		}
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		return tx.Exec("DELETE FROM suggestions WHERE dimension = ? AND agent LIKE ? AND agent <> ?", dimension, ModelAgentPrefix+"%", agent).Error
	})
	return done, translate(err)
}

// modelAnswer is a model's suggestion from its probabilities: the most
// probable value and its probability for a single-choice dimension; for
// a multi-label one the categories at 0.5 or more, with the probability
// of its least sure decision.
func modelAnswer(m *learn.Model, p []float64) ([]string, float64) {
	if !m.Multi {
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		return []string{m.Categories[best]}, clamp01(p[best])
	}
	values := []string{}
	score := 1.0
	for k, c := range m.Categories {
		if p[k] >= 0.5 {
			values = append(values, c)
		}
		score = math.Min(score, math.Max(p[k], 1-p[k]))
	}
	return values, clamp01(score)
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// ModelRuns returns one page of training runs, newest first; the cursor
// is the id of the last run of the page before.
func (s *Store) ModelRuns(ctx context.Context, q ListQuery) ([]ModelRun, int64, error) {
	limit := q.Limit
	if err := checkList(&limit, DefaultRunLimit, MaxRunLimit, q.After); err != nil {
		return nil, 0, err
	}
	db := s.read(ctx).Order("id DESC").Limit(limit + 1)
	if q.After > 0 {
		db = db.Where("id < ?", q.After)
	}
	var runs []ModelRun
	if err := db.Find(&runs).Error; err != nil {
		return nil, 0, translate(err)
	}
	next := int64(0)
	if len(runs) > limit {
		runs = runs[:limit]
		next = runs[limit-1].ID
	}
	return runs, next, nil
}

// LatestModelRuns returns each dimension's newest run that finished
// (done or not evaluated), by dimension name.
func (s *Store) LatestModelRuns(ctx context.Context) (map[string]ModelRun, error) {
	var runs []ModelRun
	err := s.read(ctx).Where("id IN (SELECT max(id) FROM model_runs WHERE status IN ? GROUP BY dimension)", []string{RunDone, RunNotEvaluated}).Find(&runs).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make(map[string]ModelRun, len(runs))
	for _, r := range runs {
		out[r.Dimension] = r
	}
	return out, nil
}

// LabelIssuePage is one page of a dimension's likely label errors, with
// each paragraph's text; Next is the rank to continue after.
type LabelIssuePage struct {
	Run    *ModelRun         `json:"run"`
	Issues []LabelIssueEntry `json:"paragraphs"`
	Next   int64             `json:"next,omitempty"`
}

// LabelIssueEntry is a LabelIssue with its paragraph's place and text,
// and the gold label a reviewer set on it after the run.
type LabelIssueEntry struct {
	LabelIssue
	DocumentID  int64  `json:"document_id"`
	DocumentKey string `json:"document_key"`
	Position    int    `json:"position"`
	Text        string `json:"text"`
	// Gold is the paragraph's gold label for the dimension now, when it
	// is not the label the run judged (a reviewer set it since).
	Gold Values `json:"gold,omitempty"`
}

// LabelIssues returns one page of the likely label errors of a
// dimension's latest finished run, least likely label first. It is
// ENOTFOUND when the dimension has no evaluated run yet.
func (s *Store) LabelIssues(ctx context.Context, dimension string, q ListQuery) (*LabelIssuePage, error) {
	var run ModelRun
	err := s.read(ctx).Where("dimension = ? AND status = ?", dimension, RunDone).Order("id DESC").Limit(1).Find(&run).Error
	if err != nil {
		return nil, translate(err)
	}
	if run.ID == 0 {
		return nil, &Error{Code: ENOTFOUND, Field: "dimension", Message: fmt.Sprintf("the model has not been trained on %q yet; train it (the Model page, or POST /api/v1/model/train) once it has gold or confident consensus labels", dimension)}
	}
	limit := q.Limit
	if err := checkList(&limit, DefaultIssueLimit, MaxIssueLimit, q.After); err != nil {
		return nil, err
	}
	var issues []LabelIssue
	if err := s.read(ctx).Where("run_id = ? AND rank > ?", run.ID, q.After).Order("rank").Limit(limit + 1).Find(&issues).Error; err != nil {
		return nil, translate(err)
	}
	page := &LabelIssuePage{Run: &run, Issues: []LabelIssueEntry{}}
	if len(issues) > limit {
		issues = issues[:limit]
		page.Next = int64(issues[limit-1].Rank)
	}
	ids := make([]int64, len(issues))
	for i, is := range issues {
		ids[i] = is.ParagraphID
	}
	type para struct {
		ID         int64
		DocumentID int64
		Key        string
		Position   int
		Text       string
	}
	var paras []para
	if len(ids) > 0 {
		if err := s.read(ctx).Raw("SELECT p.id, p.document_id, d.doc_key AS key, p.position, p.text FROM paragraphs p JOIN documents d ON d.id = p.document_id WHERE p.id IN ?", ids).Scan(&paras).Error; err != nil {
			return nil, translate(err)
		}
	}
	byID := make(map[int64]para, len(paras))
	for _, p := range paras {
		byID[p.ID] = p
	}
	var golds []Gold
	if len(ids) > 0 {
		if err := s.read(ctx).Where("paragraph_id IN ?", ids).Find(&golds).Error; err != nil {
			return nil, translate(err)
		}
	}
	gold := make(map[int64]Labels, len(golds))
	for _, g := range golds {
		gold[g.ParagraphID] = g.Labels
	}
	for _, is := range issues {
		p := byID[is.ParagraphID]
		e := LabelIssueEntry{LabelIssue: is, DocumentID: p.DocumentID, DocumentKey: p.Key, Position: p.Position, Text: p.Text}
		if g, ok := gold[is.ParagraphID][dimension]; ok && !slices.Equal(g, is.Given) {
			e.Gold = Values(g)
		}
		page.Issues = append(page.Issues, e)
	}
	return page, nil
}
