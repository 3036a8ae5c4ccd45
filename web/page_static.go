package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// staticFS holds the style sheets, scripts and icons of the pages.
//
//go:embed static
var staticFS embed.FS

// staticAsset is one embedded file with the checksum its URL carries.
type staticAsset struct {
	name string
	url  string
	body []byte
	typ  string
	etag string
}

// staticAssets reads the embedded files once. Each is served under a name
// that carries a checksum of its content (app.css → app.3f2a9c1b.css), so
// browsers may cache it for a year and still see a new version at once.
var staticAssets = sync.OnceValue(func() map[string]*staticAsset {
	out := map[string]*staticAsset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])[:10]
		ext := path.Ext(name)
		typ := mime.TypeByExtension(ext)
		if typ == "" {
			typ = "application/octet-stream"
		}
		a := &staticAsset{name: name, url: "/static/" + strings.TrimSuffix(name, ext) + "." + h + ext, body: body, typ: typ, etag: `"` + h + `"`}
		out[name] = a
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
})

// staticByURL maps the file part of a checksum URL to its asset.
var staticByURL = sync.OnceValue(func() map[string]*staticAsset {
	out := map[string]*staticAsset{}
	for _, a := range staticAssets() {
		out[strings.TrimPrefix(a.url, "/static/")] = a
	}
	return out
})

// assetURL returns the checksum URL of a static file, for templates.
func assetURL(name string) string {
	if a, ok := staticAssets()[name]; ok {
		return a.url
	}
	panic("web: no static file " + name)
}

// serveStatic serves an embedded file by its checksum URL with a long cache
// lifetime. A URL with an old checksum (a page loaded before an upgrade) gets
// the current file, uncached; a plain name does too.
func serveStatic(c *gin.Context) {
	file := c.Param("file")
	if a, ok := staticByURL()[file]; ok {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
		c.Header("ETag", a.etag)
		c.Data(http.StatusOK, a.typ, a.body)
		return
	}
	// name.oldhash.ext or name.ext → name.ext
	ext := path.Ext(file)
	base := strings.TrimSuffix(file, ext)
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if a, ok := staticAssets()[base+ext]; ok {
		c.Header("Cache-Control", "no-cache")
		c.Header("ETag", a.etag)
		if c.GetHeader("If-None-Match") == a.etag {
			c.Status(http.StatusNotModified)
			return
		}
		c.Data(http.StatusOK, a.typ, a.body)
		return
	}
	c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("no such file"))
}
