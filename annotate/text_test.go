package annotate_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		multiline bool
		want      string // part of the message, "" for no error
	}{
		{"plain", "Strike near Baghdad", false, ""},
		{"tab", "a\tb", false, ""},
		{"accents and emoji", "Soleimani’s funeral — 🕊", false, ""},
		{"NUL", "a\x00b", false, "U+0000 at character 2"},
		{"unit separator", "a\x1fb", true, "U+001F at line 1, character 2"},
		{"newline in a one-line field", "a\nb", false, "U+000A"},
		{"newline in a text", "a\nb\r\n\fc", true, ""},
		{"control on line 2", "first\nse\x1ccond", true, "U+001C at line 2, character 3"},
		{"DEL", "a\x7f", false, "U+007F"},
		{"C1 control", "a\u0085", false, "U+0085"},
		{"not UTF-8", "a\xffb", false, "not valid UTF-8 (byte 1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := annotate.CheckText("body", tc.in, tc.multiline)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckText(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			var e *annotate.Error
			if !errors.As(err, &e) || e.Code != annotate.EINVALID || e.Field != "body" || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("CheckText(%q) = %v, want EINVALID on body with %q", tc.in, err, tc.want)
			}
		})
	}
}

// TestStoreRefusesControlCharacters sends a NUL byte through every text the
// store takes and expects a 400 naming the field, on either database, with
// nothing stored.
func TestStoreRefusesControlCharacters(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	u := mustUser(t, s, "ann", annotate.RoleAnnotator)
	p := currentParagraphs(t, s, 1)[0].ID
	before := countRows(t, s)
	calls := []struct {
		field string
		call  func() error
	}{
		{"labels.event", func() error {
			_, err := s.SaveAnnotation(ctx, u.ID, p, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {"raid\x00"}})
			return err
		}},
		{"body", func() error { _, err := s.AddNote(ctx, u.ID, p, "see\x00this"); return err }},
		{"reason", func() error { _, err := s.SkipParagraph(ctx, u.ID, p, "unclear\x00"); return err }},
		{"reason", func() error {
			_, err := s.Flag(ctx, u.ID, p, annotate.CurationNotRelevant, "off\x00topic")
			return err
		}},
		{"name", func() error { _, _, err := s.CreateToken(ctx, u.ID, "script\x00"); return err }},
		{"labels.event", func() error {
			_, err := s.SetGold(ctx, u.ID, p, 0, annotate.Labels{"stance": {"agree"}, "topic": {"strike"}, "event": {"x\x1b[31m"}}, "own")
			return err
		}},
		{"text", func() error {
			_, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "nul.txt", Text: []byte("Title\n\nA body with a \x00 in it.")})
			return err
		}},
		{"title", func() error {
			_, err := s.ImportDocument(ctx, 0, annotate.Source{Key: "t.jsonl", Title: "Ti\x00tle", Text: []byte("Body.")})
			return err
		}},
	}
	for i, c := range calls {
		err := c.call()
		var e *annotate.Error
		if !errors.As(err, &e) || e.Code != annotate.EINVALID || e.Field != c.field {
			t.Errorf("call %d: got %v, want EINVALID on %s", i, err, c.field)
		}
	}
	after := countRows(t, s)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("table %s: %d rows before, %d after refused writes", table, n, after[table])
		}
	}
}

func TestDecideCurationsManyIDs(t *testing.T) {
	s := annotatetest.Seeded(t)
	ctx := context.Background()
	rev := mustUser(t, s, "rev", annotate.RoleReviewer)
	ids := make([]int64, annotate.MaxDecideIDs+1)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	_, err := s.DecideCurations(ctx, rev.ID, ids, annotate.StatusConfirmed)
	var e *annotate.Error
	if !errors.As(err, &e) || e.Code != annotate.EINVALID || !strings.Contains(e.Message, "at most 10000") {
		t.Fatalf("deciding %d ids: %v, want EINVALID naming the limit", len(ids), err)
	}
	if _, err := s.DecideOpenValues(ctx, rev.ID, ids, annotate.OpenAccepted); !errors.As(err, &e) || e.Code != annotate.EINVALID || !strings.Contains(e.Message, "at most 10000 values") {
		t.Fatalf("deciding %d typed values: %v, want EINVALID naming the limit", len(ids), err)
	}
	if _, err := s.DecideOpenValues(ctx, rev.ID, ids[:annotate.MaxDecideIDs], annotate.OpenAccepted); annotate.ErrorCode(err) != annotate.ENOTFOUND {
		t.Fatalf("deciding %d unknown typed values: %v, want ENOTFOUND", annotate.MaxDecideIDs, err)
	}
	// Within the limit, more ids than a statement binds in one chunk are
	// read in parts: the answer is the plain "do not exist".
	_, err = s.DecideCurations(ctx, rev.ID, ids[:annotate.MaxDecideIDs], annotate.StatusConfirmed)
	if annotate.ErrorCode(err) != annotate.ENOTFOUND {
		t.Fatalf("deciding %d unknown ids: %v, want ENOTFOUND", annotate.MaxDecideIDs, err)
	}
}
