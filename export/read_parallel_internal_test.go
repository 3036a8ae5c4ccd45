package export

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"concord/annotate"
)

// taskFile writes n Label Studio tasks, one per line, each with a text of
// its own; every line in bad is an empty text instead.
func taskFile(n int, bad map[int]bool) []byte {
	var b bytes.Buffer
	for line := 1; line <= n; line++ {
		if bad[line] {
			b.WriteString(`{"data": {"text": "   "}}` + "\n")
			continue
		}
		fmt.Fprintf(&b, `{"data": {"text": "Task number %d."}}`+"\n", line)
	}
	return b.Bytes()
}

func taskReader(t *testing.T) *reader {
	t.Helper()
	return &reader{name: "tasks.jsonl", sc: defaultSchema(t), opt: ImportOptions{Shape: ShapeLabelStudio}}
}

// originLine is the line a document read from tasks.jsonl starts on.
func originLine(t *testing.T, d annotate.LabelledDocument) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimPrefix(d.Origin, "tasks.jsonl:"))
	if err != nil {
		t.Fatalf("origin %q: %v", d.Origin, err)
	}
	return n
}

// TestParallelReadKeepsTheFileOrder reads a file of many more records than
// are parsed ahead at once, with problems scattered through it, and checks
// that documents and problems come in the file's order, each once.
func TestParallelReadKeepsTheFileOrder(t *testing.T) {
	const n = 3*parseChunk*parseAhead + 17
	bad := map[int]bool{}
	for line := 5; line <= n; line += 97 {
		bad[line] = true
	}
	file := taskFile(n, bad)
	r := taskReader(t)
	var docs, problems []int
	err := r.read(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil },
		func(d annotate.LabelledDocument) error {
			docs = append(docs, originLine(t, d))
			if want := fmt.Sprintf("Task number %d.", originLine(t, d)); len(d.Paragraphs) != 1 || d.Paragraphs[0].Text != want {
				t.Errorf("document of line %d: %+v, want the one paragraph %q", originLine(t, d), d.Paragraphs, want)
			}
			return nil
		},
		func(e LineError) bool {
			problems = append(problems, e.Line)
			if e.Field != "data.text" {
				t.Errorf("line %d: problem %+v, want one with the text", e.Line, e)
			}
			return true
		})
	if err != nil {
		t.Fatal(err)
	}
	// Every problem is found, though there are more than one chunk's.
	if len(problems) != len(bad) {
		t.Fatalf("%d problems reported, want %d", len(problems), len(bad))
	}
	for i, line := range problems {
		if !bad[line] || (i > 0 && problems[i-1] >= line) {
			t.Fatalf("problems on lines %v: want the bad lines, in order", problems)
		}
	}
	// Documents are handed on until the first problem, in order.
	for i, line := range docs {
		if line != i+1 || line >= 5 {
			t.Fatalf("documents from lines %v of a file whose line 5 is bad, want lines before it, in order", docs)
		}
	}

	// The same file without the problems: every document, in order.
	file = taskFile(n, nil)
	docs = docs[:0]
	err = r.read(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil },
		func(d annotate.LabelledDocument) error { docs = append(docs, originLine(t, d)); return nil },
		func(e LineError) bool { t.Errorf("problem in a good file: %+v", e); return true })
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != n {
		t.Fatalf("%d documents read, want %d", len(docs), n)
	}
	for i, line := range docs {
		if line != i+1 {
			t.Fatalf("document %d came from line %d, want line %d", i, line, i+1)
		}
	}
}

// TestParallelReadStops checks the ways a read ends early: the problem
// that is one too many, a document its caller refuses, and a file that
// cannot be read to its end.
func TestParallelReadStops(t *testing.T) {
	const n = 2 * parseChunk * parseAhead
	r := taskReader(t)
	before := runtime.NumGoroutine()
	file := taskFile(n, map[int]bool{10: true, 20: true, 3000: true, 5000: true})
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil }
	var problems []int
	if err := r.read(open, func(annotate.LabelledDocument) error { return nil }, func(e LineError) bool {
		problems = append(problems, e.Line)
		return len(problems) < 3
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(problems) != "[10 20 3000]" {
		t.Errorf("problems on lines %v, want the first three: [10 20 3000]", problems)
	}

	file = taskFile(n, nil)
	refused := errors.New("refused")
	var docs int
	err := r.read(open, func(d annotate.LabelledDocument) error {
		docs++
		if originLine(t, d) == 1234 {
			return refused
		}
		return nil
	}, func(LineError) bool { return true })
	if !errors.Is(err, refused) || docs != 1234 {
		t.Errorf("a refused document: %v after %d documents, want the refusal after 1234", err, docs)
	}

	broken := errors.New("the disk went away")
	cut := bytes.Index(file, []byte(`{"data": {"text": "Task number 4001."}}`))
	docs = 0
	last := 0
	err = r.read(func() (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(bytes.NewReader(file[:cut]), errReader{broken})), nil
	}, func(d annotate.LabelledDocument) error {
		docs++
		last = originLine(t, d)
		return nil
	}, func(e LineError) bool { t.Errorf("problem before the broken read: %+v", e); return true })
	// The document of line 4000 could go on past the break, so it is not
	// handed on; every one before it is.
	if !errors.Is(err, broken) || docs != 3999 || last != 3999 {
		t.Errorf("a file that breaks after line 4000: %v after %d documents (last from line %d), want the error after the 3999 before it", err, docs, last)
	}
	// Each read stopped its parsers before it returned.
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after the reads, %d before", after, before)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
