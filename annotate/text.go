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
