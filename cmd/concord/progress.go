package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// importBarMin is the number of files above which an import shows a
// progress bar; smaller imports finish before one would be read.
const importBarMin = 20

// progressBar draws a long command's progress on one terminal line, such
// as "importing [#####.....] 10/40 files".
type progressBar struct {
	w     io.Writer
	verb  string // "importing"
	unit  string // "files"
	min   int64  // no bar for totals up to min
	drawn bool
}

// newProgressBar returns a bar drawing on w when w is a terminal, or nil.
func newProgressBar(w io.Writer, verb, unit string, min int64) *progressBar {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	info, err := f.Stat()
	if err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progressBar{w: w, verb: verb, unit: unit, min: min}
}

func (p *progressBar) update(done, total int64) {
	if total <= p.min || total <= 0 {
		return
	}
	const width = 30
	filled := int(min(done, total) * width / total)
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %s", p.verb, strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total, p.unit)
	p.drawn = true
}

// clear erases the bar so that the report starts on a clean line.
func (p *progressBar) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
