package annotate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Block is one paragraph as cut from a source text: its position among the
// document's paragraphs (from 0), the byte offsets of its first and one past
// its last non-space byte in the source, its normalized text and the hash of
// that text.
type Block struct {
	Position int
	Start    int
	End      int
	Text     string
	Hash     string
}

// SplitMode says where an import cuts a document's text into paragraphs.
type SplitMode string

// Paragraph boundaries.
const (
	// SplitBlankLines cuts at blank lines: lines without one between them
	// are one paragraph (a wrapped line goes on). The default.
	SplitBlankLines SplitMode = "blank-lines"
	// SplitLines makes every non-blank line a paragraph, for corpora that
	// separate paragraphs by single line breaks.
	SplitLines SplitMode = "lines"
)

// SplitModes lists the paragraph boundaries an import can use.
var SplitModes = []string{string(SplitBlankLines), string(SplitLines)}

// TitleRule says which part of a document's text, if any, is its title when
// the document gives none.
type TitleRule string

// Title rules.
const (
	// TitleFirstBlock takes the first paragraph as the title: the rule for
	// .txt and .md files.
	TitleFirstBlock TitleRule = "first-block"
	// TitleFirstLine takes the first line only as the title.
	TitleFirstLine TitleRule = "first-line"
	// TitleNone takes no title: all the text is paragraphs. The rule for
	// JSONL documents, whose title is a field of its own.
	TitleNone TitleRule = "none"
)

// TitleRules lists the title rules an import can use.
var TitleRules = []string{string(TitleFirstBlock), string(TitleFirstLine), string(TitleNone)}

// ParseSplitMode checks a paragraph boundary name; "" is SplitBlankLines.
func ParseSplitMode(s string) (SplitMode, error) {
	switch SplitMode(s) {
	case "", SplitBlankLines:
		return SplitBlankLines, nil
	case SplitLines:
		return SplitLines, nil
	}
	return "", &Error{Code: EINVALID, Field: "split", Message: fmt.Sprintf("unknown paragraph split %q", s), Allowed: SplitModes}
}

// ParseTitleRule checks a title rule name; "" means the rule of each
// file's format and is returned as "".
func ParseTitleRule(s string) (TitleRule, error) {
	switch TitleRule(s) {
	case "", TitleFirstBlock, TitleFirstLine, TitleNone:
		return TitleRule(s), nil
	}
	return "", &Error{Code: EINVALID, Field: "title", Message: fmt.Sprintf("unknown title rule %q", s), Allowed: TitleRules}
}

// Split cuts a document's source text into its title and paragraphs.
//
// Paragraphs are blocks of lines separated by one or more blank lines (a line
// holding only white space is blank). Inside a block every run of white space,
// line breaks included, becomes one space. A notice, promotion or photo
// credit line glued under a line that ends a sentence, with no blank line
// between them (as "Get more news" often is on scraped pages), is a
// paragraph of its own, and so is one that heads a block above a line that
// starts a new sentence; the text under it starts the next paragraph, so
// that the line can be flagged without taking article text with it and no
// text that was apart is joined. The title is the first block that is not a
// browser or app notice or a navigation line (such as "IE 11 is not
// supported…"), so that such a notice at the head of a scraped article does
// not name the document; the title block is not a paragraph. Offsets count
// bytes of src as given, so src[b.Start:b.End] is the paragraph before
// normalization. A leading UTF-8 byte-order mark is skipped.
func Split(src []byte) (title string, blocks []Block) {
	return SplitWith(src, SplitBlankLines, TitleFirstBlock)
}

// SplitBody cuts src into paragraphs as Split does, with no block taken as
// the title: for documents whose title is given apart from their text.
func SplitBody(src []byte) []Block {
	_, blocks := SplitWith(src, SplitBlankLines, TitleNone)
	return blocks
}

