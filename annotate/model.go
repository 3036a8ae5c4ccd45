package annotate

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Role is what a user may do. Each role can do everything the one before it
// can.
type Role string

// The roles, from least to most trusted.
const (
	// RoleAnnotator labels paragraphs and sees only their own labels.
	RoleAnnotator Role = "annotator"
	// RoleReviewer also sees everyone's labels, agreement and adjudication.
	RoleReviewer Role = "reviewer"
	// RoleAdmin also manages users, the schema, imports and exports.
	RoleAdmin Role = "admin"
)

// Roles lists the roles from least to most trusted.
var Roles = []Role{RoleAnnotator, RoleReviewer, RoleAdmin}

func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i
		}
	}
	return -1
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() >= 0 }

// AtLeast reports whether r may do everything min may do.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// ParseRole returns the role named s or an EINVALID error listing the roles.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", &Error{Code: EINVALID, Field: "role", Message: fmt.Sprintf("unknown role %q", s), Allowed: []string{"annotator", "reviewer", "admin"}}
	}
	return r, nil
}

// User is a person (or a script) who works in Concord. A user imported with
// labelled data has no password and cannot log in until an admin sets one.
type User struct {
	ID           int64      `gorm:"primaryKey" json:"id"`
	Name         string     `gorm:"size:100;not null;uniqueIndex" json:"name"`
	Role         Role       `gorm:"size:20;not null" json:"role"`
	PasswordHash string     `gorm:"size:100" json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	DisabledAt   *time.Time `json:"disabled_at,omitempty"`
}

// Token is an API token for scripts. Only a hash of the secret is kept.
type Token struct {
	ID         int64      `gorm:"primaryKey" json:"id"`
	UserID     int64      `gorm:"not null;index" json:"user_id"`
	User       *User      `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Name       string     `gorm:"size:100;not null" json:"name"`
	Hash       string     `gorm:"size:64;not null;uniqueIndex" json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Session is a browser session. Only a hash of the cookie value is kept.
type Session struct {
	ID        int64     `gorm:"primaryKey"`
	Hash      string    `gorm:"size:64;not null;uniqueIndex"`
	UserID    int64     `gorm:"not null;index"`
	User      *User     `gorm:"constraint:OnDelete:CASCADE"`
	CSRF      string    `gorm:"size:64;not null"`
	CreatedAt time.Time ``
	ExpiresAt time.Time `gorm:"index"`
}

// Document is one article of the corpus. Key identifies it across imports:
// the file name for text files, the "id" field for JSONL (or a hash of its
// text when it has none). Revision is the number of its current revision.
type Document struct {
	ID          int64      `gorm:"primaryKey;index:idx_document_progress,priority:2" json:"id"`
	Key         string     `gorm:"column:doc_key;size:512;not null;uniqueIndex" json:"key"`
	Title       string     `gorm:"size:1000" json:"title"`
	Source      string     `gorm:"size:1000" json:"source"`
	URL         string     `gorm:"size:2000" json:"url,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	Meta        JSON       `gorm:"type:text" json:"meta,omitempty"`
	Revision    int        `gorm:"not null" json:"revision"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// Progress is where the document's labelling stands (see progress.go).
	// The database keeps it; Concord never writes it from a Document.
	Progress int `gorm:"->;column:progress_state;not null;default:0;index:idx_document_progress,priority:1" json:"-"`
}

// Revision is one imported version of a document's text.
type Revision struct {
	ID          int64     `gorm:"primaryKey" json:"id"`
	DocumentID  int64     `gorm:"not null;uniqueIndex:idx_revision_number" json:"document_id"`
	Document    *Document `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Number      int       `gorm:"not null;uniqueIndex:idx_revision_number" json:"number"`
	ContentHash string    `gorm:"size:64;not null" json:"content_hash"`
	Origin      string    `gorm:"size:2000" json:"origin"`
	CreatedAt   time.Time `json:"created_at"`
}

