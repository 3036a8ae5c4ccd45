package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
	"concord/export"
)

// registerExportRoutes registers the export API and page. Exports carry
// everyone's labels, so they are for reviewers and admins only.
func (s *Server) registerExportRoutes() {
	reviewer := s.requireRole(annotate.RoleReviewer)
	s.engine.GET("/api/v1/export", reviewer, s.exportDataset)
	s.registerExportPage(reviewer)
}

// exportDataset streams an export as a download. The options are checked
// first, so a bad one gets a 400 with the field and the allowed values;
// after that the file is written straight to the response, never held in
// memory whole.
func (s *Server) exportDataset(c *gin.Context) {
	ctx := c.Request.Context()
	opt, err := export.ParseQuery(c.Request.URL.Query())
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := export.Check(ctx, s.store, opt); err != nil {
		s.fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", opt.ContentType())
	h.Set("Content-Disposition", `attachment; filename="`+opt.FileName(s.cfg.Now().UTC())+`"`)
	h.Set("Cache-Control", "no-store")
	if opt.Shape == export.ShapeLabelStudio {
		// The tasks need their labelling configuration to be uploaded; a
		// download is one file, so the response says where the other is.
		h.Set("Link", "<"+labelConfigURL(opt.Dimensions)+`>; rel="describedby"; type="application/xml"`)
	}
	c.Status(http.StatusOK)
	_, err = export.Write(ctx, s.store, c.Writer, opt)
	if err == nil {
		return
	}
	if !c.Writer.Written() {
		h.Del("Content-Disposition")
		s.fail(c, err)
		return
	}
	if !errors.Is(err, ctx.Err()) {
		s.log.Error("export failed mid-way", "path", c.Request.URL.String(), "err", err)
	}
	// The status is sent: end the connection without closing the chunked
	// body, so the client sees a failed download rather than a short file
	// that looks complete.
	if conn, _, herr := c.Writer.Hijack(); herr == nil {
		conn.Close()
	}
	c.Abort()
}

// labelConfigURL is the address of the Label Studio labelling configuration
// that a label-studio export of dims (all when empty) fits.
func labelConfigURL(dims []string) string {
	u := "/api/v1/schema/label-studio"
	if len(dims) > 0 {
		u += "?" + url.Values{"dimensions": {strings.Join(dims, ",")}}.Encode()
	}
	return u
}
