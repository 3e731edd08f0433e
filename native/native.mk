# native/native.mk — the native core (native/core, without tls/), its N-API addon, the modem simulator
# and the C unit tests. Included by the top Makefile (B := build, NODE); every output is under $(B)/native.
#
# Targets
#   native        host addon $(B)/native/host/dm_native.node (node-gyp, --nodedir=$(NODE_DIR)),
#                 the modem simulator $(B)/native/host/modem-sim, the C unit tests $(B)/native/test/*
#                 (ASan + UBSan)
#   native-test   builds and runs the C unit tests (test/native/native-c.test.ts runs them too)
#   native-cross  the addon for every cross arch, $(B)/native/<arch>/dm_native.node (cross gcc against
#                 npm node-api-headers; uv.h from $(NODE_DIR)/include/node), plus static C unit test
#                 binaries $(B)/native/<arch>/test_* that test/native/cross.test.ts runs under QEMU
# Variables
#   NODE_DIR=/usr   where include/node (node headers with uv.h) lives; node-gyp gets --nodedir=$(NODE_DIR)
#   NODE_GYP=path   node-gyp.js to use (default: the copy bundled with npm); empty → plain gcc
#   NATIVE_CC=gcc   C compiler that links the host addon (gyp would use g++)
#   NATIVE_ARCHS    cross archs (default: XARCHS of target/cross/arch.mk, else aarch64 armhf)

-include target/cross/arch.mk
NATIVE_ARCHS ?= $(or $(XARCHS),aarch64 armhf)
NATIVE_CROSS_aarch64 = $(if $(XARCH_CROSS_aarch64),$(call xarch_cross,aarch64),aarch64-linux-gnu-)
NATIVE_CROSS_armhf = $(if $(XARCH_CROSS_armhf),$(call xarch_cross,armhf),arm-linux-gnueabihf-)

NATIVE_B := $(B)/native
NODE_DIR ?= /usr
NODE_GYP ?= $(firstword $(wildcard $(dir $(realpath $(shell command -v npm 2>/dev/null)))../node_modules/node-gyp/bin/node-gyp.js))
NATIVE_NAPI_INC := node_modules/node-api-headers/include
# gyp links with $(CXX) by default; the addon is pure C, so link with the C compiler (no g++ needed).
# node-gyp runs its own make: MAKEFLAGS is dropped for it (node does not pass the jobserver fds on).
NATIVE_CC ?= gcc

