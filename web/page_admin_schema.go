package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"

	"concord/annotate"
)

// adminSchemaPage is the data of the schema page.
type adminSchemaPage struct {
	Current  *annotate.Schema
	Versions []annotate.SchemaVersion
	// Shown is the version whose YAML is on screen.
	Shown *annotate.SchemaVersion
	// YAML and Mapping hold what the admin sent, to send again.
	YAML    string
	Mapping string
	Orphans []annotate.Orphan
	// Values are the values annotators typed into open dimensions, of the
	// status ValuesStatus ("" for every status), one page of them, after
	// ValuesAfter when that is set; ValuesTotal counts them all (up to
	// annotate.MaxCountedValues, more when ValuesAtLeast).
	Values        []annotate.OpenValueReview
	ValuesStatus  string
	ValuesAfter   string
	ValuesTotal   int64
	ValuesAtLeast bool
	// ValuesNext continues after this page, empty when there is none.
	ValuesNext string
	Statuses   []string
}

// openValuesPageSize is how many typed values the schema page lists at once.
const openValuesPageSize = 200

// showAdminSchema shows the current schema, its versions, a form to apply
// a new one (admins) and the values annotators typed into its open
// dimensions, to accept or reject (reviewers and admins); ?version=N shows
// an older version, ?values=STATUS narrows the values (pending by default;
// "all" for every status) and ?values_after=CURSOR (each page's next
// link) pages through them.
func (s *Server) showAdminSchema(c *gin.Context) {
	s.renderAdminSchema(c, http.StatusOK, Page{Data: &adminSchemaPage{}})
}

func (s *Server) renderAdminSchema(c *gin.Context, st int, p Page) {
	ctx := c.Request.Context()
	data := p.Data.(*adminSchemaPage)
	vs, err := s.store.SchemaVersions(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Versions = vs
	if sc, err := s.store.Schema(ctx); err == nil {
		data.Current = sc
	}
	want := c.Query("version")
	for i := range vs {
		if want == fmt.Sprint(vs[i].Version) || (want == "" && i == 0) {
			data.Shown = &vs[i]
			break
		}
	}
	if data.YAML == "" && len(vs) > 0 {
		data.YAML = vs[0].Body
	}
	status, err := queryChoice(c, "values", append([]string{"all"}, annotate.OpenStatuses...))
	if err != nil {
		s.fail(c, err)
		return
	}
	if status == "" {
		status = annotate.OpenPending
	}
	f := annotate.OpenValueFilter{Status: status, Limit: openValuesPageSize, After: c.Query("values_after")}
	if status == "all" {
		f.Status = ""
	}
	page, err := s.store.OpenValueReviews(ctx, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Values, data.ValuesTotal, data.ValuesAtLeast, data.ValuesStatus, data.ValuesAfter, data.ValuesNext, data.Statuses = page.Values, page.Total, page.TotalAtLeast, status, f.After, page.Next, annotate.OpenStatuses
	s.render(c, st, "admin_schema", p)
}

// submitAdminSchema applies a schema pasted or uploaded as YAML. When it
// would orphan stored labels, it shows them with a mapping to fill in.
func (s *Server) submitAdminSchema(c *gin.Context) {
	data := &adminSchemaPage{YAML: c.PostForm("yaml"), Mapping: c.PostForm("mapping")}
	failWith := func(st int, msg string) {
		s.renderAdminSchema(c, st, Page{Error: msg, Data: data})
	}
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			failWith(http.StatusBadRequest, "The uploaded file could not be read: "+err.Error())
			return
		}
		b, err := io.ReadAll(io.LimitReader(f, 1<<20))
		f.Close()
		if err != nil {
			failWith(http.StatusBadRequest, "The uploaded file could not be read: "+err.Error())
			return
		}
		data.YAML = string(b)
	}
	if strings.TrimSpace(data.YAML) == "" {
		failWith(http.StatusBadRequest, "Paste the schema YAML or choose a file.")
		return
	}
	var mapping annotate.Mapping
	if strings.TrimSpace(data.Mapping) != "" {
		if err := yaml.Unmarshal([]byte(data.Mapping), &mapping); err != nil {
			failWith(http.StatusBadRequest, "The mapping is not valid YAML: "+err.Error()+". Write one line per value, such as: stance: {old-value: new-value}")
			return
		}
	}
	sc, err := annotate.ParseSchema([]byte(data.YAML))
	if err != nil {
		st, msg := s.formFailure(c, err)
		failWith(st, "The schema has a problem: "+msg)
		return
	}
	applied, err := s.store.ApplySchema(c.Request.Context(), currentUser(c).ID, sc, mapping)
	var oe *annotate.OrphanError
	if errors.As(err, &oe) {
		data.Orphans = oe.Orphans
		if strings.TrimSpace(data.Mapping) == "" {
			data.Mapping = mappingTemplate(oe.Orphans)
		}
		failWith(http.StatusConflict, "The new schema would leave stored labels without a place. Map each value below to a new one (or to \"\" to drop it on purpose) and apply again.")
		return
	}
	if err != nil {
		st, msg := s.formFailure(c, err)
		failWith(st, msg)
		return
	}
	redirectFlash(c, "/admin/schema", fmt.Sprintf("Schema version %d is now in use.", applied.Version))
}

// mappingTemplate writes a mapping that drops every orphan, with comments,
// for the admin to edit.
func mappingTemplate(orphans []annotate.Orphan) string {
	byDim := map[string][]annotate.Orphan{}
	var dims []string
	for _, o := range orphans {
		if _, ok := byDim[o.Dimension]; !ok {
			dims = append(dims, o.Dimension)
		}
		byDim[o.Dimension] = append(byDim[o.Dimension], o)
	}
	sort.Strings(dims)
	var b strings.Builder
	b.WriteString("# Map each old value to a new one; \"\" drops it on purpose.\n")
	for _, d := range dims {
		fmt.Fprintf(&b, "%s:\n", d)
		for _, o := range byDim[d] {
			fmt.Fprintf(&b, "  %q: \"\"  # %d label(s): %s\n", o.Value, o.Count, o.Reason)
		}
	}
	return b.String()
}

// submitAdminOpenValues accepts, rejects or sets back to pending the ticked
// typed values: accepted ones are offered to every annotator from then on.
func (s *Server) submitAdminOpenValues(c *gin.Context) {
	var ids []int64
	for _, raw := range c.PostFormArray("ids") {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			s.fail(c, annotate.Invalidf("ids", "%q is not a value id", raw))
			return
		}
		ids = append(ids, id)
	}
	back := "/admin/schema?" + url.Values{"values": {c.PostForm("filter_status")}}.Encode() + "#typed-values"
	if len(ids) == 0 {
		redirectFlash(c, back, "Tick at least one value first.")
		return
	}
	decision := c.PostForm("decision")
	n, err := s.store.DecideOpenValues(c.Request.Context(), currentUser(c).ID, ids, decision)
	if err != nil {
		s.fail(c, err)
		return
	}
	redirectFlash(c, back, fmt.Sprintf("%d value(s) %s.", n, decision))
}
