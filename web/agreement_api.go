package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"concord/agreement"
	"concord/annotate"
)

// maxBootstrap bounds the resamples a request may ask for: the bootstrap
// costs time in proportion, and 10,000 is already more than intervals need.
const maxBootstrap = 10000

// agreementQuery is what the agreement API and page read from the query
// string: the filter and the bootstrap options.
type agreementQuery struct {
	Filter  annotate.AgreementFilter
	Options agreement.Options
}

// parseAgreementQuery reads document, annotators, from, to, bootstrap, seed
// and level, and names the parameter at fault. from and to take a date
// (YYYY-MM-DD, to counting the whole day) or an RFC 3339 time.
func parseAgreementQuery(c *gin.Context) (agreementQuery, error) {
	q := agreementQuery{Options: agreement.DefaultOptions()}
	var err error
	if q.Filter.Documents, err = queryIDs(c, "document"); err != nil {
		return q, err
	}
	for _, raw := range c.QueryArray("annotators") {
		for name := range strings.SplitSeq(raw, ",") {
			if name = strings.TrimSpace(name); name != "" {
				q.Filter.Annotators = append(q.Filter.Annotators, name)
			}
		}
	}
	if q.Filter.From, err = queryTime(c, "from", false); err != nil {
		return q, err
	}
	if q.Filter.To, err = queryTime(c, "to", true); err != nil {
		return q, err
	}
	if err := q.Filter.Check(); err != nil {
		return q, err
	}
	if q.Options.Bootstrap, err = queryInt(c, "bootstrap", agreement.DefaultBootstrap, 0, maxBootstrap); err != nil {
		return q, err
	}
	if raw := c.Query("seed"); raw != "" {
		if q.Options.Seed, err = strconv.ParseInt(raw, 10, 64); err != nil {
			return q, annotate.Invalidf("seed", "seed must be an integer, got %q", raw)
		}
	}
	if raw := c.Query("level"); raw != "" {
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || !(v > 0 && v < 1) {
			return q, annotate.Invalidf("level", "level must be a number between 0 and 1 such as 0.95, got %q", raw)
		}
		q.Options.Level = v
	}
	return q, nil
}

// queryTime reads a date or an RFC 3339 time. A date in "to" means the end
// of that day, so that from=2026-01-01&to=2026-01-31 covers January.
func queryTime(c *gin.Context, name string, end bool) (time.Time, error) {
	raw := strings.TrimSpace(c.Query(name))
	if raw == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, raw); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t, nil
	}
	return time.Time{}, annotate.Invalidf(name, "%s must be a date such as 2026-01-31 or a time such as 2026-01-31T12:00:00Z, got %q", name, raw)
}

// getAgreement returns the agreement report of the labels the query keeps.
func (s *Server) getAgreement(c *gin.Context) {
	q, err := parseAgreementQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.store.Agreement(c.Request.Context(), q.Filter, q.Options)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// getConfusion returns the confusion matrix of two annotators on one
// dimension: ?dimension=stance&a=alice&b=bob, with the same filters as the
// report.
func (s *Server) getConfusion(c *gin.Context) {
	q, err := parseAgreementQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.store.Confusion(c.Request.Context(), q.Filter, c.Query("dimension"), c.Query("a"), c.Query("b"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}
