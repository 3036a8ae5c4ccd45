package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/annotate"
)

// importField is the multipart field that carries the files to import.
const importField = "files"

// importDocuments imports uploaded .txt, .md and .jsonl files (admins). The
// form fields split (blank-lines or lines) and title (first-block,
// first-line or none) choose how texts are cut, as the import command's
// flags do. It answers with the import report, which has one result per
// document or bad file; when nothing could be imported it answers 400 with
// the report in error.current.
func (s *Server) importDocuments(c *gin.Context) {
	form, err := c.MultipartForm()
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			s.fail(c, &annotate.Error{Code: annotate.ETOOLARGE, Message: fmt.Sprintf("the upload is larger than the limit of %d bytes; import fewer files at a time", s.cfg.MaxUploadBytes)})
			return
		}
		s.fail(c, annotate.Invalidf(importField, "send the files as multipart/form-data in the field %q: %v", importField, err))
		return
	}
	defer form.RemoveAll()
	files := form.File[importField]
	if len(files) == 0 {
		s.fail(c, annotate.Invalidf(importField, "no files sent; attach one or more .txt, .md or .jsonl files in the field %q", importField))
		return
	}
	opt, err := importOptions(form)
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.importUploads(c, files, opt)
	if err != nil {
		s.fail(c, err)
		return
	}
	if rep.Created+rep.Revised+rep.Unchanged == 0 {
		s.fail(c, &annotate.Error{Code: annotate.EINVALID, Field: importField, Message: fmt.Sprintf("none of the %d files could be imported; see the reasons in current", len(files)), Current: rep})
		return
	}
	c.JSON(http.StatusOK, rep)
}

// importUploads writes uploaded files to a temporary folder under their own
// names, which become the document keys (so that a file imported again from
// the command line revises the same document), and imports them. Files
// refused before the import are in the report with their reason. On an
// error the report holds what was done before it.
func (s *Server) importUploads(c *gin.Context, files []*multipart.FileHeader, opt annotate.ImportOptions) (*annotate.ImportReport, error) {
	rep := &annotate.ImportReport{}
	dir, err := os.MkdirTemp("", "concord-import-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	written := 0
	seen := map[string]bool{}
	for _, fh := range files {
		name, reason := uploadName(fh.Filename, seen)
		if reason == "" {
			reason = saveUpload(fh, filepath.Join(dir, name))
		}
		if reason != "" {
			rep.Results = append(rep.Results, annotate.ImportResult{Origin: fh.Filename, Status: annotate.ImportFailed, Error: reason})
			rep.Failed++
			continue
		}
		seen[name] = true
		written++
	}
	if written == 0 {
		return rep, nil
	}
	// ImportFS over the folder, rather than ImportPaths over its files,
	// records each document under its own file name, not the temporary
	// path, as the seed import does.
	opt.By = currentUser(c).ID
	got, err := s.store.ImportFS(c.Request.Context(), os.DirFS(dir), opt)
	if got != nil {
		rep.Warnings += got.Warnings
		rep.Results = append(rep.Results, got.Results...)
		rep.Created += got.Created
		rep.Revised += got.Revised
		rep.Unchanged += got.Unchanged
		rep.Failed += got.Failed
		rep.Omitted += got.Omitted
	}
	return rep, err
}

// importOptions reads the split and title fields of an import form; empty
// or absent fields are the defaults.
func importOptions(form *multipart.Form) (annotate.ImportOptions, error) {
	field := func(name string) string {
		if vs := form.Value[name]; len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	var opt annotate.ImportOptions
	var err error
	if opt.Split, err = annotate.ParseSplitMode(field("split")); err != nil {
		return opt, err
	}
	opt.Title, err = annotate.ParseTitleRule(field("title"))
	return opt, err
}

// uploadName checks the name a client gave an uploaded file and returns it,
// or a reason to refuse the file.
func uploadName(name string, seen map[string]bool) (string, string) {
	switch {
	case name == "":
		return "", "the file has no name"
	case strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0):
		return "", "a file name must not contain a path; send the file itself"
	case name == "." || name == ".." || strings.HasPrefix(name, "."):
		return "", "a file name must not start with a dot"
	case len(name) > 255:
		return "", "the file name is longer than 255 bytes"
	case seen[name]:
		return "", "a file of the same name was already sent in this upload"
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".md", ".jsonl":
	default:
		return "", "not a .txt, .md or .jsonl file"
	}
	return name, ""
}

// saveUpload copies an uploaded file to path and returns a reason on failure.
func saveUpload(fh *multipart.FileHeader, path string) string {
	src, err := fh.Open()
	if err != nil {
		return "cannot read the upload: " + err.Error()
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "cannot store the upload: " + err.Error()
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return "cannot store the upload: " + err.Error()
	}
	if err := dst.Close(); err != nil {
		return "cannot store the upload: " + err.Error()
	}
	return ""
}
