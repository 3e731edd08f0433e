# bench/bench.mk — benchmarks (included by the top Makefile after target/quickjs/quickjs.mk, whose
# QuickJS/cross/sysroot/plugin rules it reuses). Everything is written under $(B)/bench and
# $(B)/perfkit; docs/bench.md explains the method and shows the committed results.
#
# Targets
#   bench                 Node on this machine: every case (tinybench, fresh process per trial,
#                         BENCH_TRIALS of them), medians → $(B)/bench/results/node-x86_64.{json,md}
#   bench-anchors         ../shared/perfkit with our codec (bench/codec-adapter.mjs) beside expat, libwbxml,
#                         htmlparser2, saxes, txml and the byte-loop limit, in one run; then the ratio
#                         tables, heap growth on e-stress, a CPU profile of our decode and the chart
#                         → $(B)/bench/anchors/{anchors.json,anchors.md,anchors.svg}
#   bench-qemu ARCH=…     QuickJS under QEMU (guest instruction counts + tinybench medians) and Debian's
#                         node under QEMU (medians) → $(B)/bench/results/{qjs,node}-ARCH.{json,md}
#   bench-callgrind       QuickJS on this machine: instruction counts under valgrind --tool=callgrind
#                         + medians → $(B)/bench/results/qjs-x86_64.{json,md}
#   bench-check ARCH=…    counts QuickJS instructions again (ARCH=x86_64: callgrind) and compares them
#                         with bench/baselines/qjs-ARCH.json; fails above BENCH_TOLERANCE percent
#   bench-baseline ARCH=… rewrites bench/baselines/qjs-ARCH.json from a fresh count run (on purpose only)
#   bench-footprint       bundle, bytecode and binary sizes, peak RSS of a DM session (QuickJS host,
#                         qemu-aarch64, qemu-arm) → $(B)/bench/footprint.{json,md}
#   bench-smoke           the short run `make test` does (test/bench/smoke.test.ts): smoke cases on Node,
#                         on QuickJS under qemu-aarch64 (counts + medians) → $(B)/bench/smoke/
#   bench-report          all results found under $(B)/bench as one markdown report on stdout
# Variables
#   ARCH=aarch64|armhf|x86_64   BENCH_TRIALS=3 (processes per case on Node)   BENCH_FILTER=regex on case ids
#   BENCH_TOLERANCE=2 (percent, instruction counts)   BENCH_ANCHORS_QJS=1 (perfkit's QuickJS ratio too)
#   PERFKIT=../shared/perfkit

