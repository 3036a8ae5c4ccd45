package export

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"concord/annotate"
)

var splitNames = [3]string{SplitTrain, SplitDev, SplitTest}

// assignSplits puts every document in train, dev or test.
//
// Without stratify, a document's split depends on nothing but its key, the
// seed and the ratios: a hash of the key and the seed, read as a number in
// [0, 1), falls in the train, dev or test share. So the same document is in
// the same split in every export of every database it is imported into,
// whatever else the corpus holds, the order documents were imported in,
// their database ids or what the export's filters left out; the shares are
// met by documents on average, closely for a corpus of hundreds.
//
// With a stratify dimension, documents are spread so that each split
// follows the corpus's label distribution as closely as whole documents
// allow: documents are ordered by the same hash within each stratum (the
// value most of a document's paragraphs have as gold label in that
// dimension), then each goes to the split furthest below its share of
// paragraphs. That split depends on the rest of the corpus and its labels.
//
// It also returns the documents it split, for splitWarning.
func assignSplits(ctx context.Context, store *annotate.Store, sc *annotate.Schema, opt Options) (map[int64]string, []annotate.DocumentSize, error) {
	sizes, err := store.DocumentSizes(ctx)
	if err != nil {
		return nil, nil, err
	}
	var sum float64
	for _, r := range opt.Split.Ratios {
		sum += r
	}
	seed := strconv.FormatUint(opt.Split.Seed, 10)
	order := func(key string) uint64 {
		h := sha256.Sum256([]byte(key + "\x00" + seed))
		return binary.BigEndian.Uint64(h[:8])
	}
	out := make(map[int64]string, len(sizes))
	if opt.Split.Stratify == "" {
		for _, s := range sizes {
			out[s.ID] = splitOf(order(s.Key), opt.Split.Ratios, sum)
		}
		return out, sizes, nil
	}
	strata, err := documentStrata(ctx, store, sc, opt)
	if err != nil {
		return nil, nil, err
	}
	type doc struct {
		annotate.DocumentSize
		order uint64
	}
	groups := map[string][]doc{}
	for _, s := range sizes {
		groups[strata[s.ID]] = append(groups[strata[s.ID]], doc{s, order(s.Key)})
	}
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
	return out, sizes, nil
}

// splitOf places a document's hash h in the train, dev or test share.
func splitOf(h uint64, ratios [3]float64, sum float64) string {
	// The top 53 bits make an exact float64 in [0, 1).
	u := float64(h>>11) / (1 << 53)
	last := 0
	acc := 0.0
	for i, r := range ratios {
		if r == 0 {
			continue
		}
		last = i
		acc += r / sum
		if u < acc {
			return splitNames[i]
		}
	}
	return splitNames[last]
}

// splitWarning says which parts of the split got no document, or "" when
// every part with a share got one. Documents are never divided, so a
// corpus of two documents cannot fill train, dev and test, and a large
// document can take the share of a part meant for others.
func splitWarning(opt Options, sizes []annotate.DocumentSize, splits map[int64]string) string {
	docs := map[string]int{}
	for _, s := range splits {
		docs[s]++
	}
	var empty []string
	for i, r := range opt.Split.Ratios {
		if r > 0 && docs[splitNames[i]] == 0 {
			empty = append(empty, splitNames[i])
		}
	}
	if len(empty) == 0 {
		return ""
	}
	r, sum := opt.Split.Ratios, 0.0
	for _, x := range r {
		sum += x
	}
	for i := range r {
		r[i] = r[i] / sum * 100
	}
	var got []string
	for _, name := range splitNames {
		if docs[name] > 0 {
			got = append(got, fmt.Sprintf("%s %d", name, docs[name]))
		}
	}
	have := "no document has paragraphs"
	if len(got) > 0 {
		have = "documents per part: " + strings.Join(got, ", ")
	}
	return fmt.Sprintf("the split %.4g/%.4g/%.4g cannot give %s a document: the corpus has %d document(s) and a document is never divided between parts (%s); import more documents, or choose shares for fewer parts, such as %s",
		r[0], r[1], r[2], strings.Join(empty, " and "), len(sizes), have, fewerParts(len(sizes)))
}

// fewerParts suggests split shares for a corpus of n documents.
func fewerParts(n int) string {
	if n <= 1 {
		return `100/0/0 or "none"`
	}
	return "90/10/0"
}

// SplitWarning returns what the export with opt would warn about its split
// (see Summary.Warnings), or "" when the split is off or gives every part
// a document: what the export page shows before anything is downloaded.
func SplitWarning(ctx context.Context, store *annotate.Store, opt Options) (string, error) {
	if err := opt.normalize(); err != nil {
		return "", err
	}
	if opt.Split.Off {
		return "", nil
	}
	sc, err := store.Schema(ctx)
	if err != nil {
		return "", err
	}
	splits, sizes, err := assignSplits(ctx, store, sc, opt)
	if err != nil {
		return "", err
	}
	return splitWarning(opt, sizes, splits), nil
}

// documentStrata returns each document's most common gold value in the
// stratify dimension ("" when none of its paragraphs has one).
func documentStrata(ctx context.Context, store *annotate.Store, sc *annotate.Schema, opt Options) (map[int64]string, error) {
	d, _ := sc.Dimension(opt.Split.Stratify)
	one := &annotate.Schema{Version: sc.Version, Dimensions: []annotate.Dimension{*d}}
	var labels []annotate.Labels
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
		labels = goldOf(&it, one, labels)
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
