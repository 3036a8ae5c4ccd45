package annotate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

// Split cuts a document's source text into its title and paragraphs.
//
// Paragraphs are blocks of lines separated by one or more blank lines (a line
// holding only white space is blank). Inside a block every run of white space,
// line breaks included, becomes one space. A notice, promotion or photo
// credit line glued under a line that ends a sentence, with no blank line
// between them (as "Get more news" often is on scraped pages), starts a
// paragraph of its own, so that it can be flagged without taking the article
// text with it. The title is the first block that is not a browser or app
// notice or a navigation line (such as "IE 11 is not supported…"), so that
// such a notice at the head of a scraped article does not name the document;
// the title block is not a paragraph. Offsets count
// bytes of src as given, so src[b.Start:b.End] is the paragraph before
// normalization. A leading UTF-8 byte-order mark is skipped.
func Split(src []byte) (title string, blocks []Block) {
	return split(src, true)
}

// SplitBody cuts src into paragraphs as Split does, with no block taken as
// the title: for documents whose title is given apart from their text.
func SplitBody(src []byte) []Block {
	_, blocks := split(src, false)
	return blocks
}

func split(src []byte, wantTitle bool) (title string, blocks []Block) {
	start := 0
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		start = 3
	}
	type span struct{ start, end int }
	var spans []span
	blockStart, blockEnd := -1, -1
	// prevEnds says whether the block's last line ends a sentence, so that a
	// boilerplate line glued under it ("Get more news") can stand apart.
	prevEnds := false
	for i := start; i < len(src); {
		j := bytes.IndexByte(src[i:], '\n')
		lineEnd := len(src)
		next := len(src)
		if j >= 0 {
			lineEnd = i + j
			next = lineEnd + 1
		}
		line := src[i:lineEnd]
		trimmed := bytes.TrimFunc(line, unicode.IsSpace)
		switch {
		case len(trimmed) == 0:
			if blockStart >= 0 {
				spans = append(spans, span{blockStart, blockEnd})
				blockStart = -1
			}
		case blockStart >= 0 && prevEnds && boilerplateLine(string(trimmed)):
			// A scraped page often puts a notice or promotion right under
			// a paragraph with no blank line: keep it out of the paragraph
			// so that it can be flagged, and the paragraph stays clean.
			lead := bytes.Index(line, trimmed)
			spans = append(spans, span{blockStart, blockEnd})
			blockStart, blockEnd = i+lead, i+lead+len(trimmed)
		default:
			lead := bytes.Index(line, trimmed)
			if blockStart < 0 {
				blockStart = i + lead
			}
			blockEnd = i + lead + len(trimmed)
		}
		if len(trimmed) > 0 {
			prevEnds = endsSentence(trimmed)
		}
		i = next
	}
	if blockStart >= 0 {
		spans = append(spans, span{blockStart, blockEnd})
	}
	titleDone := !wantTitle
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
