package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// adminImportPage is the data of the import page; Report is set after an
// upload.
type adminImportPage struct {
	Report *annotate.ImportReport
}

// showAdminImport shows the upload form.
func (s *Server) showAdminImport(c *gin.Context) {
	s.render(c, http.StatusOK, "admin_import", &adminImportPage{})
}

// submitAdminImport imports uploaded .txt, .md and .jsonl files and shows
// what happened to each.
func (s *Server) submitAdminImport(c *gin.Context) {
	fail := func(st int, msg string, rep *annotate.ImportReport) {
		s.render(c, st, "admin_import", Page{Error: msg, Data: &adminImportPage{Report: rep}})
	}
	form, err := c.MultipartForm()
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is larger than the limit of %d MB; import fewer files at a time.", s.cfg.MaxUploadBytes>>20), nil)
			return
		}
		fail(http.StatusBadRequest, "Choose one or more .txt, .md or .jsonl files to import.", nil)
		return
	}
	defer form.RemoveAll()
	files := form.File[importField]
	if len(files) == 0 {
		fail(http.StatusBadRequest, "Choose one or more .txt, .md or .jsonl files to import.", nil)
		return
	}
	opt, err := importOptions(form)
	if err != nil {
		fail(http.StatusBadRequest, annotate.ErrorMessage(err)+".", nil)
		return
	}
	rep, err := s.importUploads(c, files, opt)
	if err != nil {
		st, msg := s.formFailure(c, err)
		fail(st, msg, rep)
		return
	}
	p := Page{Data: &adminImportPage{Report: rep}}
	st := http.StatusOK
	switch {
	case rep.Created+rep.Revised+rep.Unchanged == 0:
		st = http.StatusBadRequest
		p.Error = "None of the files could be imported; the reasons are below."
	case rep.Failed > 0:
		p.Error = fmt.Sprintf("%d of %d could not be imported; the reasons are below. The others were imported.", rep.Failed, rep.Total())
	default:
		p.Flash = fmt.Sprintf("Imported: %d new, %d revised, %d unchanged.", rep.Created, rep.Revised, rep.Unchanged)
		if rep.Warnings > 0 {
			p.Flash += fmt.Sprintf(" %d with a warning; see below.", rep.Warnings)
		}
	}
	s.render(c, st, "admin_import", p)
}
