# Concord's everyday commands. `make test` is what CI runs.

.PHONY: test test-postgres lint bench run build

# Every test, with the race detector, against real SQLite files and a real
# headless Chromium (/usr/bin/chromium).
test:
	go test -race -count=1 ./...

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

# The store's tests against PostgreSQL instead of SQLite. Needs a server
# where the user may create databases, e.g.
# CONCORD_TEST_POSTGRES=postgres://postgres:secret@127.0.0.1:5432/postgres?sslmode=disable
test-postgres:
	@test -n "$$CONCORD_TEST_POSTGRES" || { echo "test-postgres needs CONCORD_TEST_POSTGRES (bash .ci/postgres, as root, starts a server and prints its URL)"; exit 1; }
	go test -count=1 ./annotate/...
