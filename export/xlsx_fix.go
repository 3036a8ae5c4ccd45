package export

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
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
// xlsxMark and four hex digits, and fixZip turns those into the escape
// as the sheets are saved.

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

// fixZip is the zip writer excelize saves the workbook through: it writes
// each worksheet part through a fixWriter, which sets the sheet's
// dimension to the range it fills (excelize's stream writer declares A1
// whatever it wrote, and readers such as openpyxl's read-only mode trust
// it) and turns the marks of xlsxString into ST_Xstring escapes, as the
// part streams by. Other parts are written as they come. It writes the
// archive to out, not to the buffer excelize hands it (see writeFixed),
// and notes where each part starts and how long it is.
type fixZip struct {
	zw  *zip.Writer
	out *countWriter
	// ranges maps a worksheet's part name to the range it fills.
	ranges map[string]string
	cur    *fixWriter
	parts  []zipPart
}

// zipPart is where a part's local header starts in the archive and how
// many bytes the part holds before compression.
type zipPart struct {
	name   string
	offset int64
	size   int64
}

// localHeaderLen is the length of a zip local file header before its name;
// archive/zip's Create adds no extra field.
const localHeaderLen = 30

// Create starts the next part.
func (z *fixZip) Create(name string) (io.Writer, error) {
	if err := z.end(); err != nil {
		return nil, err
	}
	zw, err := z.zw.Create(name)
	if err != nil {
		return nil, err
	}
	// The part's local header is the last thing the archive holds.
	if err := z.zw.Flush(); err != nil {
		return nil, err
	}
	z.parts = append(z.parts, zipPart{name: name, offset: z.out.n - int64(localHeaderLen+len(name))})
	w := &partWriter{w: zw, z: z, i: len(z.parts) - 1}
	ref, sheet := z.ranges[name]
	if !sheet && name != "xl/sharedStrings.xml" {
		return w, nil
	}
	z.cur = &fixWriter{w: w, dim: ref, dimDone: ref == ""}
	return z.cur, nil
}

// AddFS adds the files of fsys.
func (z *fixZip) AddFS(fsys fs.FS) error {
	if err := z.end(); err != nil {
		return err
	}
	return z.zw.AddFS(fsys)
}

// Close ends the last part and the archive.
func (z *fixZip) Close() error {
	if err := z.end(); err != nil {
		return err
	}
	return z.zw.Close()
}

// end writes out what the current part's fixWriter holds back.
func (z *fixZip) end() error {
	if z.cur == nil {
		return nil
	}
	err := z.cur.flush()
	z.cur = nil
	return err
}

// partWriter counts the bytes of part i of z as they go into the archive.
type partWriter struct {
	w io.Writer
	z *fixZip
	i int
}

func (pw *partWriter) Write(p []byte) (int, error) {
	n, err := pw.w.Write(p)
	pw.z.parts[pw.i].size += int64(n)
	return n, err
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (cw *countWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

// zip64Size is the part size above which a part is zip64, whose local
// header must say so; a variable so that a test can reach it.
var zip64Size int64 = math.MaxUint32

// writeFixed saves f to w through fixZip. ranges gives each sheet's range
// by sheet name; excelize names a sheet's part after its id
// (xl/worksheets/sheetN.xml), which TestXLSXDimensions checks against the
// workbook's relationships.
//
// excelize's WriteTo builds the whole archive in a bytes.Buffer before
// writing it out, which for a million paragraphs is most of the memory an
// export takes, and more than the sheets it compresses once the buffer
// doubles past them. The archive is written to a temporary file instead,
// beside excelize's own for the sheets, and copied to w from there. That
// file can be mended in place as excelize mends its buffer: a part larger
// than 4 GB is zip64, and its local header must then ask for version 4.5,
// as the central directory does, or spreadsheet programs call the file
// damaged.
func writeFixed(f *excelize.File, w io.Writer, ranges map[string]string) error {
	byPart := map[string]string{}
	for id, name := range f.GetSheetMap() {
		if r, ok := ranges[name]; ok {
			byPart[fmt.Sprintf("xl/worksheets/sheet%d.xml", id)] = r
		}
	}
	tmp, err := os.CreateTemp("", "concord-export-*.xlsx")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	out := &countWriter{w: tmp}
	z := &fixZip{zw: zip.NewWriter(out), out: out, ranges: byPart}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return z })
	// What excelize buffers is empty: every part went to tmp.
	if _, err := f.WriteTo(io.Discard); err != nil {
		return err
	}
	for _, p := range z.parts {
		if p.size <= zip64Size {
			continue
		}
		head := make([]byte, localHeaderLen+len(p.name))
		if _, err := tmp.ReadAt(head, p.offset); err != nil {
			return err
		}
		if !bytes.HasPrefix(head, []byte("PK\x03\x04")) || string(head[localHeaderLen:]) != p.name {
			return fmt.Errorf("export: the zip local header of %s is not where it was written", p.name)
		}
		if _, err := tmp.WriteAt([]byte{45, 0}, p.offset+4); err != nil {
			return err
		}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = io.Copy(w, tmp)
	return err
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
	// Most of a sheet holds no mark: pass it through as it is.
	if fw.dimDone && len(fw.buf) == 0 && bytes.IndexByte(p, markBytes[0]) < 0 {
		return fw.w.Write(p)
	}
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
