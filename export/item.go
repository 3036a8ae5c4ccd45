package export

import (
	"context"
	"fmt"
	"slices"

	"concord/annotate"
)

// Gold sources: how an item's gold label was reached.
const (
	// GoldAdjudicated is a gold label a reviewer decided.
	GoldAdjudicated = "adjudicated"
	// GoldMajority is the answer more than half of two or more annotators
	// gave, in every dimension.
	GoldMajority = "majority"
	// GoldSingle is the labels of the one annotator who labelled the
	// paragraph: nobody checked them.
	GoldSingle = "single"
	// GoldTie is a paragraph whose annotators have no strict majority in
	// some dimension: it has no gold label until a reviewer decides.
	GoldTie = "tie"
	// GoldConsensus is the Dawid–Skene consensus, taken as gold because
	// Options.GoldFromConsensus asked for it and it was confident enough.
	// No reviewer saw it, and an import does not store it as gold.
	GoldConsensus = "consensus"
)

// GoldSources lists the gold sources, as exports write them.
var GoldSources = []string{GoldAdjudicated, GoldMajority, GoldSingle, GoldTie, GoldConsensus}

// Item is one paragraph as an export writes it: the stored record, its gold
// label over the selected dimensions and where it comes from, the share of
// annotators who chose it, its confirmed flags and its split.
type Item struct {
	Record *annotate.ParagraphRecord
	// Gold holds the gold value of each selected dimension that has one.
	Gold annotate.Labels
	// Source is GoldAdjudicated, GoldMajority, GoldSingle, GoldTie, or ""
	// when nobody labelled the paragraph.
	Source string
	// Support is, per selected dimension, the share of annotators whose
	// value equals the gold value; absent when there is no gold value, no
	// annotator, or one annotator only (GoldSingle: there is no agreement
	// to measure).
	Support map[string]float64
	Flags   []string
	Split   string
	// Consensus is the paragraph's consensus on each single and multi
	// dimension, from the latest consensus run.
	Consensus map[string]annotate.ConsensusItem
	// Suggestions are the models' suggestions for the selected dimensions,
	// written in fields of their own: never in the gold or the annotations.
	Suggestions []annotate.Suggestion
}

// ID returns the paragraph's stable identifier: its document key and its
// position, which survive an export and an import into another database.
func (it *Item) ID() string {
	return fmt.Sprintf("%s#%d", it.Record.Document.Key, it.Record.Paragraph.Position)
}

// plan is what every writer shares: the schema restricted to the selected
// dimensions, the split of each document and the options.
type plan struct {
	store  *annotate.Store
	opt    Options
	schema *annotate.Schema
	dims   []annotate.Dimension
	splits map[int64]string
	// labels is goldOf's scratch space, reused from item to item.
	labels []annotate.Labels
	total  int64
	stats  *Summary
	// run is the consensus run of the labels as they are, whose items the
	// walk reads with each batch of paragraphs.
	run *annotate.ConsensusRun
	// goldMethods counts the gold labels written by how they were made:
	// reviewerKey and a reviewer's method ("majority", "accept:NAME",
	// "consensus:…"), or the source of a gold label nobody decided.
	goldMethods map[string]int64
}

// Summary says what an export wrote.
type Summary struct {
	// Paragraphs counts the paragraphs written, Skipped those the filters
	// left out, by reason.
	Paragraphs int64            `json:"paragraphs"`
	Skipped    map[string]int64 `json:"skipped"`
	Lines      int64            `json:"lines,omitempty"`
	// Truncated counts Excel cells cut at the cell limit.
	Truncated int64 `json:"truncated_cells,omitempty"`
	// Sheets lists the Excel sheets written.
	Sheets []string `json:"sheets,omitempty"`
	// Includes says, in words, what the gold-only and minimum agreement
	// filters kept (Options.Includes).
	Includes []string `json:"includes,omitempty"`
	// Warnings are things the reader of the export should know, such as a
	// split that could not give every part a document.
	Warnings []string `json:"warnings,omitempty"`
}

// Skip reasons.
const (
	skipFlagged   = "flagged"
	skipNoGold    = "no gold label"
	skipAgreement = "below minimum agreement"
	skipSingle    = "labelled by a single annotator (no agreement; not gold)"
	skipTie       = "tie: no strict majority (left for a reviewer)"
)

