# Concord's everyday commands. `make test` is what CI runs.

.PHONY: test lint bench run build

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
