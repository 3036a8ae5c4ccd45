package annotate

import (
	"fmt"
	"unicode/utf8"
)

// CheckText returns an EINVALID error naming field when s holds what has no
// place in stored text: bytes that are not UTF-8, a NUL (PostgreSQL cannot
// store it at all, SQLite cuts strings at it in places), or another control
// character — anything in U+0000–U+001F, U+007F–U+009F but tab, and line
// and page breaks (LF, CR, VT, FF) where multiline is set. The same text is refused the same
// way on both databases, with where the character is and what to do.
func CheckText(field, s string, multiline bool) error {
	line, col := 1, 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		col++
		if r == utf8.RuneError && size == 1 {
			return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf("%s is not valid UTF-8 (byte %d); save the text as UTF-8 and send it again", field, i)}
		}
		switch {
		case r == '\n' && multiline:
			line, col = line+1, 0
		case (r == '\r' || r == '\v' || r == '\f') && multiline, r == '\t':
		case r < 0x20, r >= 0x7f && r <= 0x9f:
			where := fmt.Sprintf("character %d", col)
			if multiline {
				where = fmt.Sprintf("line %d, character %d", line, col)
			}
			return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf("%s contains the control character U+%04X at %s; remove it (or replace it with a space) and send it again", field, r, where)}
		}
		i += size
	}
	return nil
}

// CheckImportText is the one rule for the text of imported documents and
// paragraphs, on every import path (plain text, document JSONL, labelled
// files): it refuses bytes that are not UTF-8 and the NUL character, which
// no database here can store, naming the line and character; every other
// character is kept as it is. Tab and line breaks are white space, which
// the paragraph split collapses; any other control character (U+0001–U+001F,
// U+007F–U+009F, such as the separators U+001C and U+001D some corpora
// carry) stays in the paragraph's text and its hash, and every export
// writes it so that the matching reader gets it back unchanged (a JSON
// \u escape, an Excel _xHHHH_ escape). Keys, sources and URLs, which are
// identifiers, go through CheckText and refuse every control character.
func CheckImportText(field, s string) error {
	line, col := 1, 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		col++
		switch {
		case r == utf8.RuneError && size == 1:
			return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf("not valid UTF-8 (line %d, character %d, byte %d); save the text as UTF-8 (e.g. with iconv) and import it again", line, col, i)}
		case r == 0:
			return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf("contains the NUL character U+0000 at line %d, character %d, which cannot be stored; remove it and import the text again", line, col)}
		case r == '\n':
			line, col = line+1, 0
		}
		i += size
	}
	return nil
}