func newPlan(ctx context.Context, store *annotate.Store, opt Options) (*plan, error) {
	if err := opt.normalize(); err != nil {
		return nil, err
	}
	sc, err := store.Schema(ctx)
	if err != nil {
		return nil, err
	}
	p := &plan{store: store, opt: opt, stats: &Summary{Skipped: map[string]int64{}, Includes: opt.Includes()}, goldMethods: map[string]int64{}}
	if len(opt.Dimensions) == 0 {
		p.dims = append(p.dims, sc.Dimensions...)
	} else {
		for _, name := range opt.Dimensions {
			d, ok := sc.Dimension(name)
			if !ok {
				return nil, &annotate.Error{Code: annotate.EINVALID, Field: "dimensions", Message: fmt.Sprintf("unknown dimension %q", name), Allowed: sc.Names()}
			}
			if !slices.ContainsFunc(p.dims, func(x annotate.Dimension) bool { return x.Name == name }) {
				p.dims = append(p.dims, *d)
			}
		}
	}
	p.schema = &annotate.Schema{Version: sc.Version, Dimensions: p.dims}
	if opt.Split.Stratify != "" {
		if _, ok := sc.Dimension(opt.Split.Stratify); !ok {
			return nil, &annotate.Error{Code: annotate.EINVALID, Field: "stratify", Message: fmt.Sprintf("unknown dimension %q", opt.Split.Stratify), Allowed: sc.Names()}
		}
	}
	if len(opt.Annotators) > 0 {
		// Fail early, before any byte is written, on an unknown name.
		if _, err := store.Annotators(ctx, opt.Annotators); err != nil {
			return nil, err
		}
	}
	if p.total, err = store.CountParagraphs(ctx); err != nil {
		return nil, err
	}
	if p.run, err = store.ConsensusNow(ctx); err != nil {
		return nil, err
	}
	if !opt.Split.Off {
		var sizes []annotate.DocumentSize
		if p.splits, sizes, err = assignSplits(ctx, store, sc, opt); err != nil {
			return nil, err
		}
		if w := splitWarning(opt, sizes, p.splits); w != "" {
			p.stats.Warnings = append(p.stats.Warnings, w)
		}
	}
	return p, nil
}

// each walks the paragraphs the options keep and calls fn with each.
func (p *plan) each(ctx context.Context, fn func(*Item) error) error {
	var done int64
	every := max(p.total/200, 1000)
	return p.store.EachParagraph(ctx, annotate.ParagraphFilter{Annotators: p.opt.Annotators, Consensus: p.run, Suggestions: true}, func(r *annotate.ParagraphRecord) error {
		done++
		if p.opt.Progress != nil && done%every == 0 {
			p.opt.Progress(done, p.total)
		}
		it := Item{Record: r}
		it.Flags = r.ConfirmedFlags()
		if len(it.Flags) > 0 && !p.opt.IncludeFlagged {
			p.stats.Skipped[skipFlagged]++
			return nil
		}
		p.labels = goldOf(&it, p.schema, p.labels)
		it.Consensus = r.Consensus
		it.Suggestions = p.suggestionsOf(r)
		if p.opt.GoldFromConsensus > 0 {
			p.goldFromConsensus(&it)
		}
		if reason := p.drop(&it); reason != "" {
			p.stats.Skipped[reason]++
			return nil
		}
		it.Split = p.splits[r.Paragraph.DocumentID]
		p.stats.Paragraphs++
		switch {
		case it.Source == GoldAdjudicated:
			p.goldMethods[reviewerKey+r.Gold.Method]++
		case len(it.Gold) > 0:
			p.goldMethods[it.Source]++
		}
		return fn(&it)
	})
}

func (p *plan) finish() {
	if p.opt.Progress != nil {
		p.opt.Progress(p.total, p.total)
	}
}

// drop returns why the filters leave an item out, or "". Gold only keeps
// adjudicated paragraphs and majority ones; a single annotator's labels
// and ties are not gold (unless SingleAsGold, for the single annotator's
// labels). Minimum agreement keeps adjudicated paragraphs
// and majority ones whose support reaches it; a single annotator cannot
// pass it, since there is no agreement to measure.
func (p *plan) drop(it *Item) string {
	if p.opt.GoldOnly || p.opt.MinAgreement > 0 {
		switch {
		case it.Source == GoldSingle && (p.opt.MinAgreement > 0 || !p.opt.SingleAsGold):
			return skipSingle
		case it.Source == GoldTie:
			return skipTie
		}
	}
	if p.opt.GoldOnly {
		switch it.Source {
		case "":
			return skipNoGold
		case GoldMajority:
			any := false
			for _, d := range p.dims {
				has := len(it.Gold[d.Name]) > 0
				any = any || has
				if d.Required && !has {
					return skipNoGold
				}
			}
			if !any {
				return skipNoGold
			}
		}
	}
	if p.opt.MinAgreement > 0 && it.Source != GoldAdjudicated {
		if len(it.Record.Annotations) == 0 {
			return skipAgreement
		}
		for _, d := range p.dims {
			answered := false
			for _, a := range it.Record.Annotations {
				if len(a.Labels[d.Name]) > 0 {
					answered = true
					break
				}
			}
			if answered && it.Support[d.Name] < p.opt.MinAgreement {
				return skipAgreement
			}
		}
	}
	return ""
}