// Paragraph is one paragraph of one revision of a document. Current is true
// for the paragraphs of each document's current revision; the paragraphs of
// older revisions are kept with their labels.
type Paragraph struct {
	ID         int64     `gorm:"primaryKey" json:"id"`
	DocumentID int64     `gorm:"not null;index:idx_paragraph_reading,priority:2;index:idx_paragraph_open,priority:3;index:idx_paragraph_uncertain,priority:4;index:idx_paragraph_doc_uncertain,priority:3" json:"document_id"`
	Document   *Document `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	RevisionID int64     `gorm:"not null;index" json:"revision_id"`
	Revision   *Revision `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Current    bool      `gorm:"column:is_current;not null;index:idx_paragraph_reading,priority:1;index:idx_paragraph_hash,priority:2;index:idx_paragraph_open,priority:1;index:idx_paragraph_uncertain,priority:1;index:idx_paragraph_doc_uncertain,priority:1" json:"current"`
	// Annotators counts the paragraph's annotations and Open says it has
	// fewer than the overlap setting asks for. The database keeps both up
	// to date itself, in the transaction of every insert and removal of an
	// annotation (see counts.go), so that the queue walks an index of the
	// open paragraphs instead of counting everyone's labels.
	Annotators int  `gorm:"not null;default:0" json:"-"`
	Open       bool `gorm:"column:is_open;not null;default:true;index:idx_paragraph_open,priority:2;index:idx_paragraph_uncertain,priority:2;index:idx_paragraph_doc_uncertain,priority:2" json:"-"`
	// Margin is the smallest margin of the paragraph's newest suggestions
	// (see SuggestionInput.Margin), NoMargin when it has none: what the
	// queue orders by in uncertain order, from two indexes that give the
	// open paragraphs by it, of the corpus and of one document. PutSuggestions keeps it,
	// in the transaction that stores the suggestions.
	Margin   float64 `gorm:"column:queue_margin;not null;default:2;index:idx_paragraph_uncertain,priority:3;index:idx_paragraph_doc_uncertain,priority:4" json:"-"`
	Position int     `gorm:"not null;index:idx_paragraph_reading,priority:3;index:idx_paragraph_open,priority:4;index:idx_paragraph_uncertain,priority:5;index:idx_paragraph_doc_uncertain,priority:5" json:"position"`
	Start    int     `gorm:"column:start_offset;not null" json:"start"`
	End      int     `gorm:"column:end_offset;not null" json:"end"`
	Text     string  `gorm:"type:text;not null" json:"text"`
	Hash     string  `gorm:"size:64;not null;index:idx_paragraph_hash,priority:1" json:"hash"`
}

// Annotation is one annotator's labels for one paragraph. Version counts the
// writes; a write must name the version it replaces.
type Annotation struct {
	ID            int64      `gorm:"primaryKey" json:"id"`
	ParagraphID   int64      `gorm:"not null;uniqueIndex:idx_annotation_paragraph_user" json:"paragraph_id"`
	Paragraph     *Paragraph `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	UserID        int64      `gorm:"not null;uniqueIndex:idx_annotation_paragraph_user;index" json:"user_id"`
	User          *User      `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Labels        Labels     `gorm:"type:text;not null" json:"labels"`
	Version       int        `gorm:"not null" json:"version"`
	SchemaVersion int        `gorm:"not null" json:"schema_version"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Gold is the adjudicated label set of a paragraph, kept apart from the
// annotators' own labels. Method says how it was decided.
type Gold struct {
	ID          int64      `gorm:"primaryKey" json:"id"`
	ParagraphID int64      `gorm:"not null;uniqueIndex" json:"paragraph_id"`
	Paragraph   *Paragraph `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Labels      Labels     `gorm:"type:text;not null" json:"labels"`
	Version     int        `gorm:"not null" json:"version"`
	Method      string     `gorm:"size:100" json:"method"`
	DecidedBy   int64      `gorm:"not null" json:"decided_by"`
	DecidedAt   time.Time  `json:"decided_at"`
}

// Skip records that an annotator passed over a paragraph, and why.
type Skip struct {
	ID          int64      `gorm:"primaryKey" json:"id"`
	ParagraphID int64      `gorm:"not null;uniqueIndex:idx_skip_paragraph_user" json:"paragraph_id"`
	Paragraph   *Paragraph `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	UserID      int64      `gorm:"not null;uniqueIndex:idx_skip_paragraph_user;index:idx_skip_user" json:"user_id"`
	Reason      string     `gorm:"size:1000" json:"reason"`
	CreatedAt   time.Time  `json:"created_at"`
}

// Note is a free-text remark on a paragraph. Annotators see their own notes;
// reviewers see everyone's.
type Note struct {
	ID          int64      `gorm:"primaryKey" json:"id"`
	ParagraphID int64      `gorm:"not null;index" json:"paragraph_id"`
	Paragraph   *Paragraph `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	UserID      int64      `gorm:"not null" json:"user_id"`
	UserName    string     `gorm:"->;-:migration" json:"user_name,omitempty"`
	Body        string     `gorm:"type:text;not null" json:"body"`
	CreatedAt   time.Time  `json:"created_at"`
}

// Curation kinds.
const (
	CurationDuplicate   = "duplicate"
	CurationBoilerplate = "boilerplate"
	CurationNotRelevant = "not_relevant"
)

// CurationKinds lists the kinds of curation flag.
var CurationKinds = []string{CurationDuplicate, CurationBoilerplate, CurationNotRelevant}

