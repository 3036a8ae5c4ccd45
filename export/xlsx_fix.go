package export

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// XML 1.0 cannot hold most C0 control characters, and excelize writes them
// as U+FFFD, so that a text holding one would not come back from the
// workbook as it went in. Excel's own answer is the ST_Xstring escape: the
// character U+001C is written _x001C_, and an underscore that would start
// such a sequence literally is written _x005F_, which every reader of
// Office files reverses (excelize does). excelize escapes any _xHHHH_ it is
// given as a literal, so a cell cannot be handed the escape itself: cell
// strings are given excelize with each character to escape written as
// xlsxMark and four hex digits, and fixWorkbook turns those into the
// escape in the written sheets.

// xlsxMark starts a character escaped by xlsxString. It is a private-use
// character, itself escaped when a text holds it, so that the mark is never
// ambiguous.
const xlsxMark = '\uE000'

// xlsxString prepares s for a cell: the characters XML 1.0 cannot hold, an
// underscore that starts a literal _xHHHH_, and xlsxMark itself become
// xlsxMark and the character's four hex digits.
func xlsxString(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if escapeRune(s, i, r) {
			fmt.Fprintf(&b, "%c%04X", xlsxMark, r)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == '_' || c == 0xEE || c == 0xEF {
			for j, r := range s[i:] {
				if escapeRune(s, i+j, r) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// escapeRune reports whether the rune r at s[i] is escaped in a cell.
func escapeRune(s string, i int, r rune) bool {
	switch {
	case r < 0x20:
		return r != '\t' && r != '\n' && r != '\r'
	case r == xlsxMark, r == 0xFFFE, r == 0xFFFF:
		return true
	case r == '_':
		return isHexEscape(s[i+1:])
	}
	return false
}

// isHexEscape reports whether s starts with xHHHH, the rest of an
// ST_Xstring escape after its underscore (the closing underscore aside: an
// underscore before xHHHH is escaped whatever follows, which is harmless
// and keeps an escaped character after it from closing a sequence).
func isHexEscape(s string) bool {
	if len(s) < 5 || s[0] != 'x' {
		return false
	}
	for _, c := range []byte(s[1:5]) {
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// xlsxRow prepares a row's values for a stream writer: strings go through
// xlsxString, in place.
func xlsxRow(values []any) []any {
	for i, v := range values {
		switch x := v.(type) {
		case string:
			values[i] = xlsxString(x)
		case excelize.Cell:
			if s, ok := x.Value.(string); ok {
				x.Value = xlsxString(s)
				values[i] = x
			}
		}
	}
	return values
}

// dimRef is the range a sheet of cols columns and rows rows fills.
func dimRef(cols, rows int) string {
	if cols < 1 || rows < 1 {
		return "A1"
	}
	last, err := excelize.CoordinatesToCellName(cols, rows)
	if err != nil {
		return "A1"
	}
	return "A1:" + last
}

// fixWorkbook copies the workbook excelize wrote to src (size bytes) to w,
// with each worksheet's dimension set to the range dims gives for its name
// (excelize's stream writer declares A1 whatever it wrote, and readers such
// as openpyxl's read-only mode trust it) and the marks of xlsxString turned
// into ST_Xstring escapes. Other parts are copied as they are, still
// compressed.
func fixWorkbook(src io.ReaderAt, size int64, w io.Writer, dims map[string]string) error {
	zr, err := zip.NewReader(src, size)
	if err != nil {
		return err
	}
	byPath, err := sheetPaths(zr)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, f := range zr.File {
		name, sheet := byPath[f.Name]
		if !sheet && f.Name != "xl/sharedStrings.xml" {
			if err := zw.Copy(f); err != nil {
				return err
			}
			continue
		}
		out, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified})
		if err != nil {
			return err
		}
		in, err := f.Open()
		if err != nil {
			return err
		}
		fw := &fixWriter{w: out, dim: dims[name], dimDone: !sheet || dims[name] == ""}
		_, err = io.Copy(fw, in)
		in.Close()
		if err == nil {
			err = fw.flush()
		}
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// sheetPaths maps each worksheet's part name in the package to its sheet
// name, from the workbook and its relationships.
func sheetPaths(zr *zip.Reader) (map[string]string, error) {
	read := func(name string, v any) error {
		f, err := zr.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		return xml.NewDecoder(f).Decode(v)
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := read("xl/workbook.xml", &wb); err != nil {
		return nil, fmt.Errorf("read the workbook written: %w", err)
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := read("xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, fmt.Errorf("read the workbook written: %w", err)
	}
	target := map[string]string{}
	for _, r := range rels.Rels {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		target[r.ID] = t
	}
	out := map[string]string{}
	for _, s := range wb.Sheets {
		if t, ok := target[s.RID]; ok {
			out[t] = s.Name
		}
	}
	return out, nil
}

// fixWriter rewrites one sheet's XML as it streams through: the first
// <dimension ref="…"> gets dim, and each xlsxMark with its four hex digits
// becomes _xHHHH_.
type fixWriter struct {
	w       io.Writer
	dim     string
	dimDone bool
	buf     []byte
	out     []byte
}

var (
	markBytes = []byte(string(xlsxMark))
	dimOpen   = []byte(`<dimension ref="`)
)

func (fw *fixWriter) Write(p []byte) (int, error) {
	fw.buf = append(fw.buf, p...)
	if err := fw.process(false); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (fw *fixWriter) flush() error { return fw.process(true) }

// process writes out what of buf is settled, keeping a tail that may be the
// start of a mark or, before the dimension is set, of its element.
func (fw *fixWriter) process(final bool) error {
	b := fw.buf
	if !fw.dimDone {
		i := bytes.Index(b, dimOpen)
		switch {
		case i >= 0:
			end := bytes.IndexByte(b[i+len(dimOpen):], '"')
			if end < 0 && !final {
				return nil
			}
			if end >= 0 {
				fixed := append(append(append([]byte{}, b[:i+len(dimOpen)]...), fw.dim...), b[i+len(dimOpen)+end:]...)
				b = fixed
			}
			fw.dimDone = true
		case bytes.Contains(b, []byte("<sheetData")) || final:
			fw.dimDone = true
		default:
			return nil
		}
	}
	fw.out = fw.out[:0]
	for {
		i := bytes.Index(b, markBytes)
		if i < 0 {
			// Keep a partial mark at the end for the next write.
			keep := 0
			if !final {
				for k := len(markBytes) - 1; k > 0; k-- {
					if bytes.HasSuffix(b, markBytes[:k]) {
						keep = k
						break
					}
				}
			}
			fw.out = append(fw.out, b[:len(b)-keep]...)
			b = b[len(b)-keep:]
			break
		}
		n := i + len(markBytes)
		if len(b) < n+4 && !final {
			fw.out = append(fw.out, b[:i]...)
			b = b[i:]
			break
		}
		fw.out = append(fw.out, b[:i]...)
		if len(b) >= n+4 && isHex(b[n]) && isHex(b[n+1]) && isHex(b[n+2]) && isHex(b[n+3]) {
			fw.out = append(fw.out, "_x"...)
			fw.out = append(fw.out, b[n:n+4]...)
			fw.out = append(fw.out, '_')
			b = b[n+4:]
			continue
		}
		// Not a mark of xlsxString (cannot happen for cell text, which
		// escapes the mark itself): kept as it is.
		fw.out = append(fw.out, b[:n]...)
		b = b[n:]
	}
	fw.buf = append(fw.buf[:0], b...)
	if _, err := fw.w.Write(fw.out); err != nil {
		return err
	}
	return nil
}

// writeFixed writes f to w through a temporary file and fixWorkbook.
func writeFixed(f *excelize.File, w io.Writer, dims map[string]string) error {
	tmp, err := os.CreateTemp("", "concord-export-*.xlsx")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := f.WriteTo(tmp); err != nil {
		return err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	return fixWorkbook(tmp, size, w, dims)
}