// goldOf fills in the gold label of an item and says how it was reached:
// the adjudicated label when a reviewer decided one (GoldAdjudicated);
// else, with one annotator, their labels (GoldSingle, without support);
// else, when every dimension has a strict majority (annotate.Majorities),
// the majority answers with their support (GoldMajority); else no gold
// label at all (GoldTie), since a tie is for a reviewer to break. sc holds
// the selected dimensions. labels is scratch space, returned for reuse.
func goldOf(it *Item, sc *annotate.Schema, labels []annotate.Labels) []annotate.Labels {
	anns := it.Record.Annotations
	it.Gold = annotate.Labels{}
	it.Support = map[string]float64{}
	n := len(anns)
	if g := it.Record.Gold; g != nil {
		it.Source = GoldAdjudicated
		for _, d := range sc.Dimensions {
			if vs := g.Labels[d.Name]; len(vs) > 0 {
				it.Gold[d.Name] = vs
			}
			if n > 0 && (len(g.Labels[d.Name]) > 0 || d.Kind == annotate.KindMulti) {
				agree := 0
				for _, a := range anns {
					if slices.Equal(a.Labels[d.Name], g.Labels[d.Name]) {
						agree++
					}
				}
				it.Support[d.Name] = float64(agree) / float64(n)
			}
		}
		return labels
	}
	switch n {
	case 0:
		return labels
	case 1:
		it.Source = GoldSingle
		for _, d := range sc.Dimensions {
			if vs := anns[0].Labels[d.Name]; len(vs) > 0 {
				it.Gold[d.Name] = vs
			}
		}
		return labels
	}
	labels = labels[:0]
	for _, a := range anns {
		labels = append(labels, a.Labels)
	}
	for _, m := range annotate.Majorities(sc, labels) {
		if m.Tie {
			it.Source = GoldTie
			clear(it.Gold)
			clear(it.Support)
			return labels
		}
		if len(m.Labels) > 0 {
			it.Gold[m.Dimension] = m.Labels
			it.Support[m.Dimension] = m.Strength()
		}
	}
	if len(it.Gold) > 0 {
		it.Source = GoldMajority
	}
	return labels
}

// reviewerKey leads the goldMethods key of a reviewer's decision, which
// would otherwise be confused with a source ("majority" is both).
const reviewerKey = "reviewer:"

// goldFromConsensus makes the consensus the gold label of an item no
// reviewer decided, when every selected single and multi dimension has a
// consensus that is not a tie and reaches the threshold. Open dimensions
// keep the majority's value, if any. Support is the share of annotators
// who gave the consensus value.
func (p *plan) goldFromConsensus(it *Item) {
	if it.Source == GoldAdjudicated || len(it.Record.Annotations) == 0 {
		return
	}
	gold := annotate.Labels{}
	some := false
	for _, d := range p.dims {
		if d.Kind == annotate.KindOpen {
			if vs := it.Gold[d.Name]; len(vs) > 0 && it.Source == GoldMajority {
				gold[d.Name] = vs
			}
			continue
		}
		c, ok := it.Consensus[d.Name]
		if !ok || c.Tie || c.Confidence < p.opt.GoldFromConsensus {
			return
		}
		some = true
		if len(c.Values) > 0 {
			gold[d.Name] = c.Values
		}
	}
	if !some {
		return
	}
	it.Gold, it.Source = gold, GoldConsensus
	it.Support = map[string]float64{}
	n := len(it.Record.Annotations)
	for _, d := range p.dims {
		if len(gold[d.Name]) == 0 && d.Kind != annotate.KindMulti {
			continue
		}
		agree := 0
		for _, a := range it.Record.Annotations {
			if slices.Equal(a.Labels[d.Name], gold[d.Name]) || len(a.Labels[d.Name]) == 0 && len(gold[d.Name]) == 0 {
				agree++
			}
		}
		if n > 1 {
			it.Support[d.Name] = float64(agree) / float64(n)
		}
	}
}
