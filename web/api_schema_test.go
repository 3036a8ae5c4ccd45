package web_test

import (
	"strings"
	"testing"

	"concord/seeds"
)

// TestSchemaOptionValuesRoundTrip applies a schema with a numeric scale
// through the API and reads the option values back from the API and the
// schema page.
func TestSchemaOptionValuesRoundTrip(t *testing.T) {
	e := newAPIEnv(t)
	base, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(base) + `  - name: score
    kind: single
    ordered: true
    options:
      - {key: n10, name: "-10", value: -10}
      - {key: z, name: "0", value: 0}
      - {key: p10, name: "10", value: 10.5}
`
	e.must("admin", "POST", "/api/v1/schema", map[string]any{"yaml": yaml}, 200, nil)
	var got struct {
		Schema struct {
			Dimensions []struct {
				Name    string `json:"name"`
				Options []struct {
					Key   string   `json:"key"`
					Value *float64 `json:"value"`
				} `json:"options"`
			} `json:"dimensions"`
		} `json:"schema"`
	}
	e.must("ann1", "GET", "/api/v1/schema", nil, 200, &got)
	var values []float64
	for _, d := range got.Schema.Dimensions {
		for _, o := range d.Options {
			if d.Name == "score" && o.Value != nil {
				values = append(values, *o.Value)
			}
			if d.Name == "stance" && o.Value != nil {
				t.Errorf("stance option %s has value %v, want none", o.Key, *o.Value)
			}
		}
	}
	if len(values) != 3 || values[0] != -10 || values[2] != 10.5 {
		t.Errorf("score values from the API: %v, want [-10 0 10.5]", values)
	}
	page := string(e.must("admin", "GET", "/admin/schema", nil, 200, nil))
	if !strings.Contains(page, `= -10</span>`) || !strings.Contains(page, `= 10.5</span>`) {
		t.Errorf("the schema page does not show the option values")
	}

	// A value on one option only is refused, naming the field.
	bad := strings.Replace(yaml, `, value: 0}`, `}`, 1)
	body := string(e.must("admin", "POST", "/api/v1/schema", map[string]any{"yaml": bad}, 400, nil))
	if !strings.Contains(body, "dimensions.score.options[1].value") || !strings.Contains(body, "give every option of score a value, or none") {
		t.Errorf("partial values: %s", body)
	}
}
