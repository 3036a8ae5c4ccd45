package export

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// concordLine is a dataset line as Concord writes it.
const concordLine = `{"id":"doc-0000001#0","paragraph_id":1,"document_id":1,"document_key":"doc-0000001","title":"Title of document 1","source":"bench","position":0,"text":"Paragraph 0 of document 1: officials said the police are monitoring the situation closely.","gold":{"event":null,"stance":"agree","topic":[]},"gold_source":"majority","gold_support":{"event":null,"stance":0.6667,"topic":null},"consensus":{"event":null,"stance":"agree","topic":[]},"consensus_confidence":{"event":null,"stance":1.0,"topic":0.9961},"consensus_method":{"event":null,"stance":"dawid-skene","topic":"dawid-skene"},"suggestions":{"event":[],"stance":[],"topic":[]},"annotations":[{"annotator":"alice","labels":{"event":null,"stance":"agree","topic":["homeland-security","terrorism"]},"time":"2026-01-02T03:04:05Z"},{"annotator":"bob","labels":{"event":null,"stance":"agree","topic":["intelligence"]},"time":"2026-01-02T03:04:05Z"}],"flags":[],"split":null}`

// fastLines are lines the one-scan reader takes without json.Unmarshal.
var fastLines = []string{
	concordLine,
	`{}`,
	` { "text" : "x" } `,
	`{"text":"tab\tand \"quotes\" and \\ and \u00e9 and \ud83d\ude00","title":"\u0041","document_key":null,"position":null}`,
	`{"text":"héllo 北京 🚨","position":-0,"title":null,"source":null,"gold":null,"gold_source":null,"annotations":null,"flags":null,"suggestions":null}`,
	`{"text":"x","annotations":[],"flags":["duplicate","boilerplate"],"position":123456}`,
	`{"text":"x","annotations":[{"annotator":"a","extra":{"deep":[1,2,{"x":[true,false,null]}],"n":-1.5e+3},"labels":null,"time":null},{}]}`,
	`{"text":"x","gold":{"stance": [ "agree" ] },"gold_source":"adjudicated","suggestions":{"stance":[{"value":"agree","score":0.9,"margin":0.4,"agent":"m"}],"topic":[{"values":["strike"],"score":1}]}}`,
	`{"text":"lone \ud800 surrogate","unknown":{"k\u00e9y":1}}`,
	"{\"text\":\"x\",\n\"unknown\":[0, 0.5, 10, 1E5, -0.0e-1]\r\n}",
	`{"text":"x","suggestions":{ "stance" : [ ] , "topic":[{"value":null,"values":["a"],"score":null}]}}`,
	`{"text":"x","suggestions":{"stance":[],"stance":[]}}`,
	`{"text":"x","suggestions":{"stance":[],"stance":[{"value":"agree"}]}}`,
}

// slowLines are lines the one-scan reader leaves to json.Unmarshal: some
// valid, some not.
var slowLines = []string{
	``,
	`[]`,
	`"text"`,
	`null`,
	`{"text":"x"`,
	`{"text":"x"} x`,
	`{"text":"x",}`,
	`{"text":"x" "title":"y"}`,
	`{"Text":"x"}`,
	`{"TEXT":"x","text":"y"}`,
	`{"text":"x","text":"y"}`,
	`{"te\u0078t":"x"}`,
	`{"text":5}`,
	`{"text":"x","position":1.5}`,
	`{"text":"x","position":1e2}`,
	`{"text":"x","position":01}`,
	`{"text":"x","position":99999999999999999999}`,
	`{"text":"x","position":"3"}`,
	`{"text":"x","title":5}`,
	`{"text":"x","annotations":{}}`,
	`{"text":"x","annotations":[null]}`,
	`{"text":"x","annotations":[{"Annotator":"a"}]}`,
	`{"text":"x","annotations":[{"annotator":"a","annotator":"b"}]}`,
	`{"text":"x","annotations":[{"annotator":5}]}`,
	`{"text":"x","flags":[null]}`,
	`{"text":"x","flags":"duplicate"}`,
	`{"text":"x","suggestions":{"stance":[{"score":"high"}]}}`,
	`{"text":"x","suggestions":[]}`,
	"{\"text\":\"a\x01b\"}",
	`{"text":"bad \x escape"}`,
	`{"text":"bad \u12g4 escape"}`,
	`{"te\u0078t_unknown":1,"text":"x"}`,
	"{\"text\":\"bad utf8 \xff\"}",
	`{"text":"x","unknown":[1,]}`,
	`{"text":"x","unknown":-}`,
	`{"text":"x","unknown":1.}`,
	`{"text":"x","unknown":tru}`,
	`{"text":"x","unknown":nul}`,
	`{"text":"x","unknown":{"a" 1}}`,
	`{"text":"x","unknown":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
	`{"text":"x","unknown":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
}

// TestDatasetLineAsUnmarshal checks that decodeDatasetLine returns what
// json.Unmarshal returns for every line, and that the lines Concord writes
// are read in one scan.
func TestDatasetLineAsUnmarshal(t *testing.T) {
	for _, line := range fastLines {
		var l datasetLine
		if !(&lineScanner{b: []byte(line)}).datasetLine(&l) {
			t.Errorf("the one-scan reader left %q to json.Unmarshal", line)
		}
		sameAsUnmarshal(t, []byte(line))
	}
	for _, line := range slowLines {
		var l datasetLine
		if (&lineScanner{b: []byte(line)}).datasetLine(&l) {
			t.Errorf("the one-scan reader took %.80q, which is json.Unmarshal's to judge", line)
		}
		sameAsUnmarshal(t, []byte(line))
	}
}

// FuzzDatasetLine checks decodeDatasetLine against json.Unmarshal on any
// input.
func FuzzDatasetLine(f *testing.F) {
	for _, l := range append(append([]string{}, fastLines...), slowLines...) {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sameAsUnmarshal(t, raw)
	})
}

func sameAsUnmarshal(t *testing.T, raw []byte) {
	t.Helper()
	var got, want datasetLine
	gotErr := decodeDatasetLine(raw, &got)
	wantErr := json.Unmarshal(raw, &want)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%.200q: error %v, json.Unmarshal's %v", raw, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%.200q:\n got %+v\nwant %+v", raw, got, want)
	}
}
