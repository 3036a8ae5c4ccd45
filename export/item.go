package export

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"concord/annotate"
)

// Gold sources.
const (
	GoldAdjudicated = "adjudicated"
	GoldMajority    = "majority"
)

// Item is one paragraph as an export writes it: the stored record, its gold
// label over the selected dimensions and where it comes from, the share of
// annotators who chose it, its confirmed flags and its split.
type Item struct {
	Record *annotate.ParagraphRecord
	// Gold holds the gold value of each selected dimension that has one.
	Gold annotate.Labels
	// Source is GoldAdjudicated, GoldMajority or "" when there is none.
	Source string
	// Support is, per selected dimension, the share of annotators whose
	// value equals the gold value; absent when there is no gold value or no
	// annotator.
	Support map[string]float64
	Flags   []string
	Split   string
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
	total  int64
	stats  *Summary
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
}

// Skip reasons.
const (
	skipFlagged   = "flagged"
	skipNoGold    = "no gold label"
	skipAgreement = "below minimum agreement"
)

func newPlan(ctx context.Context, store *annotate.Store, opt Options) (*plan, error) {
	if err := opt.normalize(); err != nil {
		return nil, err
	}
	sc, err := store.Schema(ctx)
	if err != nil {
		return nil, err
	}
	p := &plan{store: store, opt: opt, stats: &Summary{Skipped: map[string]int64{}}}
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
	if !opt.Split.Off {
		if p.splits, err = assignSplits(ctx, store, sc, opt); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// each walks the paragraphs the options keep and calls fn with each.
func (p *plan) each(ctx context.Context, fn func(*Item) error) error {
	var done int64
	every := max(p.total/200, 1000)
	return p.store.EachParagraph(ctx, annotate.ParagraphFilter{Annotators: p.opt.Annotators}, func(r *annotate.ParagraphRecord) error {
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
		goldOf(&it, p.dims)
		if reason := p.drop(&it); reason != "" {
			p.stats.Skipped[reason]++
			return nil
		}
		it.Split = p.splits[r.Paragraph.DocumentID]
		p.stats.Paragraphs++
		return fn(&it)
	})
}

func (p *plan) finish() {
	if p.opt.Progress != nil {
		p.opt.Progress(p.total, p.total)
	}
}

// drop returns why the filters leave an item out, or "".
func (p *plan) drop(it *Item) string {
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

// goldOf fills in the gold label of an item: the adjudicated one when there
// is one, else the majority of the annotators in each dimension. A single
// or open dimension's majority is the value more than half the annotators
// chose; a multi dimension's is the set of options more than half chose,
// as long as at least one annotator chose exactly that set.
func goldOf(it *Item, dims []annotate.Dimension) {
	anns := it.Record.Annotations
	it.Gold = annotate.Labels{}
	it.Support = map[string]float64{}
	n := len(anns)
	if g := it.Record.Gold; g != nil {
		it.Source = GoldAdjudicated
		for _, d := range dims {
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
		return
	}
	if n == 0 {
		return
	}
	for _, d := range dims {
		if d.Kind == annotate.KindMulti {
			counts := map[string]int{}
			for _, a := range anns {
				for _, v := range a.Labels[d.Name] {
					counts[v]++
				}
			}
			var set []string
			for v, c := range counts {
				if 2*c > n {
					set = append(set, v)
				}
			}
			sort.Strings(set)
			agree := 0
			for _, a := range anns {
				if slices.Equal(a.Labels[d.Name], set) {
					agree++
				}
			}
			if agree == 0 || len(set) == 0 {
				continue
			}
			it.Gold[d.Name] = set
			it.Support[d.Name] = float64(agree) / float64(n)
			continue
		}
		best, bestN := "", 0
		counts := map[string]int{}
		for _, a := range anns {
			if vs := a.Labels[d.Name]; len(vs) > 0 {
				counts[vs[0]]++
				if c := counts[vs[0]]; c > bestN || c == bestN && vs[0] < best {
					best, bestN = vs[0], c
				}
			}
		}
		if 2*bestN > n {
			it.Gold[d.Name] = []string{best}
			it.Support[d.Name] = float64(bestN) / float64(n)
		}
	}
	if len(it.Gold) > 0 {
		it.Source = GoldMajority
	}
}
