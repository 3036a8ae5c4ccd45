package annotate_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/seeds"
)

// defaultSchema parses seeds/schema.yaml afresh, so callers may change it.
func defaultSchema(t testing.TB) *annotate.Schema {
	t.Helper()
	data, err := seeds.FS.ReadFile(seeds.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := annotate.ParseSchema(data)
	if err != nil {
		t.Fatalf("parse default schema: %v", err)
	}
	return sc
}

func TestDefaultSchema(t *testing.T) {
	t.Parallel()
	sc := defaultSchema(t)
	if got := sc.Names(); !slices.Equal(got, []string{"stance", "topic", "event"}) {
		t.Fatalf("dimensions = %v, want [stance topic event]", got)
	}
	stance, _ := sc.Dimension("stance")
	if stance.Kind != annotate.KindSingle || len(stance.Options) != 4 || stance.Target == "" || !stance.Required {
		t.Errorf("stance = %s with %d options, target %q, required %v; want single, 4 options, a target, required", stance.Kind, len(stance.Options), stance.Target, stance.Required)
	}
	if got := stance.Keys(); !slices.Equal(got, []string{"agree", "disagree", "discuss", "unrelated"}) {
		t.Errorf("stance keys = %v", got)
	}
	topic, _ := sc.Dimension("topic")
	if topic.Kind != annotate.KindMulti || len(topic.Options) < 6 || len(topic.Options) > 10 {
		t.Errorf("topic = %s with %d options, want multi with 6 to 10", topic.Kind, len(topic.Options))
	}
	event, _ := sc.Dimension("event")
	if event.Kind != annotate.KindOpen || event.Required {
		t.Errorf("event = %s required=%v, want open and optional", event.Kind, event.Required)
	}
}

func TestSchemaCheck(t *testing.T) {
	t.Parallel()
	const two = "    options:\n      - {key: a, name: A}\n      - {key: b, name: B}\n"
	tests := []struct {
		name  string
		yaml  string
		field string
	}{
		{"no dimensions", "dimensions: []\n", "dimensions"},
		{"duplicate dimension", "dimensions:\n  - name: x\n    kind: single\n" + two + "  - name: x\n    kind: open\n", "dimensions.x"},
		{"bad dimension name", "dimensions:\n  - name: Bad Name\n    kind: open\n", "dimensions[0].name"},
		{"bad kind", "dimensions:\n  - name: x\n    kind: several\n" + two, "dimensions.x.kind"},
		{"single with one option", "dimensions:\n  - name: x\n    kind: single\n    options:\n      - {key: a}\n", "dimensions.x.options"},
		{"ordered multi", "dimensions:\n  - name: x\n    kind: multi\n    ordered: true\n" + two, "dimensions.x.ordered"},
		{"bad option key", "dimensions:\n  - name: x\n    kind: single\n    options:\n      - {key: A B}\n      - {key: b}\n", "dimensions.x.options[0].key"},
		{"duplicate option key", "dimensions:\n  - name: x\n    kind: single\n    options:\n      - {key: a}\n      - {key: a}\n", "dimensions.x.options[1].key"},
		{"reserved hotkey", "dimensions:\n  - name: x\n    kind: single\n    options:\n      - {key: a, hotkey: s}\n      - {key: b}\n", "dimensions.x.options[0].hotkey"},
		{"reserved hotkey upper case", "dimensions:\n  - name: x\n    kind: single\n    options:\n      - {key: a, hotkey: Z}\n      - {key: b}\n", "dimensions.x.options[0].hotkey"},
		{"long hotkey", "dimensions:\n  - name: x\n    kind: single\n    options:\n      - {key: a, hotkey: ab}\n      - {key: b}\n", "dimensions.x.options[0].hotkey"},
		{"hotkey clash", "dimensions:\n  - name: x\n    kind: single\n    options:\n      - {key: a, hotkey: \"1\"}\n      - {key: b}\n  - name: y\n    kind: multi\n    options:\n      - {key: c, hotkey: \"1\"}\n      - {key: d}\n", "dimensions.y.options[0].hotkey"},
		{"unknown field", "dimensions:\n  - name: x\n    kind: open\n    requried: true\n", "schema"},
		{"key starting with -", "dimensions:\n  - name: x\n    kind: single\n    options:\n      - {key: \"-10\"}\n      - {key: b}\n", "dimensions.x.options[0].key"},
		{"value on an unordered dimension", "dimensions:\n  - name: x\n    kind: single\n    options:\n      - {key: a, value: 1}\n      - {key: b, value: 2}\n", "dimensions.x.options[0].value"},
		{"value missing on a later option", "dimensions:\n  - name: x\n    kind: single\n    ordered: true\n    options:\n" + "      - {key: a, value: 1}\n      - {key: b}\n", "dimensions.x.options[1].value"},
		{"value missing on the first option", "dimensions:\n  - name: x\n    kind: single\n    ordered: true\n    options:\n" + "      - {key: a}\n      - {key: b, value: 2}\n", "dimensions.x.options[1].value"},
		{"repeated value", "dimensions:\n  - name: x\n    kind: single\n    ordered: true\n    options:\n" + "      - {key: a, value: 1}\n      - {key: b, value: 1.0}\n", "dimensions.x.options[1].value"},
		{"infinite value", "dimensions:\n  - name: x\n    kind: single\n    ordered: true\n    options:\n" + "      - {key: a, value: .inf}\n      - {key: b, value: 2}\n", "dimensions.x.options[0].value"},
		{"not a number", "dimensions:\n  - name: x\n    kind: single\n    ordered: true\n    options:\n" + "      - {key: a, value: .nan}\n      - {key: b, value: 2}\n", "dimensions.x.options[0].value"},
		{"not YAML", "dimensions: [\n", "schema"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := annotate.ParseSchema([]byte(tc.yaml))
			var e *annotate.Error
			if !errors.As(err, &e) || e.Code != annotate.EINVALID || e.Field != tc.field {
				t.Errorf("ParseSchema error = %#v, want EINVALID on %s", err, tc.field)
			}
		})
	}
}

