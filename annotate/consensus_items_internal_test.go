package annotate

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestConsensusValueListsRoundTrip checks that the value lists a run's
// items are written with read back the same, by the export's reader and by
// encoding/json (which the ORM's serializer uses), whatever the values hold.
func TestConsensusValueListsRoundTrip(t *testing.T) {
	lists := [][]string{nil, {}, {"agree"}, {"agree", "discuss"}, {`say "no"`, `back\slash`}, {"tab\there", "line\nbreak", "\x7f", "\x00"},
		{"grève", "罢工", "emoji 🙂"}, {"<b>&amp;</b>"}, {""}, {"a,b", "[c]", " spaced "}}
	for _, want := range lists {
		b := appendStrings(nil, want)
		var viaJSON []string
		if err := json.Unmarshal(b, &viaJSON); err != nil {
			t.Fatalf("%q written as %s, which is not JSON: %v", want, b, err)
		}
		got, err := parseStrings(b, func(b []byte) string { return string(b) })
		if err != nil {
			t.Fatalf("%q written as %s: %v", want, b, err)
		}
		if !slices.Equal(got, want) || !slices.Equal(viaJSON, want) || (want == nil) != (got == nil) {
			t.Errorf("%q written as %s, read back as %q and by encoding/json as %q", want, b, got, viaJSON)
		}
	}
	// What the json serializer wrote before, and NULL, read the same.
	for raw, want := range map[string][]string{"null": nil, "": nil, ` [ "a" , "b" ] `: {"a", "b"}, `["\u00e9"]`: {"é"}} {
		got, err := parseStrings([]byte(raw), func(b []byte) string { return string(b) })
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseStrings(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, bad := range []string{`["a"`, `["a",]`, `[1]`, `{"a":1}`} {
		if _, err := parseStrings([]byte(bad), func(b []byte) string { return string(b) }); err == nil {
			t.Errorf("parseStrings(%q) read a list", bad)
		}
	}
}