BENCH_D      := $(B)/bench
PERFKIT      ?= $(abspath ../shared/perfkit)
PERFKIT_WORK := $(B)/perfkit
BENCH_CORPUS := $(PERFKIT_WORK)/corpus
BENCH_TRIALS ?= 3
BENCH_FILTER ?=
BENCH_TOLERANCE ?= 2
BENCH_DRIVER := $(NODE) $(BENCH_D)/driver.mjs
BENCH_ARCH   = $(if $(filter x86_64 host,$(ARCH)),host,$(ARCH))
BENCH_HOSTBIN_C := target/quickjs/host.c native/quickjs/dm_qjs.c $(wildcard native/core/*.c) $(wildcard native/core/tls/*.c) bench/host-stub.c
BENCH_SRCS := $(shell find bench src target/node target/quickjs test/helpers -name '*.ts' 2>/dev/null) bench/build.mjs

.PHONY: bench bench-anchors bench-qemu bench-callgrind bench-check bench-baseline bench-footprint bench-smoke \
        bench-smoke-deps bench-bundles bench-corpus bench-report

# ---------------------------------------------------------------- bundles and corpora
$(BENCH_D)/.bundles: $(BENCH_SRCS) node_modules/tinybench/package.json
	@mkdir -p $(@D)
	$(NODE) bench/build.mjs
	@touch $@
bench-bundles: $(BENCH_D)/.bundles

# The full perfkit corpus (about 90 s, almost all of it libwbxml encoding the 10 MiB message); cached.
$(BENCH_CORPUS)/manifest.json:
	@mkdir -p $(PERFKIT_WORK)
	$(NODE) $(PERFKIT)/gen-corpus.mjs $(BENCH_CORPUS)
bench-corpus: $(BENCH_CORPUS)/manifest.json

# The smoke corpus: perfkit's XML (1 s) + libwbxml's WBXML of a-pkg1 and b-pkg2 (the same bytes as
# the full corpus), element counts checked by a wbxml2xml round trip.
$(BENCH_D)/corpus-smoke/manifest.json: $(BENCH_D)/.bundles
	$(BENCH_DRIVER) corpus-smoke --perfkit $(PERFKIT) --out $(BENCH_D)/corpus-smoke

# ---------------------------------------------------------------- the bench host (omadm's C host, no application)
# Same C sources and flags as build/qjs/<arch>/omadm, with bench/host-stub.c instead of the application
# bytecode: the binary changes only with C or QuickJS changes, so its instruction counts are comparable
# across TypeScript changes of the code under test (which comes in the --run bundle).
$(BENCH_D)/host/omadm-bench: $(BENCH_HOSTBIN_C) $(DMQ_C_HDRS) $(QJS_HOST)/libquickjs.a
	@mkdir -p $(@D)
	gcc $(DMQ_CFLAGS) -o $@ $(BENCH_HOSTBIN_C) $(QJS_HOST)/libquickjs.a $(MBEDTLS_HOST_LIBS) $(QJS_LIBS)

define BENCH_ARCH_RULES
$(BENCH_D)/$(1)/omadm-bench: $(BENCH_HOSTBIN_C) $(DMQ_C_HDRS) $(QJS_D)/$(1)/libquickjs.a $(B)/sysroot/$(1)/.stamp-mbedtls
	@mkdir -p $$(@D)
	$$(QJS_CC_$(1)) $(DMQ_CFLAGS) $(XARCH_CFLAGS_$(1)) -I$(B)/sysroot/$(1)/usr/include -static -o $$@ \
	  $(BENCH_HOSTBIN_C) $(QJS_D)/$(1)/libquickjs.a $$(QJS_MBEDTLS_$(1)) $(QJS_LIBS) 2>$$@.ldlog || { cat $$@.ldlog; exit 1; }
endef
$(foreach a,$(XARCHS),$(eval $(call BENCH_ARCH_RULES,$(a))))

# What each run needs (ARCH-dependent).
BENCH_QEMU_DEPS = $(BENCH_D)/.bundles $(BENCH_CORPUS)/manifest.json $(BENCH_D)/$(ARCH)/omadm-bench $(B)/qemu/libinsncount.so \
  $(B)/sysroot/$(ARCH)/.stamp-node $(B)/native/$(ARCH)/dm_native.node
BENCH_COUNT_DEPS = $(BENCH_D)/.bundles $(BENCH_CORPUS)/manifest.json \
  $(if $(filter host,$(BENCH_ARCH)),$(BENCH_D)/host/omadm-bench,$(BENCH_D)/$(ARCH)/omadm-bench $(B)/qemu/libinsncount.so)

# ---------------------------------------------------------------- runs
bench: $(BENCH_D)/.bundles $(BENCH_CORPUS)/manifest.json $(B)/native/host/dm_native.node
	$(BENCH_DRIVER) run --runtime node --arch x86_64 --trials $(BENCH_TRIALS) --corpus $(BENCH_CORPUS) $(if $(BENCH_FILTER),--filter '$(BENCH_FILTER)')

bench-qemu: qjs-check-arch
	@$(MAKE) --no-print-directory -j$(QJS_JOBS) $(BENCH_QEMU_DEPS)
	$(BENCH_DRIVER) run --runtime qjs --arch $(ARCH) --corpus $(BENCH_CORPUS) $(if $(BENCH_FILTER),--filter '$(BENCH_FILTER)')
	$(BENCH_DRIVER) run --runtime node --arch $(ARCH) --trials 1 --corpus $(BENCH_CORPUS) $(if $(BENCH_FILTER),--filter '$(BENCH_FILTER)')

bench-callgrind: $(BENCH_D)/.bundles $(BENCH_CORPUS)/manifest.json $(BENCH_D)/host/omadm-bench
	$(BENCH_DRIVER) run --runtime qjs --arch x86_64 --corpus $(BENCH_CORPUS) $(if $(BENCH_FILTER),--filter '$(BENCH_FILTER)')

bench-check:
	@$(MAKE) --no-print-directory -j$(QJS_JOBS) $(BENCH_COUNT_DEPS)
	$(BENCH_DRIVER) run --runtime qjs --arch $(if $(filter host,$(BENCH_ARCH)),x86_64,$(ARCH)) --counts-only --corpus $(BENCH_CORPUS) \
	  --out $(BENCH_D)/check
	$(BENCH_DRIVER) check --results $(BENCH_D)/check --baselines bench/baselines --tolerance $(BENCH_TOLERANCE) \
	  --target qjs-$(if $(filter host,$(BENCH_ARCH)),x86_64,$(ARCH))

bench-baseline:
	@$(MAKE) --no-print-directory -j$(QJS_JOBS) $(BENCH_COUNT_DEPS)
	$(BENCH_DRIVER) run --runtime qjs --arch $(if $(filter host,$(BENCH_ARCH)),x86_64,$(ARCH)) --counts-only --corpus $(BENCH_CORPUS) \
	  --out $(BENCH_D)/check
	$(BENCH_DRIVER) baseline --results $(BENCH_D)/check --baselines bench/baselines --target qjs-$(if $(filter host,$(BENCH_ARCH)),x86_64,$(ARCH))

# perfkit with our codec; the corpus, npm peers and C anchors are cached in $(PERFKIT_WORK).
bench-anchors: $(BENCH_D)/.bundles $(BENCH_CORPUS)/manifest.json
	$(NODE) scripts/build.mjs
	WORK=$(abspath $(PERFKIT_WORK)) CODEC_MODULE=$(CURDIR)/bench/codec-adapter.mjs CLI=0 QJS=$(if $(BENCH_ANCHORS_QJS),1,0) \
	  ONLY='^(scan-byte|js-byteloop|expat-whole|expat-4k|libwbxml-sax|libwbxml-tree|htmlparser2|saxes|txml|module:.*)$$' \
	  bash $(PERFKIT)/bench-anchors.sh > $(PERFKIT_WORK)/perfkit-report.md
	$(BENCH_DRIVER) anchors --work $(PERFKIT_WORK) --adapter $(CURDIR)/bench/codec-adapter.mjs --out $(BENCH_D)/anchors

bench-footprint: $(BENCH_D)/.bundles
	@$(MAKE) --no-print-directory -j$(QJS_JOBS) $(QJS_HOST)/omadm $(QJS_GEN)/omadm_bc.c $(foreach a,$(XARCHS),$(QJS_D)/$(a)/omadm $(QJS_D)/$(a)/qjs)
	$(BENCH_DRIVER) footprint --out $(BENCH_D)

bench-report:
	@$(BENCH_DRIVER) report --dir $(BENCH_D)

# ---------------------------------------------------------------- smoke (make test)
# Cheap when the QuickJS test prerequisites exist (they are in TEST_DEPS already): two bundles, one
# static link, the smoke corpus (about 2 s). Ordered after qjs-test-deps (its sub-make builds the same
# libquickjs.a and sysroot), so `make -j test` never builds them twice at once.
BENCH_SMOKE_ARCH := aarch64
bench-smoke-deps: $(filter qjs-test-deps,$(TEST_DEPS))
	@$(MAKE) --no-print-directory -j$(QJS_JOBS) $(BENCH_D)/.bundles $(BENCH_D)/$(BENCH_SMOKE_ARCH)/omadm-bench \
	  $(B)/qemu/libinsncount.so $(BENCH_D)/corpus-smoke/manifest.json $(B)/native/host/dm_native.node
TEST_DEPS += bench-smoke-deps

bench-smoke: bench-smoke-deps
	$(BENCH_DRIVER) smoke --arch $(BENCH_SMOKE_ARCH) --corpus $(BENCH_D)/corpus-smoke --out $(BENCH_D)/smoke
