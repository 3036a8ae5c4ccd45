package export

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWriteFixedMendsZip64Headers writes a workbook through writeFixed with
// the zip64 size lowered so that its sheet counts as zip64: that part's
// local header asks for version 4.5 and the others' do not, and the file
// reads back whole.
func TestWriteFixedMendsZip64Headers(t *testing.T) {
	defer func(n int64) { zip64Size = n }(zip64Size)
	zip64Size = 20000
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	const rows = 500
	for r := 1; r <= rows; r++ {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, []any{r, fmt.Sprintf("row %d of a sheet large enough to count as zip64 here", r)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeFixed(f, &buf, map[string]string{"Sheet1": dimRef(2, rows)}); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	mended := 0
	for _, zf := range zr.File {
		off, err := zf.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		head := off - int64(localHeaderLen+len(zf.Name)+len(zf.Extra))
		version := binary.LittleEndian.Uint16(data[head+4:])
		want := uint16(20)
		if zf.UncompressedSize64 > uint64(zip64Size) {
			want = 45
			mended++
		}
		if version != want {
			t.Errorf("%s (%d bytes): local header asks for version %d, want %d", zf.Name, zf.UncompressedSize64, version, want)
		}
	}
	if mended != 1 {
		t.Errorf("%d parts above the zip64 size, want the sheet alone", mended)
	}
	back, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	got, err := back.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != rows || got[rows-1][1] != fmt.Sprintf("row %d of a sheet large enough to count as zip64 here", rows) {
		t.Errorf("the sheet reads back %d rows, the last %v", len(got), got[len(got)-1])
	}
}