// SplitWith cuts src into paragraphs at the given boundaries and takes its
// title by rule: the first block that is not a notice (TitleFirstBlock), the
// first non-blank line that is not one (TitleFirstLine), or none. A title
// may leave no paragraph; the caller decides what that means.
func SplitWith(src []byte, mode SplitMode, rule TitleRule) (title string, blocks []Block) {
	lines := splitLines(src)
	if rule == TitleFirstLine {
		for i, ln := range lines {
			if ln.blank {
				continue
			}
			if text := Normalize(string(src[ln.start:ln.end])); !isNotice(text) {
				title = text
				lines[i].blank = true
				break
			}
		}
	}
	spans := cut(src, lines, mode)
	titleDone := rule != TitleFirstBlock
	for _, s := range spans {
		text := Normalize(string(src[s.start:s.end]))
		if !titleDone && !isNotice(text) {
			title = text
			titleDone = true
			continue
		}
		blocks = append(blocks, Block{
			Position: len(blocks),
			Start:    s.start,
			End:      s.end,
			Text:     text,
			Hash:     HashText(text),
		})
	}
	return title, blocks
}

// line is one line of a source: the offsets of its first and one past its
// last non-space byte, or blank.
type line struct {
	start, end int
	blank      bool
}

// span is a paragraph's offsets in its source.
type span struct{ start, end int }

func splitLines(src []byte) []line {
	i := 0
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		i = 3
	}
	var out []line
	for i < len(src) {
		lineEnd, next := len(src), len(src)
		if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
			lineEnd, next = i+j, i+j+1
		}
		l := src[i:lineEnd]
		trimmed := bytes.TrimFunc(l, unicode.IsSpace)
		if len(trimmed) == 0 {
			out = append(out, line{blank: true})
		} else {
			lead := bytes.Index(l, trimmed)
			out = append(out, line{start: i + lead, end: i + lead + len(trimmed)})
		}
		i = next
	}
	return out
}

// cut groups lines into paragraphs.
func cut(src []byte, lines []line, mode SplitMode) []span {
	var spans []span
	if mode == SplitLines {
		for _, ln := range lines {
			if !ln.blank {
				spans = append(spans, span{ln.start, ln.end})
			}
		}
		return spans
	}
	open := false
	var cur span
	// prevEnds says whether the block's last line ends a sentence, so that a
	// boilerplate line glued under it ("Get more news") can stand apart.
	prevEnds := false
	for i, ln := range lines {
		if ln.blank {
			if open {
				spans = append(spans, cur)
				open = false
			}
			continue
		}
		text := src[ln.start:ln.end]
		bp := boilerplateLine(string(text))
		switch {
		case bp && open && prevEnds, bp && !open && startsSentence(src, lines, i+1):
			// A scraped page often puts a notice or promotion right under
			// a paragraph, or right above one, with no blank line: it is a
			// paragraph of its own, so that it can be flagged, and the
			// text on either side stays as it was.
			if open {
				spans = append(spans, cur)
				open = false
			}
			spans = append(spans, span{ln.start, ln.end})
		case open:
			cur.end = ln.end
		default:
			cur, open = span{ln.start, ln.end}, true
		}
		prevEnds = endsSentence(text)
	}
	if open {
		spans = append(spans, cur)
	}
	return spans
}

// startsSentence reports whether lines[i] is a non-blank line that starts
// with a capital letter, a digit or an opening quote: a new sentence rather
// than the rest of the line above.
func startsSentence(src []byte, lines []line, i int) bool {
	if i >= len(lines) || lines[i].blank {
		return false
	}
	r, _ := utf8.DecodeRune(src[lines[i].start:lines[i].end])
	return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("\"'“‘«(", r)
}

