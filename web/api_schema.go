package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"concord/annotate"
	"concord/export"
)

// schemaWithOpenValues returns the current schema and, for each open
// dimension, the most typed values u is offered besides its options and
// the dimensions that offer more (openValuesFor).
func (s *Server) schemaWithOpenValues(ctx context.Context, u *annotate.User) (*annotate.Schema, map[string][]string, map[string]bool, error) {
	sc, err := s.store.Schema(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	open, more, err := s.openValuesFor(ctx, sc, u)
	if err != nil {
		return nil, nil, nil, err
	}
	return sc, open, more, nil
}

// getSchema returns the current label schema and, for its open dimensions,
// the most typed values the caller is offered (for annotators those a
// reviewer accepted and their own, for reviewers and admins every typed
// value) and, in open_values_more, the dimensions that offer more, which
// suggestOpenValues finds.
func (s *Server) getSchema(c *gin.Context) {
	sc, open, more, err := s.schemaWithOpenValues(c.Request.Context(), me(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"schema": sc, "open_values": open, "open_values_more": nonNilMap(more)})
}

// getLabelStudioConfig returns, as an XML file, the Label Studio labelling
// configuration that the label-studio export fits: for every dimension, or
// those of the dimensions query parameter (a comma-separated list).
func (s *Server) getLabelStudioConfig(c *gin.Context) {
	sc, err := s.store.Schema(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	o, err := export.ParseQuery(url.Values{"dimensions": c.QueryArray("dimensions")})
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := export.LabelStudioConfig(sc, o.Dimensions)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="concord-label-studio.xml"`)
	c.Data(http.StatusOK, "application/xml; charset=utf-8", out)
}

// schemaVersionView is one applied schema version as the API shows it.
type schemaVersionView struct {
	Version   int       `json:"version"`
	YAML      string    `json:"yaml"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// listSchemaVersions returns every applied schema version, newest first.
func (s *Server) listSchemaVersions(c *gin.Context) {
	vs, err := s.store.SchemaVersions(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]schemaVersionView, len(vs))
	for i, v := range vs {
		out[i] = schemaVersionView{Version: v.Version, YAML: v.Body, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt}
	}
	c.JSON(http.StatusOK, gin.H{"versions": out})
}

// applySchemaRequest is the body of POST /api/v1/schema.
type applySchemaRequest struct {
	YAML    string           `json:"yaml"`
	Mapping annotate.Mapping `json:"mapping"`
}

// applySchema makes a new schema current. When it would orphan stored
// labels it changes nothing and answers 409 with the orphans in
// error.current; send a mapping for them to apply it.
func (s *Server) applySchema(c *gin.Context) {
	var req applySchemaRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.YAML == "" {
		s.fail(c, annotate.Invalidf("yaml", "send the schema as YAML text in the yaml field"))
		return
	}
	sc, err := annotate.ParseSchema([]byte(req.YAML))
	if err != nil {
		s.fail(c, err)
		return
	}
	applied, err := s.store.ApplySchema(c.Request.Context(), me(c).ID, sc, req.Mapping)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"schema": applied})
}
