# Concord's everyday commands. `make test` is what CI runs.

.PHONY: test test-postgres lint bench run build

# The packages whose tests open a store: the PostgreSQL half runs them again.
STORE_PACKAGES = ./annotate/... ./web/... ./export/... ./cmd/...

# Every test, with the race detector, against real SQLite files and a real
# headless Chromium (/usr/bin/chromium); then, when CONCORD_TEST_POSTGRES
# names a PostgreSQL server, every test that opens a store again on
# PostgreSQL (see test-postgres). CI (CI=true) must run both halves, so there
# a missing CONCORD_TEST_POSTGRES is an error rather than a skipped half.
test:
	@if [ "$$CI" = true ] && [ -z "$$CONCORD_TEST_POSTGRES" ]; then \
	  echo "make test: CI=true but CONCORD_TEST_POSTGRES is not set; CI runs the store and web tests on PostgreSQL too."; \
	  echo "Start a server with: export CONCORD_TEST_POSTGRES=\$$(bash .ci/postgres)   (as root; .ci/run does this)"; \
	  exit 1; \
	fi
	CONCORD_TEST_POSTGRES= go test -race -count=1 ./...
	@if [ -n "$$CONCORD_TEST_POSTGRES" ]; then \
	  $(MAKE) --no-print-directory test-postgres; \
	else \
	  echo "make test: ran on SQLite only. For the PostgreSQL half too, as root: export CONCORD_TEST_POSTGRES=\$$(bash .ci/postgres); make test"; \
	fi

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

# The PostgreSQL half of make test: every test that opens a store, each on a
# database of its own (see annotate/annotatetest). Needs a server where the
# user may create databases, e.g. the one `bash .ci/postgres` starts:
# CONCORD_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable
# The store runs with the race detector again, as on PostgreSQL its writes
# run side by side where SQLite's writer runs them one after another; the
# HTTP and file code above it is the same on both dialects and was
# race-checked on the SQLite half, so it runs without the detector here.
test-postgres:
	@test -n "$$CONCORD_TEST_POSTGRES" || { echo "test-postgres needs CONCORD_TEST_POSTGRES: export CONCORD_TEST_POSTGRES=\$$(bash .ci/postgres)   (as root)"; exit 1; }
	go test -race -count=1 ./annotate/...
	go test -count=1 $(filter-out ./annotate/...,$(STORE_PACKAGES))