func TestSchemaDecode(t *testing.T) {
	t.Parallel()
	sc := defaultSchema(t)
	stance, _ := sc.Dimension("stance")
	topic, _ := sc.Dimension("topic")
	good := []struct {
		name string
		in   string
		want annotate.Labels
	}{
		{"keys", `{"stance": "agree", "topic": ["strike"]}`, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}},
		{"display names in any case", `{"stance": "DISAGREE", "topic": ["the strike on soleimani", "Iran's response"]}`, annotate.Labels{"stance": {"disagree"}, "topic": {"iran-response", "strike"}}},
		{"multi sorted and de-duplicated", `{"stance": "discuss", "topic": ["terrorism", "strike", "Terrorism and proxies", "strike"]}`, annotate.Labels{"stance": {"discuss"}, "topic": {"strike", "terrorism"}}},
		{"single as a one-element array", `{"stance": ["unrelated"], "topic": ["media"]}`, annotate.Labels{"stance": {"unrelated"}, "topic": {"media"}}},
		{"open option by name", `{"stance": "agree", "topic": ["strike"], "event": "U.S. cities raise security"}`, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {"us-cities-security"}}},
		{"open new value normalized", `{"stance": "agree", "topic": ["strike"], "event": "  A brand   new\tevent "}`, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {"A brand new event"}}},
		{"null and empty left out", `{"stance": "agree", "topic": ["strike"], "event": null}`, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}},
		{"empty string left out", `{"stance": "agree", "topic": ["strike"], "event": ""}`, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.in), &raw); err != nil {
				t.Fatal(err)
			}
			got, err := sc.Decode(raw)
			if err != nil {
				t.Fatalf("Decode(%s): %v", tc.in, err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("Decode(%s) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	long := strings.Repeat("x", annotate.MaxOpenValueLen+1)
	bad := []struct {
		name    string
		in      string
		field   string
		allowed []string
	}{
		{"unknown dimension", `{"mood": "happy"}`, "labels.mood", sc.Names()},
		{"unknown value", `{"stance": "maybe", "topic": ["strike"]}`, "labels.stance", stance.Keys()},
		{"unknown multi value", `{"stance": "agree", "topic": ["weather"]}`, "labels.topic", topic.Keys()},
		{"two values on single", `{"stance": ["agree", "disagree"], "topic": ["strike"]}`, "labels.stance", stance.Keys()},
		{"number", `{"stance": 1, "topic": ["strike"]}`, "labels.stance", stance.Keys()},
		{"object", `{"stance": {"a": 1}, "topic": ["strike"]}`, "labels.stance", stance.Keys()},
		{"array of numbers", `{"stance": "agree", "topic": [1, 2]}`, "labels.topic", nil},
		{"required missing", `{"topic": ["strike"]}`, "labels.stance", stance.Keys()},
		{"required empty array", `{"stance": "agree", "topic": []}`, "labels.topic", topic.Keys()},
		{"open value too long", `{"stance": "agree", "topic": ["strike"], "event": "` + long + `"}`, "labels.event", nil},
		{"open value only spaces", `{"stance": "agree", "topic": ["strike"], "event": "   "}`, "labels.event", nil},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.in), &raw); err != nil {
				t.Fatal(err)
			}
			_, err := sc.Decode(raw)
			var e *annotate.Error
			if !errors.As(err, &e) || e.Code != annotate.EINVALID || e.Field != tc.field {
				t.Fatalf("Decode(%.60s) error = %#v, want EINVALID on %s", tc.in, err, tc.field)
			}
			if tc.allowed != nil && !slices.Equal(e.Allowed, tc.allowed) {
				t.Errorf("allowed = %v, want %v", e.Allowed, tc.allowed)
			}
		})
	}
	// A value of exactly the longest length is accepted.
	max := strings.Repeat("y", annotate.MaxOpenValueLen)
	if _, err := sc.Canonical(annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {max}}); err != nil {
		t.Errorf("open value of %d characters refused: %v", annotate.MaxOpenValueLen, err)
	}
	// Encode gives every dimension its JSON shape.
	enc, _ := json.Marshal(sc.Encode(annotate.Labels{"stance": {"agree"}, "topic": {"media", "strike"}}))
	if want := `{"event":null,"stance":"agree","topic":["media","strike"]}`; string(enc) != want {
		t.Errorf("Encode = %s, want %s", enc, want)
	}
}

