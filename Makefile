# epicac: build, test and demo. Every target installs what it needs first (pinned deno and bun
# from the npm registry into .tools/, Debian packages when missing), so a fresh clone works.

DENO_VERSION := 2.9.6
BUN_VERSION  := 1.4.5

SHELL := bash
export PATH := $(CURDIR)/.tools/bin:$(PATH)
# Keep Deno's cache inside the project, so runs never depend on a user's home directory.
export DENO_DIR := $(CURDIR)/.tools/deno-cache
export DENO_NO_UPDATE_CHECK := 1

SOURCES := $(shell find src -name '*.ts') package.json deno.json
# The suite of make test: every test file but the release checks (tests/release/).
SUITE = $(shell find tests -name '*.test.ts' -not -path 'tests/release/*' | sort)
# The tooling's own tests: the benchmark, the scripts, the workflows, the examples.
TOOLING = $(shell find tests/bench tests/scripts tests/ci tests/examples tests/e2e/examples \
  tests/e2e/bench-run.test.ts -name '*.test.ts' | sort)
# The product's unit tests: no build, no process of their own.
UNIT = $(shell find tests -name '*.test.ts' -not -path 'tests/e2e/*' -not -path 'tests/release/*' \
  -not -path 'tests/bench/*' -not -path 'tests/scripts/*' -not -path 'tests/ci/*' \
  -not -path 'tests/examples/*' | sort)

.PHONY: all tools deps build build-bun build-deno test unit tooling test-loaded test-release check docs demo bench clean

all: build

tools:
	@scripts/ensure-tools $(DENO_VERSION) $(BUN_VERSION)
	@scripts/ensure-system-packages

node_modules/.installed: package.json bun.lockb | tools
	bun install --frozen-lockfile
	@touch $@

deps: node_modules/.installed

## build: the Bun binaries, and the Deno binaries where deno compile can get its runtime.
build: deps
	scripts/build all

build-bun: deps
	scripts/build bun

## build-deno fails when the Deno binaries cannot be built here (see DENORT_BIN in the README).
build-deno: deps
	scripts/build deno

## check: type-check and lint the sources, tests and scripts; no import cycle in any of them; the
## module's documentation complete, its example type-checked; what JSR would get from deno
## publish (a dry run) is the module's files, README.md, LICENSE and deno.json, nothing else;
## the pages' generated blocks current, and every path, link, flag and make target they name real.
check: deps
	deno check --quiet src/ tests/ scripts/
	deno check --quiet --doc src/mod.ts
	deno lint
	deno fmt --check
	deno doc --lint src/mod.ts
	deno run --allow-read scripts/import-cycles.ts src
	deno run --allow-read scripts/import-cycles.ts scripts
	deno run --allow-read scripts/import-cycles.ts tests
	deno run --allow-read --allow-run --allow-env scripts/check-publish.ts
	deno run --allow-read scripts/docs.ts --check
	deno run --allow-read --allow-env scripts/check-docs.ts

## docs: rewrite the documentation's generated blocks (flags, options, checks) from the code.
docs: deps
	deno run --allow-read --allow-write scripts/docs.ts

## test: everything but the release checks, under both runtimes, against the binaries
## `make build` wrote.
test: build check
	scripts/test $(SUITE)

## test-release: after make build, what a release needs beyond make test: the binaries in dist/
## as they will be published or timed (scripts/check-binaries; their sizes also go to the
## workflow's summary), and reproducible builds from two clean clones (tests/release/).
test-release: deps
	set -o pipefail; scripts/check-binaries | tee -a "$${GITHUB_STEP_SUMMARY:-/dev/null}"
	scripts/test $$(find tests/release -name '*.test.ts' | sort)

## unit: the product's unit tests only (no build, no other process), under both runtimes.
unit: deps
	scripts/test $(UNIT)

## tooling: the tests of the benchmark, the scripts, the workflows and the examples (make test
## runs them too).
tooling: build
	scripts/test $(TOOLING)

## test-loaded: the same suite with every core kept busy (timed assertions must hold under load).
test-loaded: build check
	scripts/test-under-load $(SUITE)

# The Bun binaries as make demo needs them: rebuilt only when what they are built from changed
# (the sources, the lockfile, the flags, the build scripts, the pinned runtimes in this file).
dist/.bun-built: $(SOURCES) bun.lockb scripts/bun-compile-flags scripts/build scripts/payload.sh \
  Makefile node_modules/.installed
	scripts/build bun
	@touch $@

## demo: epicac end to end on this machine against a local AWS (moto) and the agent's emulator.
demo: dist/.bun-built
	scripts/demo

## bench: cold start of every binary against the `curl | jq` baseline and its floors, serve
## against a bare Bun.serve, node against serve (warm, its cold path, its memory); writes
## bench/results.json and bench/results.md (scripts/bench.ts --help). For example
## make bench ARGS="--runs 50 --max-ratio 1.25 --min-serve-ratio 0.5".
bench: build
	bun scripts/bench.ts $(ARGS)

clean:
	rm -rf dist .test-results
