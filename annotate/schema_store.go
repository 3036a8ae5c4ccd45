package annotate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// OpenValue is a value an annotator added to an open dimension, kept for the
// type-ahead: the annotators who typed it are offered it, and everyone once
// a reviewer accepts it (Status; see open_value.go).
type OpenValue struct {
	ID        int64  `gorm:"primaryKey;index:idx_open_value_rank,priority:3;index:idx_open_value_status_rank,priority:4"`
	Dimension string `gorm:"size:40;not null;uniqueIndex:idx_open_value;index:idx_open_value_rank,priority:1;index:idx_open_value_status_rank,priority:2"`
	Value     string `gorm:"size:800;not null;uniqueIndex:idx_open_value"`
	CreatedBy int64
	Status    string `gorm:"size:20;not null;default:pending;index:idx_open_value_status_rank,priority:1"`
	// Folded is Value in lower case, what the type-ahead matches what is
	// typed against (see open_value_terms.go).
	Folded string `gorm:"size:800;not null;default:''"`
	// Typists is how many users typed the value (its rows of
	// open_value_users), kept as each is added: the type-ahead offers the
	// most typed values first, and the reviewers' list, most typed first,
	// is read from an index a page at a time.
	Typists int `gorm:"not null;default:0;index:idx_open_value_rank,priority:2,sort:desc;index:idx_open_value_status_rank,priority:3,sort:desc"`
}

func init() { models = append(models, &OpenValue{}) }

// schemaCache keeps the parsed current schema; it is checked against the
// newest version number on every use, so a schema applied by another process
// is picked up.
type schemaCache struct {
	mu      sync.Mutex
	schema  *Schema
	checked time.Time
}

// schemaFreshness is how long Schema trusts its cached copy before asking
// the database for the newest version again. Writes check the version inside
// their transaction, so a stale read can never store labels against an old
// schema.
const schemaFreshness = time.Second

func latestSchemaVersion(db *gorm.DB) (int, error) {
	var v SchemaVersion
	err := db.Select("version").Order("version DESC").Limit(1).Find(&v).Error
	return v.Version, err
}

func loadSchema(db *gorm.DB) (*Schema, error) {
	var v SchemaVersion
	if err := db.Order("version DESC").Limit(1).Find(&v).Error; err != nil {
		return nil, err
	}
	if v.ID == 0 {
		return nil, NotFoundf("no label schema has been applied yet; run: concord schema apply FILE")
	}
	sc, err := ParseSchema([]byte(v.Body))
	if err != nil {
		return nil, fmt.Errorf("stored schema version %d: %w", v.Version, err)
	}
	sc.Version = v.Version
	return sc, nil
}

// schemaIn returns the current schema as seen by db (a transaction or a pool).
func (s *Store) schemaIn(db *gorm.DB) (*Schema, error) {
	latest, err := latestSchemaVersion(db)
	if err != nil {
		return nil, translate(err)
	}
	c := &s.schemas
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.schema != nil && c.schema.Version == latest {
		c.checked = time.Now()
		return c.schema, nil
	}
	sc, err := loadSchema(db)
	if err != nil {
		return nil, translate(err)
	}
	c.schema, c.checked = sc, time.Now()
	return sc, nil
}

// Schema returns the current label schema. Callers must not modify it.
func (s *Store) Schema(ctx context.Context) (*Schema, error) {
	c := &s.schemas
	c.mu.Lock()
	if c.schema != nil && time.Since(c.checked) < schemaFreshness {
		sc := c.schema
		c.mu.Unlock()
		return sc, nil
	}
	c.mu.Unlock()
	return s.schemaIn(s.read(ctx))
}

// SchemaVersions returns every applied schema version, newest first.
func (s *Store) SchemaVersions(ctx context.Context) ([]SchemaVersion, error) {
	var out []SchemaVersion
	err := s.read(ctx).Order("version DESC").Find(&out).Error
	return out, translate(err)
}

// OrphanError is returned when a new schema would leave stored labels without
// a place. Orphans lists them, summed by dimension, value and reason.
type OrphanError struct {
	Orphans []Orphan
}

// Error lists the orphans and says how to go on.
func (e *OrphanError) Error() string {
	var b strings.Builder
	b.WriteString("the new schema would orphan stored labels:")
	for _, o := range e.Orphans {
		fmt.Fprintf(&b, "\n  %s = %q: %d label(s), %s", o.Dimension, o.Value, o.Count, o.Reason)
	}
	b.WriteString("\npass a mapping of old values to new ones (a value of \"\" drops it on purpose) to apply it")
	return b.String()
}

// Unwrap makes an OrphanError match ErrConflict.
func (e *OrphanError) Unwrap() error {
	return &Error{Code: ECONFLICT, Message: e.Error(), Current: e.Orphans}
}

// ApplySchema makes sc the current schema, as a new version. When it would
// orphan stored labels (annotations or gold) — a removed dimension or option,
// a kind change, several values where one is now allowed — it changes nothing
// and returns an *OrphanError, unless m maps those values. With a mapping, the
// stored labels are converted in the same transaction and every change is in
// the history. Applying the schema that is already current does nothing.
func (s *Store) ApplySchema(ctx context.Context, by int64, sc *Schema, m Mapping) (*Schema, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	body := string(sc.YAML())
	var applied *Schema
	var err error
	// Applies run one after another: each takes the current version's row
	// first (see supersede). Only two first applies to an empty database
	// can collide, on the version's unique key; the loser tries again and
	// then finds the winner's version to build on.
	for range maxGuardRetries {
		applied, err = s.applyOnce(ctx, by, sc, body, m)
		if !retryable(err) {
			break
		}
	}
	if retryable(err) {
		cur, _ := loadSchema(s.read(ctx))
		return nil, &Error{Code: ECONFLICT, Field: "schema", Message: "other schemas were applied at the same time; read the current schema and apply again", Current: cur}
	}
	if err != nil {
		return nil, err
	}
	c := &s.schemas
	c.mu.Lock()
	c.schema, c.checked = applied, time.Now()
	c.mu.Unlock()
	return applied, nil
}

