# The two commands a newcomer needs (see README.md):
#   make demo   run the whole flow in-process, no setup
#   make test   install and start Redis, Samba AD and slapd on loopback, then run every test
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

.PHONY: fleet demo test services unit bench vet build

# A release build names itself: `unlockbot version` and /metrics' build info.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)" -o unlockbot ./cmd/unlockbot

demo:
	$(GO) run ./cmd/unlockbot demo

test: services vet
	$(GO) test -race -count=1 -timeout 15m ./...
	$(MAKE) fleet

# Several `unlockbot serve` processes on one Redis and the lab's Samba:
# the reliability test (300 approvals, one replica SIGKILLed) and the
# lockout storm (500 at once). A pass of their own, after the others,
# because they load the one domain controller for minutes.
fleet: services
	UNLOCKBOT_FLEET=1 $(GO) test -count=1 -timeout 20m -run 'TestReliabilityThreeReplicasOneKilled|TestLockoutStorm' -v ./cmd/unlockbot

services:
	bash .ci/services.sh

# Unit tests only: servers that are not running are skipped (outside CI).
unit:
	$(GO) test -race -count=1 ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

bench: services
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./...
