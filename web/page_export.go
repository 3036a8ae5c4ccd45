package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
	"concord/export"
)

// exportPage is the data of the export page.
type exportPage struct {
	Schema     *annotate.Schema
	Annotators []string
	Paragraphs int64
	Formats    []string
	Shapes     []string
	// Query holds the options last sent, to fill the form again after an
	// error.
	Query map[string][]string
	// SplitWarning says which parts the split of the options in Query (or
	// the default one) leaves without a document, "" when none.
	SplitWarning string
}

// Has reports whether the query holds value for name (a checkbox state).
func (p exportPage) Has(name, value string) bool {
	for _, v := range p.Query[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Get returns the query's value for name, or def.
func (p exportPage) Get(name, def string) string {
	if vs := p.Query[name]; len(vs) > 0 && vs[0] != "" {
		return vs[0]
	}
	return def
}

// registerExportPage registers the export page and its download.
func (s *Server) registerExportPage(reviewer gin.HandlerFunc) {
	s.engine.GET("/export", reviewer, s.showExport)
	s.engine.GET("/export/download", reviewer, s.downloadExport)
}

func (s *Server) exportPageData(c *gin.Context) (exportPage, error) {
	ctx := c.Request.Context()
	sc, err := s.store.Schema(ctx)
	if err != nil {
		return exportPage{}, err
	}
	names, err := s.store.Annotators(ctx, nil)
	if err != nil {
		return exportPage{}, err
	}
	n, err := s.store.CountParagraphs(ctx)
	if err != nil {
		return exportPage{}, err
	}
	p := exportPage{Schema: sc, Annotators: names, Paragraphs: n, Formats: export.Formats, Shapes: export.Shapes, Query: c.Request.URL.Query()}
	// Options the form cannot parse get their own message; the warning is
	// for a split that parses but cannot fill its parts.
	if opt, err := export.ParseQuery(c.Request.URL.Query()); err == nil {
		if p.SplitWarning, err = export.SplitWarning(ctx, s.store, opt); err != nil {
			return exportPage{}, err
		}
	}
	return p, nil
}

// showExport shows the export form.
func (s *Server) showExport(c *gin.Context) {
	p, err := s.exportPageData(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "export", p)
}

// downloadExport sends the export the form asks for, or shows the form again
// with what was wrong.
func (s *Server) downloadExport(c *gin.Context) {
	q := c.Request.URL.Query()
	if q.Get("format") == string(export.FormatXLSX) {
		q.Del("shape")
	}
	c.Request.URL.RawQuery = q.Encode()
	opt, err := export.ParseQuery(q)
	if err == nil {
		err = export.Check(c.Request.Context(), s.store, opt)
	}
	if err != nil {
		p, perr := s.exportPageData(c)
		if perr != nil {
			s.fail(c, perr)
			return
		}
		s.render(c, http.StatusBadRequest, "export", Page{Error: annotate.ErrorMessage(err), Data: p})
		return
	}
	s.exportDataset(c)
}