// applyOnce is one try of ApplySchema; errStale when another first apply
// took version 1.
func (s *Store) applyOnce(ctx context.Context, by int64, sc *Schema, body string, m Mapping) (*Schema, error) {
	var applied *Schema
	err := s.tx(ctx, func(tx *gorm.DB) error {
		head, err := s.supersede(tx)
		if err != nil {
			return err
		}
		var cur *Schema
		if head != nil {
			if cur, err = parseVersion(head); err != nil {
				return err
			}
		}
		if cur != nil && string(cur.YAML()) == body {
			// Already current: take back the mark supersede set.
			applied = cur
			return tx.Model(&SchemaVersion{}).Where("id = ?", head.ID).Update("superseded_at", nil).Error
		}
		next := &Schema{Dimensions: sc.Dimensions}
		next.Version = 1
		if cur != nil {
			next.Version = cur.Version + 1
			if err := s.migrateLabels(tx, by, cur, next, m); err != nil {
				return err
			}
		}
		if err := tx.Create(&SchemaVersion{Version: next.Version, Body: body, CreatedBy: by, CreatedAt: s.now()}).Error; err != nil {
			if isUniqueViolation(err) {
				return errStale
			}
			return err
		}
		applied = next
		return s.record(tx, Change{UserID: by, Entity: "schema", EntityID: int64(next.Version), Action: "apply", After: toJSON(map[string]any{"version": next.Version})})
	})
	return applied, err
}

// supersede marks the current schema version superseded, inside the apply's
// transaction and before any label is read: on PostgreSQL this waits for
// saves that hold the row (FOR SHARE, see guard.go) and makes later ones
// wait for the apply, then fail their guard; a second apply waits here for
// the first. It returns the version it marked, or nil when none is stored.
func (s *Store) supersede(tx *gorm.DB) (*SchemaVersion, error) {
	for {
		var head SchemaVersion
		if err := tx.Where("superseded_at IS NULL").Order("version DESC").Limit(1).Find(&head).Error; err != nil {
			return nil, err
		}
		if head.ID == 0 {
			return nil, nil
		}
		// Guarded by the row still being current: an apply that waited
		// here for another finds it superseded (0 rows) and reads the
		// new current version.
		n, err := s.exec(tx, "UPDATE schema_versions SET superseded_at = ? WHERE id = ? AND superseded_at IS NULL", s.now(), head.ID)
		if err != nil {
			return nil, err
		}
		if n == 1 {
			return &head, nil
		}
	}
}

// parseVersion parses a stored schema version.
func parseVersion(v *SchemaVersion) (*Schema, error) {
	sc, err := ParseSchema([]byte(v.Body))
	if err != nil {
		return nil, fmt.Errorf("stored schema version %d: %w", v.Version, err)
	}
	sc.Version = v.Version
	return sc, nil
}

func (s *Store) migrateLabels(tx *gorm.DB, by int64, cur, next *Schema, m Mapping) error {
	type key struct{ dim, value, reason string }
	counts := map[key]int{}
	var anns []Annotation
	if err := tx.Find(&anns).Error; err != nil {
		return err
	}
	var golds []Gold
	if err := tx.Find(&golds).Error; err != nil {
		return err
	}
	type update struct {
		entity string
		id     int64
		para   int64
		before Labels
		after  Labels
	}
	var updates []update
	check := func(entity string, id, para int64, l Labels) {
		out, orphans := next.Migrate(cur, l, m)
		for _, o := range orphans {
			counts[key{o.Dimension, o.Value, o.Reason}]++
		}
		if len(orphans) == 0 && !out.Equal(l) {
			updates = append(updates, update{entity, id, para, l, out})
		}
	}
	for _, a := range anns {
		check("annotation", a.ID, a.ParagraphID, a.Labels)
	}
	for _, g := range golds {
		check("gold", g.ID, g.ParagraphID, g.Labels)
	}
	if len(counts) > 0 {
		var orphans []Orphan
		for k, n := range counts {
			orphans = append(orphans, Orphan{Dimension: k.dim, Value: k.value, Count: n, Reason: k.reason})
		}
		sort.Slice(orphans, func(i, j int) bool {
			if orphans[i].Dimension != orphans[j].Dimension {
				return orphans[i].Dimension < orphans[j].Dimension
			}
			return orphans[i].Value < orphans[j].Value
		})
		return &OrphanError{Orphans: orphans}
	}
	now := s.now()
	for _, u := range updates {
		var model any = &Annotation{}
		if u.entity == "gold" {
			model = &Gold{}
		}
		res := tx.Model(model).Where("id = ?", u.id).Updates(map[string]any{"labels": u.after, "version": gorm.Expr("version + 1")})
		if res.Error != nil {
			return res.Error
		}
		if err := s.record(tx, Change{At: now, UserID: by, Entity: u.entity, EntityID: u.id, ParagraphID: u.para, Action: "schema-migrate", Before: toJSON(u.before), After: toJSON(u.after)}); err != nil {
			return err
		}
	}
	return nil
}
