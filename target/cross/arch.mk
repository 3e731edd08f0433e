# Arch profiles for cross builds (included by target/quickjs/quickjs.mk).
# One row per supported ARCH: cross prefix (Debian cross gcc), Debian architecture name (sysroot .debs),
# QEMU user-mode binary, extra compiler flags. Debian's defaults already target the distribution
# baselines (aarch64: armv8-a; armhf: armv7-a + VFPv3-D16 + Thumb-2, hard float), which is what we want.
XARCHS := aarch64 armhf

XARCH_CROSS_aarch64  := aarch64-linux-gnu-
XARCH_DEB_aarch64    := arm64
XARCH_QEMU_aarch64   := qemu-aarch64
XARCH_TRIPLET_aarch64:= aarch64-linux-gnu
XARCH_CFLAGS_aarch64 :=

XARCH_CROSS_armhf    := arm-linux-gnueabihf-
XARCH_DEB_armhf      := armhf
XARCH_QEMU_armhf     := qemu-arm
XARCH_TRIPLET_armhf  := arm-linux-gnueabihf
XARCH_CFLAGS_armhf   :=

# Cross prefix for arch $(1): `CROSS_COMPILE=` (kernel/U-Boot convention) overrides it for the selected ARCH only.
xarch_cross = $(if $(and $(CROSS_COMPILE),$(filter $(1),$(ARCH))),$(CROSS_COMPILE),$(XARCH_CROSS_$(1)))
