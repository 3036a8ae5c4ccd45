package export

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sort"
	"strconv"

	"concord/annotate"
)

var splitNames = [3]string{SplitTrain, SplitDev, SplitTest}

// assignSplits puts every document in train, dev or test. Documents are
// ordered by a hash of the seed and their key, so the assignment depends
// only on the documents, the seed and the ratios, never on the database's
// ids or on the other export filters; then each goes to the split furthest
// below its share of paragraphs. With a stratify dimension this is done
// separately for the documents of each stratum (the value most of a
// document's paragraphs have as gold label in that dimension), so each
// split follows the corpus's label distribution as closely as whole
// documents allow.
func assignSplits(ctx context.Context, store *annotate.Store, sc *annotate.Schema, opt Options) (map[int64]string, error) {
	sizes, err := store.DocumentSizes(ctx)
	if err != nil {
		return nil, err
	}
	strata := map[int64]string{}
	if opt.Split.Stratify != "" {
		if strata, err = documentStrata(ctx, store, sc, opt); err != nil {
			return nil, err
		}
	}
	type doc struct {
		annotate.DocumentSize
		order uint64
	}
	groups := map[string][]doc{}
	seed := strconv.FormatUint(opt.Split.Seed, 10)
	for _, s := range sizes {
		sum := sha256.Sum256([]byte(seed + "\x00" + s.Key))
		groups[strata[s.ID]] = append(groups[strata[s.ID]], doc{s, binary.BigEndian.Uint64(sum[:8])})
	}
	var sum float64
	for _, r := range opt.Split.Ratios {
		sum += r
	}
	out := make(map[int64]string, len(sizes))
	for _, docs := range groups {
		sort.Slice(docs, func(i, j int) bool {
			if docs[i].order != docs[j].order {
				return docs[i].order < docs[j].order
			}
			return docs[i].Key < docs[j].Key
		})
		total := 0
		for _, d := range docs {
			total += d.Paragraphs
		}
		var got [3]float64
		for _, d := range docs {
			best, bestGap := 0, -1e300
			for i, r := range opt.Split.Ratios {
				if r == 0 {
					continue
				}
				gap := r/sum*float64(total) - got[i]
				if gap > bestGap {
					best, bestGap = i, gap
				}
			}
			got[best] += float64(d.Paragraphs)
			out[d.ID] = splitNames[best]
		}
	}
	return out, nil
}

// documentStrata returns each document's most common gold value in the
// stratify dimension ("" when none of its paragraphs has one).
func documentStrata(ctx context.Context, store *annotate.Store, sc *annotate.Schema, opt Options) (map[int64]string, error) {
	d, _ := sc.Dimension(opt.Split.Stratify)
	dims := []annotate.Dimension{*d}
	out := map[int64]string{}
	var cur int64 = -1
	counts := map[string]int{}
	flush := func() {
		best, bestN := "", 0
		for v, n := range counts {
			if n > bestN || n == bestN && v < best {
				best, bestN = v, n
			}
		}
		if best != "" {
			out[cur] = best
		}
		clear(counts)
	}
	err := store.EachParagraph(ctx, annotate.ParagraphFilter{Annotators: opt.Annotators}, func(r *annotate.ParagraphRecord) error {
		if r.Paragraph.DocumentID != cur {
			flush()
			cur = r.Paragraph.DocumentID
		}
		it := Item{Record: r}
		goldOf(&it, dims)
		for _, v := range it.Gold[d.Name] {
			counts[v]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	flush()
	return out, nil
}
