# target/quickjs/quickjs.mk — QuickJS runtime, the omadm C host, cross builds, sysroots, images and
# QEMU tooling. Included by the top Makefile (which defines B := build and NODE); all outputs go under $(B)/.
#
# Targets
#   qjs-host               host qjs + qjsc (x86_64) from the npm qjsc@0.3.0 sources (fetched with npm pack)
#   qjs-omadm-host         the omadm host for the build machine (for quick runs and C-level debugging)
#   cross   [ARCH=…]       static omadm host + static qjs for ARCH (aarch64 | armhf), then a footprint report
#   image   [ARCH=…]       install tree $(B)/image/ARCH/root and tarball $(B)/image/omadm-ARCH.tar.gz
#   sysroot [ARCH=…]       Debian arm64/armhf .debs (mbedtls + nodejs closure) unpacked in $(B)/sysroot/ARCH
#   footprint [ARCH=…]     sizes (binary, bytecode, bundle, minified bundle) and peak RSS under QEMU
#   qemu-test              builds what the QEMU tests need, then runs only test/qemu + test/quickjs
#   qemu-insns             the guest instruction-count plugin ($(B)/qemu/libinsncount.so); see scripts/qemu-insns.sh
#   tls-test-bin           the C unit test of native/core/tls (ASan + UBSan)
#   tls-wasm               mbedtls + the TLS glue for wasm32-wasi ($(B)/wasm/tls.wasm), the optional Node TLS engine
# Variables
#   ARCH=aarch64|armhf     target of cross/image/sysroot/footprint (default aarch64)
#   CROSS_COMPILE=prefix-  cross prefix for ARCH (kernel/U-Boot convention; default: Debian's cross gcc)
#   QJS_JOBS=2             parallel jobs used when `make test` builds the QuickJS prerequisites
#   QJS_STRIP=1            compile the application bytecode without debug info ("use strip"); 0 keeps it
include target/cross/arch.mk

ARCH ?= aarch64
NODE ?= node
QJS_PKG       := qjsc@0.3.0
# Pinned dist.integrity of qjsc@0.3.0 (npm checks it against the registry; we check it again locally).
QJS_INTEGRITY := sha512-a7+cU6/IVcZbIejffdt/wZVMX6LL2MDL3HQ9Zb5Gm23G9DvBMS/z9GHFxz39bAvp2PvMOM+ypSOAyokt2DdZ2w==
QJS_D     := $(B)/qjs
QJS_SRC   := $(QJS_D)/src
QJS_STAMP := $(QJS_SRC)/.stamp
QJS_HOST  := $(QJS_D)/host
QJS_GEN   := $(QJS_D)/gen
QJS_MODS  := quickjs libregexp libunicode cutils libbf quickjs-libc
# Upstream's defines; no LTO (it costs 20 s and buys nothing in size, toolchain.md 2b); -w: third-party code.
QJS_CFLAGS := -O2 -g0 -w -funsigned-char -D_GNU_SOURCE -DCONFIG_VERSION=\"2021-03-27\" -DCONFIG_BIGNUM
QJS_JOBS ?= 2
QJS_STRIP ?= 1
QJS_LIBS := -lm -ldl -lpthread
HOST_TRIPLET := $(shell gcc -print-multiarch 2>/dev/null)

