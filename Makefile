# faceverify — two commands: `make run` (set up everything, start the service) and
# `make test` (set up everything, run every test). Both are idempotent.
SHELL := /bin/bash
export FACEVERIFY_DEPS ?= $(CURDIR)/.deps
export CGO_ENABLED := 1
ADDR ?= 127.0.0.1:8080
DATA ?= ./data
GO ?= go
GOTEST_FLAGS ?= -count=1 -timeout 60m

.PHONY: setup build run test vet bench bench-tokens fuzz clean scale-proof train-speech

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

# Multi-process proof (docs/deploy.md): 2 API nodes + worker processes on one PostgreSQL and
# one S3 server, 200 sessions, kill -9 of a worker and an API node; verdicts/s with 1 and 2 workers.
scale-proof: setup
	FACEVERIFY_SCALE_PROOF=1 $(GO) test -count=1 -timeout 40m -v -run TestScaleProof ./internal/scaletest

# Rebuild speech/model/digits.onnx from the speech datasets + espeak-ng voices (dev time only,
# not part of setup/test; needs apt python3-torch python3-torchaudio python3-onnx; docs/speech.md).
train-speech:
	./speech/train/run.sh

clean:
	rm -rf bin
