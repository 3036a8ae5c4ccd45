package export_test

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"concord/annotate"
	"concord/export"
)

// lsConfig is the part of a Label Studio labelling configuration the tests
// read back.
type lsConfig struct {
	Text struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"Text"`
	Headers []struct {
		Value string `xml:"value,attr"`
	} `xml:"Header"`
	Choices []struct {
		Name     string `xml:"name,attr"`
		ToName   string `xml:"toName,attr"`
		Choice   string `xml:"choice,attr"`
		Required string `xml:"required,attr"`
		Options  []struct {
			Value  string `xml:"value,attr"`
			Alias  string `xml:"alias,attr"`
			Hotkey string `xml:"hotkey,attr"`
			Hint   string `xml:"hint,attr"`
		} `xml:"Choice"`
	} `xml:"Choices"`
	TextAreas []struct {
		Name           string `xml:"name,attr"`
		ToName         string `xml:"toName,attr"`
		MaxSubmissions string `xml:"maxSubmissions,attr"`
	} `xml:"TextArea"`
}

// TestLabelStudioConfig builds the configuration for the default schema and
// checks that it is the one the label-studio shape's results fit: the text
// named "text", a Choices per single or multi dimension named after it that
// stores the option keys, a TextArea for the open one.
func TestLabelStudioConfig(t *testing.T) {
	t.Parallel()
	sc, err := newStore(t).Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := export.LabelStudioConfig(sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	var cfg lsConfig
	if err := xml.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out)
	}
	if cfg.Text.Name != "text" || cfg.Text.Value != "$text" {
		t.Errorf("Text = %+v, want name text and value $text", cfg.Text)
	}
	choices := map[string]int{}
	for i, c := range cfg.Choices {
		choices[c.Name] = i
	}
	for _, d := range sc.Dimensions {
		if d.Kind == annotate.KindOpen {
			found := false
			for _, ta := range cfg.TextAreas {
				found = found || (ta.Name == d.Name && ta.ToName == "text" && ta.MaxSubmissions == "1")
			}
			if !found {
				t.Errorf("open dimension %s: no TextArea in %s", d.Name, out)
			}
			continue
		}
		i, ok := choices[d.Name]
		if !ok {
			t.Errorf("dimension %s: no Choices", d.Name)
			continue
		}
		c := cfg.Choices[i]
		want := map[annotate.Kind]string{annotate.KindSingle: "single", annotate.KindMulti: "multiple"}[d.Kind]
		if c.ToName != "text" || c.Choice != want || (c.Required == "true") != d.Required {
			t.Errorf("Choices %s = toName %q choice %q required %q, want text, %s, %v", d.Name, c.ToName, c.Choice, c.Required, want, d.Required)
		}
		if len(c.Options) != len(d.Options) {
			t.Fatalf("Choices %s has %d choices, want %d", d.Name, len(c.Options), len(d.Options))
		}
		for j, o := range d.Options {
			got := c.Options[j]
			if got.Alias != o.Key || got.Value != o.Name || got.Hotkey != o.Hotkey || got.Hint != o.Guideline {
				t.Errorf("choice %s/%s = %+v, want value %q alias %q hotkey %q and its guideline", d.Name, o.Key, got, o.Name, o.Key, o.Hotkey)
			}
		}
	}
	stance, _ := sc.Dimension("stance")
	if !strings.Contains(string(out), xmlEscape(t, stance.Target)) {
		t.Errorf("the stance target %q is not stated in the configuration", stance.Target)
	}

	only, err := export.LabelStudioConfig(sc, []string{"topic"})
	if err != nil {
		t.Fatal(err)
	}
	var one lsConfig
	if err := xml.Unmarshal(only, &one); err != nil {
		t.Fatal(err)
	}
	if len(one.Choices) != 1 || one.Choices[0].Name != "topic" || len(one.TextAreas) != 0 {
		t.Errorf("--dimensions topic gave %s", only)
	}
	if _, err := export.LabelStudioConfig(sc, []string{"mood"}); !errors.Is(err, annotate.ErrInvalid) {
		t.Errorf("unknown dimension: %v, want EINVALID", err)
	}
}

func xmlEscape(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