// Curation statuses.
const (
	StatusSuggested = "suggested"
	StatusConfirmed = "confirmed"
	StatusDismissed = "dismissed"
)

// Curation is a flag on a paragraph: a duplicate, boilerplate or not relevant.
// The import suggests some; annotators flag others; a decision confirms or
// dismisses them. A confirmed flag takes the paragraph out of the queue;
// nothing is ever deleted.
type Curation struct {
	ID          int64      `gorm:"primaryKey" json:"id"`
	ParagraphID int64      `gorm:"not null;uniqueIndex:idx_curation_paragraph_kind" json:"paragraph_id"`
	Paragraph   *Paragraph `gorm:"constraint:OnDelete:CASCADE" json:"-"`
	Kind        string     `gorm:"size:20;not null;uniqueIndex:idx_curation_paragraph_kind" json:"kind"`
	Status      string     `gorm:"size:20;not null;index" json:"status"`
	Reason      string     `gorm:"size:1000" json:"reason"`
	DuplicateOf *int64     `json:"duplicate_of,omitempty"`
	FlaggedBy   *int64     `json:"flagged_by,omitempty"`
	DecidedBy   *int64     `json:"decided_by,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// Change is one row of the append-only history: who changed what, when, and
// the value before and after, as JSON.
type Change struct {
	ID          int64     `gorm:"primaryKey" json:"id"`
	At          time.Time `gorm:"not null" json:"at"`
	UserID      int64     `gorm:"not null" json:"user_id"`
	Entity      string    `gorm:"size:20;not null" json:"entity"`
	EntityID    int64     `gorm:"not null" json:"entity_id"`
	ParagraphID int64     `gorm:"index" json:"paragraph_id,omitempty"`
	Action      string    `gorm:"size:40;not null" json:"action"`
	Before      JSON      `gorm:"column:before_value;type:text" json:"before,omitempty"`
	After       JSON      `gorm:"column:after_value;type:text" json:"after,omitempty"`
}

// The history is written on every save and read by paragraph, so it carries
// one index only: each further index is more pages written per commit.

// TableName keeps the history in a table called history.
func (Change) TableName() string { return "history" }

// SchemaVersion is one applied schema, kept as its YAML text.
type SchemaVersion struct {
	ID        int64     `gorm:"primaryKey"`
	Version   int       `gorm:"not null;uniqueIndex"`
	Body      string    `gorm:"type:text;not null"`
	CreatedBy int64     ``
	CreatedAt time.Time ``
	// SupersededAt is when a newer version replaced this one; nil for the
	// current version. Applying a schema sets it on the current version
	// first, which is the row the guarded writes check (see guard.go).
	SupersededAt *time.Time ``
}

// Setting is one project setting, such as overlap.
type Setting struct {
	Key   string `gorm:"column:name;primaryKey;size:100"`
	Value string `gorm:"size:1000;not null"`
}

// models lists every table, in an order that satisfies foreign keys.
var models = []any{
	&User{}, &Token{}, &Session{}, &Document{}, &Revision{}, &Paragraph{},
	&Annotation{}, &Gold{}, &Skip{}, &Note{}, &Curation{}, &Change{},
	&SchemaVersion{}, &Setting{}, &LoginThrottle{},
	&ConsensusRun{}, &ConsensusItem{}, &ConsensusAnnotator{}, &ConsensusLease{},
}

// JSON is a raw JSON value kept in a text column.
type JSON string

// Value implements driver.Valuer.
func (j JSON) Value() (driver.Value, error) {
	if j == "" {
		return nil, nil
	}
	return string(j), nil
}

// Scan implements sql.Scanner.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = ""
	case string:
		*j = JSON(v)
	case []byte:
		*j = JSON(v)
	default:
		return fmt.Errorf("annotate: cannot scan %T into JSON", src)
	}
	return nil
}

// MarshalJSON writes the raw value, or null when empty.
func (j JSON) MarshalJSON() ([]byte, error) {
	if j == "" {
		return []byte("null"), nil
	}
	return []byte(j), nil
}

// UnmarshalJSON keeps the raw value.
func (j *JSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*j = ""
		return nil
	}
	*j = JSON(b)
	return nil
}

// toJSON encodes v for a history or meta column.
func toJSON(v any) JSON {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return JSON(b)
}

// Value implements driver.Valuer: labels are kept as a JSON object of arrays.
func (l Labels) Value() (driver.Value, error) {
	if l == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string][]string(l))
	return string(b), err
}

// Scan implements sql.Scanner.
func (l *Labels) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*l = Labels{}
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("annotate: cannot scan %T into Labels", src)
	}
	m := map[string][]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("annotate: stored labels are not valid JSON: %w", err)
	}
	*l = m
	return nil
}