NATIVE_CORE_SRCS := $(sort $(wildcard native/core/*.c))
NATIVE_CORE_HDRS := native/exports.h native/core/dm_native.h
NATIVE_WARN := -std=gnu11 -Wall -Wextra -Wno-missing-field-initializers
NATIVE_ASAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
NATIVE_TEST_NAMES := $(patsubst test/native/%.c,%,$(sort $(wildcard test/native/test_*.c)))
NATIVE_HOST_TESTS := $(addprefix $(NATIVE_B)/test/,$(NATIVE_TEST_NAMES))

.PHONY: native native-test native-cross

native: $(NATIVE_B)/host/dm_native.node $(NATIVE_B)/host/modem-sim $(NATIVE_HOST_TESTS)

# ---------------------------------------------------------------- host addon (node-gyp)
# binding.gyp is copied next to the build tree and given dm_root=<repo relative to it> so node-gyp's
# own build/ directory lands in $(B)/native/gyp (gyp's make generator wants relative source paths).
# gyp puts objects at <build>/<source path relative to binding.gyp>: with B outside the repository
# that would land in the source tree, so node-gyp is used only when $(B) is inside it.
NATIVE_GYP_ROOT := $(shell realpath -m --relative-to=$(NATIVE_B)/gyp $(CURDIR))
ifneq ($(and $(NODE_GYP),$(filter $(CURDIR)/%,$(abspath $(B)))),)
$(NATIVE_B)/gyp/build/Makefile: native/node/binding.gyp
	@mkdir -p $(NATIVE_B)/gyp
	cp $< $(NATIVE_B)/gyp/binding.gyp
	cd $(NATIVE_B)/gyp && $(NODE) $(NODE_GYP) configure --nodedir=$(NODE_DIR) --loglevel=warn -- -Ddm_root=$(NATIVE_GYP_ROOT)

$(NATIVE_B)/host/dm_native.node: $(NATIVE_B)/gyp/build/Makefile native/node/dm_napi.c $(NATIVE_CORE_SRCS) $(NATIVE_CORE_HDRS)
	@mkdir -p $(@D)
	@cd $(NATIVE_B)/gyp && env -u MAKEFLAGS -u MFLAGS LINK=$(NATIVE_CC) $(NODE) $(NODE_GYP) build --loglevel=warn >build.log 2>&1 || { cat build.log; exit 1; }
	@grep -i 'warning' $(NATIVE_B)/gyp/build.log || true
	cp $(NATIVE_B)/gyp/build/Release/dm_native.node $@
else
# Fallback without node-gyp: the same flags by hand (shared/toolchain.md §4.1), node's headers for uv.h.
$(NATIVE_B)/host/dm_native.node: native/node/dm_napi.c $(NATIVE_CORE_SRCS) $(NATIVE_CORE_HDRS)
	@mkdir -p $(@D)
	gcc -O2 -fPIC -shared $(NATIVE_WARN) -Inative -I$(NODE_DIR)/include/node -o $@ native/node/dm_napi.c $(NATIVE_CORE_SRCS)
endif

# ---------------------------------------------------------------- modem simulator (own code: an independent oracle)
$(NATIVE_B)/host/modem-sim: native/tools/modem-sim.c
	@mkdir -p $(@D)
	gcc -O2 -g $(NATIVE_WARN) -Werror -o $@ $<

# ---------------------------------------------------------------- C unit tests (ASan + UBSan)
$(NATIVE_B)/test/%: test/native/%.c test/native/dm_test.h $(NATIVE_CORE_SRCS) $(NATIVE_CORE_HDRS)
	@mkdir -p $(@D)
	gcc $(NATIVE_ASAN) $(NATIVE_WARN) -Werror -o $@ $< $(NATIVE_CORE_SRCS)

native-test: $(NATIVE_HOST_TESTS)
	@for t in $(NATIVE_HOST_TESTS); do echo "== $$t"; timeout 120 $$t || exit 1; done

# ---------------------------------------------------------------- cross: addon + static unit tests per arch
# The cross addon needs only napi_* symbols at run time (resolved from libnode) and uv_* (from the
# libuv node links); uv.h is architecture-independent C, taken after node-api-headers (-idirafter).
define NATIVE_ARCH_RULES
$(NATIVE_B)/$(1)/dm_native.node: native/node/dm_napi.c $(NATIVE_CORE_SRCS) $(NATIVE_CORE_HDRS)
	@mkdir -p $$(@D)
	$$(NATIVE_CROSS_$(1))gcc -O2 -fPIC -shared $(NATIVE_WARN) -Werror $(XARCH_CFLAGS_$(1)) -I$(NATIVE_NAPI_INC) -Inative \
	  -idirafter $(NODE_DIR)/include/node -o $$@ native/node/dm_napi.c $(NATIVE_CORE_SRCS)
$(NATIVE_B)/$(1)/%: test/native/%.c test/native/dm_test.h $(NATIVE_CORE_SRCS) $(NATIVE_CORE_HDRS)
	@mkdir -p $$(@D)
	$$(NATIVE_CROSS_$(1))gcc -O2 -g -static $(NATIVE_WARN) -Werror $(XARCH_CFLAGS_$(1)) -o $$@ $$< $(NATIVE_CORE_SRCS)
endef
$(foreach a,$(NATIVE_ARCHS),$(eval $(call NATIVE_ARCH_RULES,$(a))))

native-cross: setup $(foreach a,$(NATIVE_ARCHS),$(NATIVE_B)/$(a)/dm_native.node $(addprefix $(NATIVE_B)/$(a)/,$(NATIVE_TEST_NAMES)))

TEST_DEPS += native native-cross
