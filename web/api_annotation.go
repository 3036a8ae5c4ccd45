package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// annotationView is one annotation in the API: its labels in their JSON
// shape (schema.Encode).
type annotationView struct {
	ParagraphID   int64          `json:"paragraph_id"`
	Version       int            `json:"version"`
	SchemaVersion int            `json:"schema_version"`
	Labels        map[string]any `json:"labels"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

func viewAnnotation(sc *annotate.Schema, a *annotate.Annotation) annotationView {
	return annotationView{ParagraphID: a.ParagraphID, Version: a.Version, SchemaVersion: a.SchemaVersion, Labels: sc.Encode(a.Labels), UpdatedAt: a.UpdatedAt}
}

// encodeCurrent rewrites the stored annotation a conflict carries into the
// same JSON shape as a successful answer.
func encodeCurrent(err error, sc *annotate.Schema) error {
	var e *annotate.Error
	if !errors.As(err, &e) || e.Code != annotate.ECONFLICT {
		return err
	}
	switch cur := e.Current.(type) {
	case *annotate.Annotation:
		if cur == nil {
			return err
		}
		out := *e
		out.Current = viewAnnotation(sc, cur)
		return &out
	case annotate.Annotation:
		out := *e
		out.Current = viewAnnotation(sc, &cur)
		return &out
	case *annotate.Gold:
		if cur == nil {
			return err
		}
		out := *e
		out.Current = viewGold(sc, cur)
		return &out
	case annotate.Gold:
		out := *e
		out.Current = viewGold(sc, &cur)
		return &out
	}
	return err
}

// pathParagraph reads the :id of a paragraph route and checks that the
// paragraph exists, so that "no such paragraph" is told apart from "nothing
// stored for it yet". It answers the request itself when either fails.
func (s *Server) pathParagraph(c *gin.Context) (int64, bool) {
	id, err := pathID(c, "id")
	if err == nil {
		_, err = s.store.Paragraph(c.Request.Context(), id)
	}
	if err != nil {
		s.fail(c, err)
		return 0, false
	}
	return id, true
}

// getAnnotation returns the caller's own annotation of a paragraph.
func (s *Server) getAnnotation(c *gin.Context) {
	id, ok := s.pathParagraph(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	a, err := s.store.Annotation(ctx, id, me(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	sc, err := s.store.Schema(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewAnnotation(sc, a))
}

// saveAnnotationRequest is the body of PUT …/annotation.
type saveAnnotationRequest struct {
	Version *int                       `json:"version"`
	Labels  map[string]json.RawMessage `json:"labels"`
	// SuggestionShown says, by dimension, which model suggestion the page
	// showed (see api_suggestions.go); it is kept apart from the labels.
	SuggestionShown map[string]shownRequest `json:"suggestion_shown"`
}

// bindLabels reads a versioned labels write into req, whose version and
// labels fields are at version and raw, and checks the labels against the
// current schema. It answers the request itself and returns ok false when
// something is wrong; noVersion is the message for a body without a version.
func (s *Server) bindLabels(c *gin.Context, req any, version **int, raw *map[string]json.RawMessage, noVersion string) (id int64, sc *annotate.Schema, labels annotate.Labels, ok bool) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return 0, nil, nil, false
	}
	if err := s.bindJSON(c, req); err != nil {
		s.fail(c, err)
		return 0, nil, nil, false
	}
	if *version == nil {
		s.fail(c, annotate.Invalidf("version", "%s", noVersion))
		return 0, nil, nil, false
	}
	if *raw == nil {
		s.fail(c, annotate.Invalidf("labels", "give the labels as an object of dimension: value"))
		return 0, nil, nil, false
	}
	sc, err = s.store.Schema(c.Request.Context())
	if err == nil {
		labels, err = sc.Decode(*raw)
	}
	if err != nil {
		s.fail(c, err)
		return 0, nil, nil, false
	}
	return id, sc, labels, true
}

// saveAnnotation creates (version 0, 201) or replaces (the version last
// read, 200) the caller's labels for a paragraph. Labels equal to the stored
// ones answer 200 with the stored annotation whatever the version, so that a
// retried save never reports a false conflict.
func (s *Server) saveAnnotation(c *gin.Context) {
	var req saveAnnotationRequest
	id, sc, labels, ok := s.bindLabels(c, &req, &req.Version, &req.Labels, "give the version you last read, or 0 to create")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	shown := shownInputs(req.SuggestionShown)
	if err := s.store.CheckShown(ctx, shown); err != nil {
		s.fail(c, err)
		return
	}
	a, created, err := s.store.PutAnnotation(ctx, me(c).ID, id, *req.Version, labels)
	if err != nil {
		s.fail(c, encodeCurrent(err, sc))
		return
	}
	s.recordShown(ctx, a, shown)
	st := http.StatusOK
	if created {
		st = http.StatusCreated
	}
	c.JSON(st, viewAnnotation(sc, a))
}

// deleteAnnotation removes the caller's annotation of a paragraph (undo).
// The version query parameter must be the stored version.
func (s *Server) deleteAnnotation(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	raw := c.Query("version")
	version, err := strconv.Atoi(raw)
	if err != nil || version < 1 {
		s.fail(c, annotate.Invalidf("version", "give the version being removed as ?version=N (a positive integer), got %q", raw))
		return
	}
	ctx := c.Request.Context()
	if err := s.store.DeleteAnnotation(ctx, me(c).ID, id, version); err != nil {
		sc, serr := s.store.Schema(ctx)
		if serr == nil {
			err = encodeCurrent(err, sc)
		}
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// userAnnotationView is one annotator's annotation, for reviewers.
type userAnnotationView struct {
	UserID    int64          `json:"user_id"`
	UserName  string         `json:"user_name"`
	Version   int            `json:"version"`
	Labels    map[string]any `json:"labels"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// listAnnotations returns everyone's annotations of a paragraph. Reviewers
// and admins only: annotators label blind.
func (s *Server) listAnnotations(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	as, err := s.store.Annotations(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	sc, err := s.store.Schema(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]userAnnotationView, len(as))
	for i, a := range as {
		out[i] = userAnnotationView{UserID: a.UserID, UserName: a.UserName, Version: a.Version, Labels: sc.Encode(a.Labels), UpdatedAt: a.UpdatedAt}
	}
	c.JSON(http.StatusOK, gin.H{"annotations": out})
}

// goldView is a paragraph's gold label in the API.
type goldView struct {
	ParagraphID int64          `json:"paragraph_id"`
	Version     int            `json:"version"`
	Labels      map[string]any `json:"labels"`
	Method      string         `json:"method"`
	DecidedBy   int64          `json:"decided_by"`
	DecidedAt   time.Time      `json:"decided_at"`
}

func viewGold(sc *annotate.Schema, g *annotate.Gold) goldView {
	return goldView{ParagraphID: g.ParagraphID, Version: g.Version, Labels: sc.Encode(g.Labels), Method: g.Method, DecidedBy: g.DecidedBy, DecidedAt: g.DecidedAt}
}

// getGold returns the gold label of a paragraph (reviewers and admins).
func (s *Server) getGold(c *gin.Context) {
	id, ok := s.pathParagraph(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	g, err := s.store.GoldLabel(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	sc, err := s.store.Schema(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, viewGold(sc, g))
}

// saveGoldRequest is the body of PUT …/gold.
type saveGoldRequest struct {
	Version *int                       `json:"version"`
	Labels  map[string]json.RawMessage `json:"labels"`
	Method  string                     `json:"method"`
}

// saveGold records a reviewer's decision as the gold label of a paragraph,
// apart from the annotators' labels. Conflicts work as for annotations.
func (s *Server) saveGold(c *gin.Context) {
	var req saveGoldRequest
	id, sc, labels, ok := s.bindLabels(c, &req, &req.Version, &req.Labels, "give the gold version you last read, or 0 for the first decision")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := s.store.CheckMajorityMethod(ctx, sc, id, req.Method); err != nil {
		s.fail(c, err)
		return
	}
	g, err := s.store.SetGold(ctx, me(c).ID, id, *req.Version, labels, req.Method)
	if err != nil {
		s.fail(c, encodeCurrent(err, sc))
		return
	}
	c.JSON(http.StatusOK, viewGold(sc, g))
}
