# test/fuzz/fuzz.mk — the long hardening runs (included by the top Makefile; B := build, NODE).
# The short runs are ordinary node tests (test/fuzz/*.test.ts, test/load/*.test.ts) inside `make test`.
#
# Targets
#   fuzz         fuzz-js then fuzz-native
#   fuzz-js      every property of test/fuzz with FUZZ_SCALE× the short run's iterations (default 200,
#                about 30 min on 2 cores); failing inputs: fast-check prints seed + path (re-run with
#                FUZZ_SEED), decoder findings are also written under $(B)/fuzz/findings
#   fuzz-native  each libFuzzer harness of native/fuzz for FUZZ_SECONDS (default 300) with a persistent
#                corpus in $(B)/fuzz/corpus/<harness> (seeded from test/fixtures/fuzz/native/index.json);
#                crash/leak/timeout inputs land in $(B)/fuzz/findings/<harness>-*
#   load         the load tests with LOAD_SESSIONS sequential sessions (default 10000) and
#                LOAD_DEVICES concurrent devices (default 50); heap high-water is printed
# Variables
#   FUZZ_SCALE=200  FUZZ_SEED=<n>  FUZZ_SECONDS=300  FUZZ_CC=clang-14
#   LOAD_SESSIONS=10000  LOAD_DEVICES=50
# Needs clang-14 and libclang-rt-14-dev (libFuzzer) for the native part.

FUZZ_SCALE ?= 200
FUZZ_SECONDS ?= 300
FUZZ_CC ?= clang-14
FUZZ_B := $(B)/fuzz
FUZZ_HARNESSES := at flash
FUZZ_NATIVE_SRCS := $(sort $(wildcard native/core/*.c))
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Wno-missing-field-initializers
LOAD_SESSIONS ?= 10000
LOAD_DEVICES ?= 50

.PHONY: fuzz fuzz-js fuzz-native fuzz-native-build load

fuzz: fuzz-js fuzz-native

fuzz-js: setup
	@$(NODE) scripts/build.mjs tests test/fuzz
	@mkdir -p $(FUZZ_B)/findings
	@FUZZ_SCALE=$(FUZZ_SCALE) FUZZ_FINDINGS=$(CURDIR)/$(FUZZ_B)/findings $(if $(FUZZ_SEED),FUZZ_SEED=$(FUZZ_SEED)) \
	  $(NODE) --test --test-concurrency=2 --test-timeout=7200000 $(B)/test/fuzz/

$(FUZZ_B)/native/fuzz_%: native/fuzz/fuzz_%.c $(FUZZ_NATIVE_SRCS) native/core/dm_native.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_NATIVE_SRCS)

fuzz-native-build: $(addprefix $(FUZZ_B)/native/fuzz_,$(FUZZ_HARNESSES))

# Seeds come from the fixtures index (hex) so nothing binary is kept in git.
fuzz-native: fuzz-native-build
	@mkdir -p $(FUZZ_B)/findings
	@for h in $(FUZZ_HARNESSES); do \
	  mkdir -p $(FUZZ_B)/corpus/$$h; \
	  $(NODE) -e 'const fs=require("fs");const ix=JSON.parse(fs.readFileSync("test/fixtures/fuzz/native/index.json","utf8"));for(const s of ix.seeds[process.argv[1]]||[])fs.writeFileSync(process.argv[2]+"/seed-"+s.name,Buffer.from(s.hex.replace(/\s+/g,""),"hex"))' $$h $(FUZZ_B)/corpus/$$h; \
	  echo "== fuzz_$$h for $(FUZZ_SECONDS) s (corpus $(FUZZ_B)/corpus/$$h)"; \
	  $(FUZZ_B)/native/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -max_len=512 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_B)/findings/$$h- $(FUZZ_B)/corpus/$$h || exit 1; \
	done

load: setup
	@$(NODE) scripts/build.mjs tests test/load
	@LOAD_SESSIONS=$(LOAD_SESSIONS) LOAD_DEVICES=$(LOAD_DEVICES) $(NODE) --test --test-timeout=7200000 $(B)/test/load/
