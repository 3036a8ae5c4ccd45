# Concord's everyday commands. `make test` is what CI runs.

.PHONY: test test-postgres lint bench run build

# The PostgreSQL half of make test (see test-postgres): every test that
# opens a store. The store runs with the race detector again, as on
# PostgreSQL its writes run side by side where SQLite's writer runs them one
# after another; the HTTP and file code above it is the same on both
# dialects and is race-checked on the SQLite half, so it runs without the
# detector here.
TEST_POSTGRES = go test -race -count=1 -timeout 45m ./annotate/... && go test -count=1 -timeout 45m ./web/... ./export/... ./cmd/...

# Every test, with the race detector, against real SQLite files and a real
# headless Chromium (/usr/bin/chromium); and, when CONCORD_TEST_POSTGRES
# names a PostgreSQL server, the PostgreSQL half alongside it: that half
# mostly waits on the server and the SQLite half mostly computes, so side by
# side they take little longer than the SQLite half alone. Its output is
# printed when both are done. CI (CI=true) must run both halves, so there a
# missing CONCORD_TEST_POSTGRES is an error rather than a skipped half.
test:
	@if [ "$$CI" = true ] && [ -z "$$CONCORD_TEST_POSTGRES" ]; then \
	  echo "make test: CI=true but CONCORD_TEST_POSTGRES is not set; CI runs the store and web tests on PostgreSQL too."; \
	  echo "Start a server with: export CONCORD_TEST_POSTGRES=\$$(bash .ci/postgres)   (as root; .ci/run does this)"; \
	  exit 1; \
	fi
	@if [ -z "$$CONCORD_TEST_POSTGRES" ]; then \
	  echo "CONCORD_TEST_POSTGRES= go test -race -count=1 -timeout 45m ./..."; \
	  CONCORD_TEST_POSTGRES= go test -race -count=1 -timeout 45m ./... || exit 1; \
	  echo "make test: ran on SQLite only. For the PostgreSQL half too, as root: export CONCORD_TEST_POSTGRES=\$$(bash .ci/postgres); make test"; \
	  exit 0; \
	fi; \
	log=$$(mktemp); \
	( $(TEST_POSTGRES) ) >"$$log" 2>&1 & pg=$$!; \
	echo "== SQLite: CONCORD_TEST_POSTGRES= go test -race -count=1 -timeout 45m ./...   (PostgreSQL runs alongside)"; \
	CONCORD_TEST_POSTGRES= go test -race -count=1 -timeout 45m ./...; sqlite=$$?; \
	wait $$pg; postgres=$$?; \
	echo "== PostgreSQL: $(TEST_POSTGRES)"; \
	cat "$$log"; rm -f "$$log"; \
	[ $$sqlite -eq 0 ] || echo "make test: the SQLite half failed"; \
	[ $$postgres -eq 0 ] || echo "make test: the PostgreSQL half failed"; \
	[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]

lint:
	go vet ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

bench:
	go test -run '^$$' -bench . -benchmem ./...

build:
	go build -o concord ./cmd/concord

run:
	go run ./cmd/concord serve

# The PostgreSQL half of make test alone, each test on a database of its own
# (see annotate/annotatetest). Needs a server where the user may create
# databases, e.g. the one `bash .ci/postgres` starts:
# CONCORD_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable
test-postgres:
	@test -n "$$CONCORD_TEST_POSTGRES" || { echo "test-postgres needs CONCORD_TEST_POSTGRES: export CONCORD_TEST_POSTGRES=\$$(bash .ci/postgres)   (as root)"; exit 1; }
	$(TEST_POSTGRES)
