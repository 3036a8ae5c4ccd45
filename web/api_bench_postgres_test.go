package web_test

import (
	"database/sql"
	"net/http"
	"testing"

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
	db.SetMaxOpenConns(apiBenchClients)
	db.SetMaxIdleConns(apiBenchClients)
	return bareTarget(b, db, "CREATE TABLE bare (id bigserial PRIMARY KEY, paragraph bigint NOT NULL, body text NOT NULL)", "INSERT INTO bare (paragraph, body) VALUES ($1, $2)")
}