// withoutOption returns the default schema minus one option of a dimension.
func withoutOption(t *testing.T, dim, key string) *annotate.Schema {
	t.Helper()
	sc := defaultSchema(t)
	d, _ := sc.Dimension(dim)
	d.Options = slices.DeleteFunc(d.Options, func(o annotate.Option) bool { return o.Key == key })
	return sc
}

func TestApplySchema(t *testing.T) {
	t.Parallel()
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice", annotate.RoleAnnotator)
	bob := mustUser(t, s, "bob", annotate.RoleAnnotator)
	q, err := s.Queue(ctx, alice.ID, annotate.QueueOptions{Limit: 3})
	if err != nil || len(q) != 3 {
		t.Fatalf("queue: %v %d", err, len(q))
	}
	for _, u := range []*annotate.User{alice, bob} {
		if _, err := s.SaveAnnotation(ctx, u.ID, q[0].ID, 0, annotate.Labels{"stance": {"agree"}, "topic": {"media", "strike"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SaveAnnotation(ctx, alice.ID, q[1].ID, 0, annotate.Labels{"stance": {"discuss"}, "topic": {"media"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetGold(ctx, bob.ID, q[2].ID, 0, annotate.Labels{"stance": {"unrelated"}, "topic": {"media"}}, "own"); err != nil {
		t.Fatal(err)
	}

	// The same schema again is not a new version.
	again, err := s.ApplySchema(ctx, 0, defaultSchema(t), nil)
	if err != nil || again.Version != 1 {
		t.Fatalf("applying the same schema: version %v, %v; want 1", again, err)
	}

	// Removing a used option is refused, with every orphan counted.
	before := countRows(t, s)
	_, err = s.ApplySchema(ctx, 0, withoutOption(t, "topic", "media"), nil)
	var oe *annotate.OrphanError
	if !errors.As(err, &oe) || !errors.Is(err, annotate.ErrConflict) {
		t.Fatalf("removing a used option: %v, want *OrphanError matching ErrConflict", err)
	}
	wantOrphans := []annotate.Orphan{{Dimension: "topic", Value: "media", Count: 4, Reason: "option removed"}}
	if !slices.Equal(oe.Orphans, wantOrphans) {
		t.Errorf("orphans = %+v, want %+v", oe.Orphans, wantOrphans)
	}
	if after := countRows(t, s); !sameCounts(before, after) {
		t.Errorf("a refused schema changed the database: %v → %v", before, after)
	}
	if cur, _ := s.Schema(ctx); cur.Version != 1 {
		t.Errorf("schema version after a refusal = %d, want 1", cur.Version)
	}

	// With a mapping, labels are converted, versions bumped and recorded.
	applied, err := s.ApplySchema(ctx, bob.ID, withoutOption(t, "topic", "media"), annotate.Mapping{"topic": {"media": "strike"}})
	if err != nil || applied.Version != 2 {
		t.Fatalf("apply with mapping: %v %v, want version 2", applied, err)
	}
	a, err := s.Annotation(ctx, q[0].ID, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (annotate.Labels{"stance": {"agree"}, "topic": {"strike"}}); !a.Labels.Equal(want) || a.Version != 2 {
		t.Errorf("migrated annotation = %v v%d, want %v v2", a.Labels, a.Version, want)
	}
	a, _ = s.Annotation(ctx, q[1].ID, alice.ID)
	if want := (annotate.Labels{"stance": {"discuss"}, "topic": {"strike"}}); !a.Labels.Equal(want) {
		t.Errorf("migrated annotation = %v, want %v", a.Labels, want)
	}
	g, err := s.GoldLabel(ctx, q[2].ID)
	if err != nil || !g.Labels.Equal(annotate.Labels{"stance": {"unrelated"}, "topic": {"strike"}}) || g.Version != 2 {
		t.Errorf("migrated gold = %+v %v", g, err)
	}
	if got := count(t, s, "SELECT count(*) FROM history WHERE action = 'schema-migrate' AND user_id = ?", bob.ID); got != 4 {
		t.Errorf("schema-migrate history rows = %d, want 4", got)
	}

	// Removing an option nobody used needs no mapping.
	sc := withoutOption(t, "topic", "media")
	d, _ := sc.Dimension("topic")
	d.Options = slices.DeleteFunc(d.Options, func(o annotate.Option) bool { return o.Key == "justice" })
	if v, err := s.ApplySchema(ctx, 0, sc, nil); err != nil || v.Version != 3 {
		t.Fatalf("removing an unused option: %v %v", v, err)
	}

	// Changing stance from single to multi needs a mapping.
	multi := func() *annotate.Schema {
		sc := withoutOption(t, "topic", "media")
		d, _ := sc.Dimension("topic")
		d.Options = slices.DeleteFunc(d.Options, func(o annotate.Option) bool { return o.Key == "justice" })
		st, _ := sc.Dimension("stance")
		st.Kind = annotate.KindMulti
		return sc
	}
	_, err = s.ApplySchema(ctx, 0, multi(), nil)
	if !errors.As(err, &oe) || len(oe.Orphans) == 0 || oe.Orphans[0].Dimension != "stance" || !strings.Contains(oe.Orphans[0].Reason, "kind changes") {
		t.Fatalf("kind change without mapping: %v, want orphans on stance", err)
	}
	if v, err := s.ApplySchema(ctx, 0, multi(), annotate.Mapping{"stance": {}}); err != nil || v.Version != 4 {
		t.Fatalf("kind change with mapping: %v %v, want version 4", v, err)
	}
	cur, err := s.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := cur.Dimension("stance"); cur.Version != 4 || st.Kind != annotate.KindMulti {
		t.Errorf("current schema v%d stance %s, want v4 multi", cur.Version, st.Kind)
	}
	versions, err := s.SchemaVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, v := range versions {
		nums = append(nums, v.Version)
	}
	if !slices.Equal(nums, []int{4, 3, 2, 1}) {
		t.Errorf("stored versions = %v, want [4 3 2 1]", nums)
	}
	if v1, err := annotate.ParseSchema([]byte(versions[3].Body)); err != nil || len(v1.Dimensions) != 3 {
		t.Errorf("stored version 1 does not parse: %v", err)
	}
}

// scaleSchema is an ordered −10…10 scale whose keys name the negative
// points n10 and n5, as option keys cannot start with "-".
const scaleSchema = `dimensions:
  - name: score
    kind: single
    ordered: true
    options:
      - {key: n10, name: "-10", value: -10}
      - {key: n5, name: "-5", value: -5}
      - {key: "0", name: "0", value: 0}
      - {key: "5", name: "5", value: 5.5}
      - {key: "10", name: "10", value: 10}
`

func TestSchemaOptionValues(t *testing.T) {
	t.Parallel()
	sc, err := annotate.ParseSchema([]byte(scaleSchema))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := sc.Dimension("score")
	want := []float64{-10, -5, 0, 5.5, 10}
	if got := d.Values(); !slices.Equal(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	// The YAML the store keeps and the JSON the API sends hold the values.
	again, err := annotate.ParseSchema(sc.YAML())
	if err != nil {
		t.Fatalf("the schema's own YAML does not parse: %v\n%s", err, sc.YAML())
	}
	if d2, _ := again.Dimension("score"); !slices.Equal(d2.Values(), want) {
		t.Errorf("YAML round trip: values %v, want %v", d2.Values(), want)
	}
	js, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"key":"n10","name":"-10","value":-10`) {
		t.Errorf("JSON lacks the value of n10: %s", js)
	}
	// An unordered dimension without values has none, and says so.
	if v := defaultSchema(t).Dimensions[0].Values(); v != nil {
		t.Errorf("stance values = %v, want none", v)
	}

	// Applied to a store, the values come back from it.
	s := annotatetest.Open(t)
	ctx := context.Background()
	if _, err := s.ApplySchema(ctx, 0, sc, nil); err != nil {
		t.Fatal(err)
	}
	cur, err := s.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d3, _ := cur.Dimension("score"); !slices.Equal(d3.Values(), want) {
		t.Errorf("stored schema: values %v, want %v", d3.Values(), want)
	}

	// A key written as the number it stands for is refused with a message
	// that says what a key may be and how to write the point instead.
	_, err = annotate.ParseSchema([]byte(strings.Replace(scaleSchema, "key: n10", `key: "-10"`, 1)))
	if err == nil || !strings.Contains(err.Error(), "must start with a lower-case letter or digit") || !strings.Contains(err.Error(), "{key: n10") {
		t.Errorf("key -10: got %v, want the rule for keys and the n10 hint", err)
	}
}
