package learn

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// corpus generates paragraphs on topics: each topic has its own words,
// and every paragraph mixes a share of its topic's words (signal) into
// words common to all topics, punctuated like prose.
type corpus struct {
	topics [][]string
	common []string
	r      *rand.Rand
}

func newCorpus(seed uint64, topics, topicWords, commonWords int) *corpus {
	r := rand.New(rand.NewPCG(seed, 7))
	word := func() string {
		syl := []string{"ka", "lo", "mi", "ne", "tru", "sa", "vor", "el", "qui", "da", "pen", "ro", "at", "ul", "fe", "gri"}
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		return b.String()
	}
	c := &corpus{r: r}
	for range commonWords {
		c.common = append(c.common, word())
	}
	for t := range topics {
		var ws []string
		for range topicWords {
			ws = append(ws, fmt.Sprintf("%s%c", word(), 'a'+rune(t%26)))
		}
		c.topics = append(c.topics, ws)
	}
	return c
}

// paragraph is about bytes long, with the given share of topic words.
func (c *corpus) paragraph(topic, bytes int, signal float64) string {
	var b strings.Builder
	for b.Len() < bytes {
		if b.Len() > 0 {
			if c.r.IntN(12) == 0 {
				b.WriteString(". ")
			} else {
				b.WriteByte(' ')
			}
		}
		w := c.common[c.r.IntN(len(c.common))]
		if c.r.Float64() < signal {
			w = c.topics[topic][c.r.IntN(len(c.topics[topic]))]
		}
		if b.Len() == 0 || c.r.IntN(15) == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	return b.String()
}

// labelled returns n paragraphs dealt round the topics, with labels
// "t0", "t1", ….
func (c *corpus) labelled(n, bytes int, signal float64) Data {
	var d Data
	for i := range n {
		t := i % len(c.topics)
		d.Texts = append(d.Texts, c.paragraph(t, bytes, signal))
		d.Labels = append(d.Labels, []string{fmt.Sprintf("t%d", t)})
	}
	return d
}

// topicName is the label of topic t.
func (c *corpus) topicName(t int) string { return fmt.Sprintf("t%d", t) }