// LooksLineSeparated reports whether src, cut at blank lines, would give one
// long paragraph out of several lines: apart from a one-line title block
// at its head, it is one block of three lines or more and 1,000 bytes or
// more. Such a body separates its paragraphs by single line breaks and
// wants SplitLines.
func LooksLineSeparated(src []byte) bool {
	if len(src) < 1000 {
		return false
	}
	type block struct{ lines, start, end int }
	var blocks []block
	open := false
	for _, ln := range splitLines(src) {
		switch {
		case ln.blank:
			open = false
		case open:
			b := &blocks[len(blocks)-1]
			b.lines++
			b.end = ln.end
		default:
			blocks = append(blocks, block{1, ln.start, ln.end})
			open = true
		}
	}
	if len(blocks) == 2 && blocks[0].lines == 1 {
		blocks = blocks[1:]
	}
	return len(blocks) == 1 && blocks[0].lines >= 3 && blocks[0].end-blocks[0].start >= 1000
}

// Normalize collapses every run of white space in s to one space and trims
// both ends. Invalid UTF-8 is kept byte for byte; callers reject it earlier.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// HashText returns the hex SHA-256 of a normalized paragraph text. Two
// paragraphs with the same hash are exact duplicates.
func HashText(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

var (
	noticeRe = regexp.MustCompile(`(?i)^(ie ?\d+ is not supported|your browser is (not supported|out of date)|please (enable javascript|update your browser)|this (site|page) (requires|works best)|for an optimal experience)`)
	appRe    = regexp.MustCompile(`(?i)^(download|get) the .{1,60}\bapp\b`)
	moreRe   = regexp.MustCompile(`(?i)^(get more news|read more|advertisement$|sign up for|subscribe (now|today|to our)|related:|share this|click here)`)
	// A photo credit names a photographer or an agency on its own:
	// "Photo: …", "Image by …", "Dave Hosford/Flickr", "(AP Photo)",
	// "John Doe / Getty Images". A sentence that mentions Reuters or a
	// photo in passing is not one.
	creditLeadRe = regexp.MustCompile(`(?i)^\(?(photo|photograph|image|picture|credit|photo credit|file photo)s?\s*(:|by\b|credit\b|courtesy\b)`)
	creditTailRe = regexp.MustCompile(`(?i)(/|\||\bvia|^|\()\s*(flickr|getty images|reuters|ap|ap photo|afp|epa|shutterstock|wikimedia commons|unsplash)( photo)?\)?$`)
)

// isNotice reports whether a block is a browser or app notice, or a
// navigation line, which is never a document's title.
func isNotice(text string) bool {
	return noticeRe.MatchString(text) || appRe.MatchString(text) || moreRe.MatchString(text)
}

// isCredit reports whether text is a photo credit line.
func isCredit(text string) bool {
	if utf8.RuneCountInString(text) > 100 || strings.HasSuffix(text, ".") && !creditLeadRe.MatchString(text) {
		return false
	}
	return creditLeadRe.MatchString(text) || creditTailRe.MatchString(text)
}

// boilerplateLine reports whether one line inside a block is boilerplate
// strong enough to be cut out of it.
func boilerplateLine(line string) bool {
	return utf8.RuneCountInString(line) <= 100 && (isNotice(line) || isCredit(line))
}

// endsSentence reports whether a line ends with sentence punctuation,
// possibly followed by a closing quote or bracket.
func endsSentence(line []byte) bool {
	s := strings.TrimRight(string(line), "\"'”’)]»")
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "…")
}

// BoilerplateReason says why a paragraph looks like boilerplate rather than
// article text, or returns "" when it does not. It is a suggestion for a
// reviewer to confirm or dismiss; nothing is removed because of it.
func BoilerplateReason(text string) string {
	switch {
	case noticeRe.MatchString(text):
		return "browser notice"
	case appRe.MatchString(text):
		return "app promotion"
	case moreRe.MatchString(text):
		return "navigation or promotion text"
	case isCredit(text):
		return "photo credit"
	case len(strings.Fields(text)) <= 4 && !strings.ContainsAny(text, ".!?\"“”"):
		return "very short line"
	}
	return ""
}