# The omadm host: C host + dm_native shim + the native core (native/core/*.c, as it lands, and TLS).
DMQ_C_SRCS := target/quickjs/host.c native/quickjs/dm_qjs.c $(wildcard native/core/*.c) $(wildcard native/core/tls/*.c)
DMQ_C_HDRS := $(wildcard target/quickjs/*.h native/quickjs/*.h native/core/*.h native/core/tls/*.h native/*.h)
DMQ_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-cast-function-type \
              -D_GNU_SOURCE -I$(QJS_SRC) -Inative -Inative/core
MBEDTLS_LIBNAMES := libmbedtls.a libmbedx509.a libmbedcrypto.a
MBEDTLS_HOST_LIBS := $(addprefix /usr/lib/$(HOST_TRIPLET)/,$(MBEDTLS_LIBNAMES))

# TypeScript inputs of the QuickJS bundle (type-checked with the QuickJS globals, then bundled by scripts/build.mjs).
QJS_TS := $(shell find target/quickjs src -name '*.ts' 2>/dev/null)

.PHONY: qjs-pool-test qjs-host qjs-omadm-host cross image sysroot footprint qemu-test qemu-insns tls-test-bin tls-wasm qjs-test-deps qjs-check-arch

# ---------------------------------------------------------------- QuickJS sources (npm pack, never in git)
$(QJS_D)/qjsc-0.3.0.tgz:
	@mkdir -p $(@D)
	cd $(@D) && npm pack $(QJS_PKG) --silent --loglevel=error >/dev/null
	@got="sha512-$$(openssl dgst -sha512 -binary $@ | base64 -w0)"; \
	  [ "$$got" = "$(QJS_INTEGRITY)" ] || { echo "qjsc tgz integrity mismatch: $$got" >&2; rm -f $@; exit 1; }

$(QJS_STAMP): $(QJS_D)/qjsc-0.3.0.tgz
	rm -rf $(QJS_SRC) && mkdir -p $(QJS_SRC)
	tar xzf $< -C $(QJS_SRC) --strip-components=3 package/deps/quickjs_2021_03_27
	touch $@

# ---------------------------------------------------------------- host qjs / qjsc
$(QJS_HOST)/obj/%.o: $(QJS_STAMP)
	@mkdir -p $(@D)
	gcc $(QJS_CFLAGS) -DCONFIG_CC=\"gcc\" -DCONFIG_PREFIX=\"/usr/local\" -c -o $@ $(QJS_SRC)/$*.c

$(QJS_HOST)/libquickjs.a: $(QJS_MODS:%=$(QJS_HOST)/obj/%.o)
	rm -f $@ && ar rcs $@ $^

$(QJS_HOST)/qjsc: $(QJS_HOST)/obj/qjsc.o $(QJS_HOST)/libquickjs.a
	gcc -o $@ $^ $(QJS_LIBS)

# repl.c and qjscalc.c are bytecode: generated once by the host qjsc, compiled for every arch (P2:
# same sources and CONFIG_BIGNUM everywhere). Run from the source dir so module names are stable (P4).
$(QJS_GEN)/repl.c: $(QJS_HOST)/qjsc
	@mkdir -p $(@D)
	cd $(QJS_SRC) && $(abspath $<) -c -o $(abspath $@) -m repl.js
$(QJS_GEN)/qjscalc.c: $(QJS_HOST)/qjsc
	@mkdir -p $(@D)
	cd $(QJS_SRC) && $(abspath $<) -fbignum -c -o $(abspath $@) qjscalc.js

$(QJS_HOST)/gen/%.o: $(QJS_GEN)/%.c
	@mkdir -p $(@D)
	gcc $(QJS_CFLAGS) -I$(QJS_SRC) -c -o $@ $<

$(QJS_HOST)/qjs: $(QJS_HOST)/obj/qjs.o $(QJS_HOST)/gen/repl.o $(QJS_HOST)/gen/qjscalc.o $(QJS_HOST)/libquickjs.a
	gcc -rdynamic -o $@ $^ $(QJS_LIBS)

qjs-host: $(QJS_HOST)/qjs $(QJS_HOST)/qjsc

# ---------------------------------------------------------------- the application bundle and its bytecode
$(B)/dist/omadm-qjs.mjs: $(QJS_TS) target/quickjs/tsconfig.json scripts/build.mjs
	node_modules/.bin/tsc -p target/quickjs/tsconfig.json
	$(NODE) scripts/build.mjs

# Minified variant: only for the footprint report (the product bundle keeps names for readable stacks).
$(QJS_GEN)/omadm-qjs.min.mjs: $(B)/dist/omadm-qjs.mjs
	@mkdir -p $(@D)
	node_modules/.bin/esbuild target/quickjs/main.ts --bundle --format=esm --platform=neutral --target=es2022 \
	  --supported:class-static-blocks=false --supported:regexp-match-indices=false --supported:top-level-await=false \
	  --external:os --external:std --external:dm_native --minify --legal-comments=none --log-level=warning --outfile=$@

# The device binary embeds the split bundle build/dist/qjs/ (made with build/dist/omadm-qjs.mjs by
# scripts/build.mjs): the entry omadm-qjs.mjs plus the modules it loads with a dynamic import() and the
# chunks they share, compiled one by one by scripts/qjs-modules.mjs into dmq_app_bc[] (entry) and
# dmq_app_modules[] (read by the host's module loader on first import). Module names stored in the
# bytecode are the file names (qjsc runs inside the directory, P4).
# QJS_STRIP=1 (default) prefixes every module with the "use strip" directive: QuickJS then drops
# variable names, line tables and function source from the bytecode: -40 KB of bytecode and about
# -130 KB of loaded heap for the full client, at the price of stack traces without line numbers.
$(QJS_GEN)/omadm_bc.c: $(B)/dist/omadm-qjs.mjs $(QJS_HOST)/qjsc scripts/qjs-modules.mjs
	@mkdir -p $(@D)
	$(NODE) scripts/qjs-modules.mjs $(B)/dist/qjs $(QJS_HOST)/qjsc $(QJS_GEN)/app $@ $(QJS_STRIP)

$(QJS_HOST)/omadm: $(DMQ_C_SRCS) $(DMQ_C_HDRS) $(QJS_GEN)/omadm_bc.c $(QJS_HOST)/libquickjs.a
	gcc $(DMQ_CFLAGS) -o $@ $(DMQ_C_SRCS) $(QJS_GEN)/omadm_bc.c $(QJS_HOST)/libquickjs.a $(MBEDTLS_HOST_LIBS) $(QJS_LIBS)

qjs-omadm-host: $(QJS_HOST)/omadm $(QJS_HOST)/qjs

# ---------------------------------------------------------------- per-arch: sysroot, libquickjs, qjs, omadm
# $(1) = aarch64 | armhf
define QJS_ARCH_RULES
QJS_CC_$(1) = $$(call xarch_cross,$(1))gcc
QJS_SYSROOT_$(1) := $(B)/sysroot/$(1)
QJS_MBEDTLS_$(1) = $$(addprefix $(B)/sysroot/$(1)/usr/lib/$(XARCH_TRIPLET_$(1))/,$(MBEDTLS_LIBNAMES))

$(B)/sysroot/$(1)/.stamp-mbedtls:
	target/cross/sysroot.sh $(XARCH_DEB_$(1)) $(B)/apt/$(1) $(B)/sysroot/$(1) mbedtls
	touch $$@
# nodejs closure (24 MB of .debs): same apt state, so serialised after the mbedtls set.
$(B)/sysroot/$(1)/.stamp-node: | $(B)/sysroot/$(1)/.stamp-mbedtls
	target/cross/sysroot.sh $(XARCH_DEB_$(1)) $(B)/apt/$(1) $(B)/sysroot/$(1) node
	touch $$@

$(QJS_D)/$(1)/obj/%.o: $(QJS_STAMP)
	@mkdir -p $$(@D)
	$$(QJS_CC_$(1)) $(QJS_CFLAGS) $(XARCH_CFLAGS_$(1)) -c -o $$@ $(QJS_SRC)/$$*.c
$(QJS_D)/$(1)/gen/%.o: $(QJS_GEN)/%.c
	@mkdir -p $$(@D)
	$$(QJS_CC_$(1)) $(QJS_CFLAGS) $(XARCH_CFLAGS_$(1)) -I$(QJS_SRC) -c -o $$@ $$<
$(QJS_D)/$(1)/libquickjs.a: $(QJS_MODS:%=$(QJS_D)/$(1)/obj/%.o)
	rm -f $$@ && $$(call xarch_cross,$(1))ar rcs $$@ $$^
# Static: runs under qemu without -L and on any rootfs. The dlopen/getaddrinfo static-link warnings are
# expected (P8: the link log is shown only when the link fails).
$(QJS_D)/$(1)/qjs: $(QJS_D)/$(1)/obj/qjs.o $(QJS_D)/$(1)/gen/repl.o $(QJS_D)/$(1)/gen/qjscalc.o $(QJS_D)/$(1)/libquickjs.a
	$$(QJS_CC_$(1)) -static -o $$@ $$^ $(QJS_LIBS) 2>$$@.ldlog || { cat $$@.ldlog; exit 1; }
$(QJS_D)/$(1)/omadm: $(DMQ_C_SRCS) $(DMQ_C_HDRS) $(QJS_GEN)/omadm_bc.c $(QJS_D)/$(1)/libquickjs.a $(B)/sysroot/$(1)/.stamp-mbedtls
	$$(QJS_CC_$(1)) $(DMQ_CFLAGS) $(XARCH_CFLAGS_$(1)) -I$(B)/sysroot/$(1)/usr/include -static -o $$@.full \
	  $(DMQ_C_SRCS) $(QJS_GEN)/omadm_bc.c $(QJS_D)/$(1)/libquickjs.a $$(QJS_MBEDTLS_$(1)) $(QJS_LIBS) 2>$$@.ldlog || { cat $$@.ldlog; exit 1; }
	$$(call xarch_cross,$(1))strip -o $$@ $$@.full
endef
$(foreach a,$(XARCHS),$(eval $(call QJS_ARCH_RULES,$(a))))

qjs-check-arch:
	@case "$(ARCH)" in aarch64|armhf) ;; *) echo "ARCH must be one of: $(XARCHS) (got '$(ARCH)')" >&2; exit 2;; esac

cross: qjs-check-arch
	@$(MAKE) --no-print-directory -j$(QJS_JOBS) $(QJS_D)/$(ARCH)/omadm $(QJS_D)/$(ARCH)/qjs
	@$(MAKE) --no-print-directory footprint ARCH=$(ARCH)

sysroot: qjs-check-arch
	@$(MAKE) --no-print-directory $(B)/sysroot/$(ARCH)/.stamp-mbedtls $(B)/sysroot/$(ARCH)/.stamp-node

footprint: qjs-check-arch $(QJS_D)/$(ARCH)/omadm $(QJS_GEN)/omadm-qjs.min.mjs
	@target/quickjs/footprint.sh $(ARCH) $(QJS_D)/$(ARCH)/omadm $(QJS_GEN)/omadm_bc.c $(B)/dist/omadm-qjs.mjs $(QJS_GEN)/omadm-qjs.min.mjs $(XARCH_QEMU_$(ARCH))

image: qjs-check-arch
	@$(MAKE) --no-print-directory -j$(QJS_JOBS) $(QJS_D)/$(ARCH)/omadm
	target/quickjs/image.sh $(ARCH) $(QJS_D)/$(ARCH)/omadm $(B)/image $(QJS_SRC) $(B)/sysroot/$(ARCH)

# ---------------------------------------------------------------- QEMU instruction counting (toolchain.md 6.2)
# qemu-plugin.h comes from Debian's qemu source package at build time (never vendored).
$(B)/qemu/qemu-plugin.h:
	scripts/qemu-plugin-header.sh $(B)/qemu
$(B)/qemu/libinsncount.so: target/cross/qemu-insncount.c $(B)/qemu/qemu-plugin.h
	gcc -O2 -Wall -Wextra -shared -fPIC -I$(B)/qemu -o $@ $<
qemu-insns: $(B)/qemu/libinsncount.so

# ---------------------------------------------------------------- mbedtls → wasm32-wasi for Node (optional)
# Debian's mbedtls source (target/cross/debsrc.sh) built with Debian's clang-14 + wasi-libc
# (apt: clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32), config overlay wasm_config.h; the
# glue native/core/tls/wasm/tls_wasm.c; Node side native/core/tls/wasm/WasmTls.ts.
WASM_D := $(B)/wasm
CLANG_WASM ?= clang-14
WASM_CFLAGS := --target=wasm32-wasi -O2 -DMBEDTLS_USER_CONFIG_FILE='"wasm_config.h"' -Inative/core/tls/wasm
HAVE_WASM_CC := $(and $(shell command -v $(CLANG_WASM) 2>/dev/null),$(wildcard /usr/lib/wasm32-wasi/libc.a))
$(WASM_D)/src/.dir:
	@mkdir -p $(@D)
	target/cross/debsrc.sh mbedtls $(WASM_D)/src > $@.tmp && mv $@.tmp $@
$(WASM_D)/libmbedtls.a: $(WASM_D)/src/.dir native/core/tls/wasm/wasm_config.h
	rm -rf $(WASM_D)/obj && mkdir -p $(WASM_D)/obj
	S=$$(cat $<); cd $(WASM_D)/obj && ls $$S/library/*.c | xargs -P$(QJS_JOBS) -n 12 \
	  $(CLANG_WASM) $(WASM_CFLAGS) -I$(abspath native/core/tls/wasm) -I$$S/include -c
	rm -f $@ && llvm-ar-14 rcs $@ $(WASM_D)/obj/*.o
$(WASM_D)/tls.wasm: native/core/tls/wasm/tls_wasm.c native/core/tls/dm_tls.h $(WASM_D)/libmbedtls.a
	$(CLANG_WASM) $(WASM_CFLAGS) -mexec-model=reactor -Wall -Wextra -I$$(cat $(WASM_D)/src/.dir)/include -Inative/core \
	  -o $@ $< $(WASM_D)/libmbedtls.a
tls-wasm: $(WASM_D)/tls.wasm

# ---------------------------------------------------------------- native/core/tls C unit test (sanitizers)
$(B)/tls/tls_test: test/native/tls_test.c $(wildcard native/core/tls/*.c native/core/tls/*.h)
	@mkdir -p $(@D)
	gcc -O1 -g -std=gnu11 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-omit-frame-pointer -D_GNU_SOURCE \
	  -Inative/core -o $@ test/native/tls_test.c $(wildcard native/core/tls/*.c) -lmbedtls -lmbedx509 -lmbedcrypto
tls-test-bin: $(B)/tls/tls_test

# ---------------------------------------------------------------- the heap's small-block pool (qjs_pool.h)
# Unit test: ASan + UBSan on the build machine, static for each cross arch (run under QEMU: 64- and 32-bit
# page headers). $(QJS_D)/asan/omadm is the omadm host with host.c, dm_native and the native core under
# ASan + UBSan (QuickJS itself uninstrumented: ASan still sees its malloc blocks, and the pool poisons
# its free blocks), for test/quickjs/pool.test.ts.
QJS_POOL_TEST := target/quickjs/tests/pool_test.c
QJS_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer
$(QJS_D)/pooltest/pool_test: $(QJS_POOL_TEST) target/quickjs/qjs_pool.h
	@mkdir -p $(@D)
	gcc -O1 -g -std=gnu11 -Wall -Wextra -Werror $(QJS_SAN) -D_GNU_SOURCE -Itarget/quickjs -o $@ $<
$(QJS_D)/pooltest/pool_test-%: $(QJS_POOL_TEST) target/quickjs/qjs_pool.h
	@mkdir -p $(@D)
	$(call xarch_cross,$*)gcc -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -static -Itarget/quickjs -o $@ $<
$(QJS_D)/asan/omadm: $(DMQ_C_SRCS) $(DMQ_C_HDRS) $(QJS_GEN)/omadm_bc.c $(QJS_HOST)/libquickjs.a
	@mkdir -p $(@D)
	gcc $(DMQ_CFLAGS) -O1 $(QJS_SAN) -o $@ $(DMQ_C_SRCS) $(QJS_GEN)/omadm_bc.c $(QJS_HOST)/libquickjs.a $(MBEDTLS_HOST_LIBS) $(QJS_LIBS)
QJS_POOL_FILES := $(QJS_D)/pooltest/pool_test $(QJS_D)/asan/omadm $(foreach a,$(XARCHS),$(QJS_D)/pooltest/pool_test-$(a))
qjs-pool-test: $(QJS_POOL_FILES)

# ---------------------------------------------------------------- what the node-driven tests need
# test/native/tls*, test/qemu/*, test/quickjs/*: host qjs + omadm, both cross qjs + omadm, the node
# sysroots (Debian node under QEMU; also used by test/native/cross.test.ts), the insn-count plugin.
# Everything is incremental: a second `make test` only re-links what changed.
QJS_TEST_FILES := $(QJS_HOST)/qjs $(QJS_HOST)/omadm $(B)/tls/tls_test $(B)/qemu/libinsncount.so \
  $(foreach a,$(XARCHS),$(QJS_D)/$(a)/qjs $(QJS_D)/$(a)/omadm $(B)/sysroot/$(a)/.stamp-node) $(QJS_POOL_FILES) \
  $(if $(HAVE_WASM_CC),$(WASM_D)/tls.wasm)
qjs-test-deps:
	@$(MAKE) --no-print-directory -j$(QJS_JOBS) $(QJS_TEST_FILES)
TEST_DEPS += qjs-test-deps

qemu-test: qjs-test-deps
	@$(NODE) scripts/build.mjs tests test/qemu/
	@$(NODE) scripts/build.mjs tests test/quickjs/
	@$(NODE) --test $(B)/test/qemu/ $(B)/test/quickjs/
