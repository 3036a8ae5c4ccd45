package export

import (
	"io"
	"runtime"
	"sync"
)

// rawRecord is one record of a file as read, before it is parsed.
type rawRecord struct {
	raw  []byte
	line int
	// broken is what ends the read at this record (a task of a JSON array
	// that is not JSON); raw is then nil and no record follows.
	broken *LineError
}

// parsed is a record as parse read it: the record, or what is wrong
// with it.
type parsed struct {
	rec record
	bad *LineError
}

// A file's records are parsed in chunks of up to parseChunk records or
// parseChunkBytes bytes, and up to parseAhead chunks are parsed ahead of
// the one being added: enough to keep the parsers busy through the store's
// writing of a whole batch (importBatchParagraphs), little enough that
// what is read ahead is a few megabytes whatever the file's size.
const (
	parseChunk      = 256
	parseChunkBytes = 256 << 10
	parseAhead      = 16
)

// worker returns a reader that parses records as r does, with caches of
// its own, for one of parseInOrder's goroutines.
func (r *reader) worker() *reader {
	return &reader{name: r.name, sc: r.sc, opt: r.opt}
}

// parseInOrder parses the records next returns (until it returns an
// error: io.EOF at the end) on a goroutine per processor while they are
// added, or reported, one by one in the file's order on the calling
// goroutine. The parsing of later records thus goes on while add stores
// earlier ones. When add or report stops the read, the goroutines stop
// too, before parseInOrder returns. An error reading the file is returned
// after the records read before it are added.
func (r *reader) parseInOrder(next func() (rawRecord, error), add func(record) error, report func(LineError) error) error {
	type job struct {
		recs []rawRecord
		out  chan []parsed
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan job)
	order := make(chan job, parseAhead)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		w := r.worker()
		wg.Go(func() {
			for j := range jobs {
				out := make([]parsed, len(j.recs))
				for i, rr := range j.recs {
					if rr.broken != nil {
						out[i] = parsed{bad: rr.broken}
						continue
					}
					out[i] = w.parse(rr.raw, rr.line)
				}
				j.out <- out
			}
		})
	}
	// readErr is the producer's, read after wg.Wait.
	var readErr error
	wg.Go(func() {
		defer close(jobs)
		defer close(order)
		for {
			var chunk []rawRecord
			size := 0
			var err error
			for len(chunk) < parseChunk && size < parseChunkBytes {
				rr, e := next()
				if e != nil {
					err = e
					break
				}
				chunk = append(chunk, rr)
				size += len(rr.raw)
				if rr.broken != nil {
					err = io.EOF
					break
				}
			}
			if len(chunk) > 0 {
				j := job{recs: chunk, out: make(chan []parsed, 1)}
				select {
				case order <- j:
				case <-done:
					return
				}
				select {
				case jobs <- j:
				case <-done:
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				return
			}
		}
	})
	var err error
read:
	for j := range order {
		for _, p := range <-j.out {
			if err = r.accept(p, add, report); err != nil {
				break read
			}
		}
	}
	close(done)
	wg.Wait()
	if err == nil {
		err = readErr
	}
	return err
}
