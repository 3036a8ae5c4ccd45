package web_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	_ "github.com/jackc/pgx/v5/stdlib"

	"concord/annotate/annotatetest"
)

// BenchmarkAnnotationPutPostgres is BenchmarkAnnotationPut on PostgreSQL:
// the whole stack with one server and with two servers on one database,
// against a bare Gin handler that inserts the same row over a pgx pool, in
// alternating rounds of the same run. It needs CONCORD_TEST_POSTGRES (see
// annotatetest).
func BenchmarkAnnotationPutPostgres(b *testing.B) {
	if !annotatetest.Postgres() {
		b.Skip("set " + annotatetest.EnvPostgres + " to a PostgreSQL URL to run this benchmark; bash .ci/postgres starts a server and prints one")
	}
	one := fullPutTargetOn(b, annotatetest.DSN(b), 1)
	two := fullPutTargetOn(b, annotatetest.DSN(b), 2)
	bare := barePostgresTarget(b, annotatetest.DSN(b))
	tr := &http.Transport{MaxIdleConns: 2 * apiBenchClients, MaxIdleConnsPerHost: apiBenchClients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var ones, twos, bs putStats
	per := max(b.N/putRounds, 1)
	b.ResetTimer()
	for range putRounds {
		apiRunPuts(b, hc, bare, per, &bs)
		apiRunPuts(b, hc, one, per, &ones)
		apiRunPuts(b, hc, two, per, &twos)
	}
	b.StopTimer()
	oneRate, oneP99 := ones.rate()
	twoRate, twoP99 := twos.rate()
	bareRate, bareP99 := bs.rate()
	b.ReportMetric(oneRate, "req/s")
	b.ReportMetric(oneP99, "p99-ms")
	b.ReportMetric(twoRate, "two-servers-req/s")
	b.ReportMetric(twoP99, "two-servers-p99-ms")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(bareP99, "bare-p99-ms")
	if bareRate > 0 {
		b.ReportMetric(oneRate/bareRate, "ratio")
		b.ReportMetric(twoRate/bareRate, "two-servers-ratio")
	}
}

// barePostgresTarget is the floor on PostgreSQL: a Gin handler that inserts
// one row per request into a table of its own over a pgx pool.
func barePostgresTarget(b *testing.B, dsn string) *putTarget {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(apiBenchClients)
	db.SetMaxIdleConns(apiBenchClients)
	if _, err := db.Exec("CREATE TABLE bare (id bigserial PRIMARY KEY, paragraph bigint NOT NULL, body text NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.PUT("/bare/:id", func(c *gin.Context) {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		if _, err := db.ExecContext(c.Request.Context(), "INSERT INTO bare (paragraph, body) VALUES ($1, $2)", c.Param("id"), string(body)); err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"ok": true})
	})
	srv := httptest.NewServer(r)
	b.Cleanup(srv.Close)
	body := []byte(`{"version":0,"labels":{"stance":"agree","topic":["strike"]}}`)
	return &putTarget{sent: make([]int, apiBenchClients), req: func(g, n int) *http.Request {
		r, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/bare/%d", srv.URL, g*1000000+n), bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}, check: func(g, n, status int) {
		if status != http.StatusCreated {
			b.Errorf("bare PUT: status %d", status)
		}
	}}
}
