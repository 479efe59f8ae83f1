# faceverify — two commands: `make run` (set up everything, start the service) and
# `make test` (set up everything, run every test). Both are idempotent.
SHELL := /bin/bash
export FACEVERIFY_DEPS ?= $(CURDIR)/.deps
export CGO_ENABLED := 1
ADDR ?= 127.0.0.1:8080
DATA ?= ./data
GO ?= go
GOTEST_FLAGS ?= -count=1 -timeout 60m

.PHONY: setup build run test vet bench bench-tokens fuzz clean

setup:
	@./scripts/setup.sh

build: setup
	$(GO) build -o bin/faceverify ./cmd/faceverify

run: build
	./bin/faceverify serve --addr $(ADDR) --data $(DATA)

vet:
	$(GO) vet ./...

test: setup vet
	$(GO) test $(GOTEST_FLAGS) ./...

bench: setup
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

bench-tokens: build
	./bin/faceverify bench tokens --n 20000 --c 32

fuzz: setup
	$(GO) test ./httpapi -run '^$$' -fuzz FuzzReadForm -fuzztime 60s
	$(GO) test ./dialect/lite -run '^$$' -fuzz FuzzParseCreate -fuzztime 60s

clean:
	rm -rf bin
