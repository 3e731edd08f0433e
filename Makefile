# omadm — top-level build. `make demo` and `make test` work on a fresh Debian 12 machine (root):
# they install what is missing (scripts/setup.sh), build, and run.
SHELL := /bin/bash
NODE ?= node
B := build

.PHONY: all setup build typecheck test test-unit demo clean
all: build

setup:
	@scripts/setup.sh

typecheck: setup
	@node_modules/.bin/tsc -p tsconfig.json
	@node_modules/.bin/tsc -p tsconfig.node.json
	@node_modules/.bin/tsc -p target/quickjs/tsconfig.json

build: setup typecheck
	@$(NODE) scripts/build.mjs

# Area fragments add build prerequisites of the tests to TEST_DEPS (native addon, C unit tests,
# QuickJS hosts, cross builds...). Tests that run them are node tests, so the summary stays last.
TEST_DEPS :=
-include native/native.mk
-include target/quickjs/quickjs.mk
-include bench/bench.mk
-include test/fuzz/fuzz.mk

# All tests: unit, conformance/interop, end-to-end, fault injection; node's test runner prints the summary.
.SECONDEXPANSION:
test: build $$(TEST_DEPS)
	@$(NODE) scripts/build.mjs tests
	@$(NODE) --test --test-concurrency=2 $(B)/test/

# One area: make test-unit T=codec
test-unit: setup
	@$(NODE) scripts/build.mjs tests $(T)
	@$(NODE) --test $$(find $(B)/test -name '*.test.mjs' -path '*$(T)*' | sort)

# The seed scenario on loopback (DEMO_ARGS="--quiet" for the summary only, "--no-sms", "--keep").
demo: build native
	@$(NODE) $(B)/dist/omadm.mjs demo $(DEMO_ARGS)

# The long FUMO power-cut sweep (every write of a DownloadAndUpdate, 256-byte pages; ~7 min).
.PHONY: fumo-sweep
fumo-sweep: build $$(TEST_DEPS)
	@$(NODE) scripts/build.mjs tests fault/fumo
	@OMADM_FUMO_SWEEP=full $(NODE) --test $(B)/test/fault/fumo/sweep.test.mjs

clean:
	rm -rf $(B)
