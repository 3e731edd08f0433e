#!/usr/bin/env bash
# Installs what the build and the tests need, only when missing (idempotent, quick when done).
#   scripts/setup.sh            Debian packages + npm ci
# Debian packages: oracles (libwbxml2-utils, tshark), cross toolchains and QEMU, mbedtls, openssl.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(
  libwbxml2-utils:xml2wbxml tshark:tshark qemu-user:qemu-aarch64
  gcc-aarch64-linux-gnu:aarch64-linux-gnu-gcc gcc-arm-linux-gnueabihf:arm-linux-gnueabihf-gcc
  libc6-dev-arm64-cross:/usr/aarch64-linux-gnu/include/stdio.h libc6-dev-armhf-cross:/usr/arm-linux-gnueabihf/include/stdio.h
  libmbedtls-dev:/usr/include/mbedtls/ssl.h libwbxml2-dev:/usr/include/libwbxml-1.0/wbxml/wbxml.h
  libexpat1-dev:/usr/include/expat.h openssl:openssl python3:python3 valgrind:valgrind xz-utils:xz
  # mbedtls for wasm32-wasi (the optional Node TLS engine, `make tls-wasm`)
  clang-14:clang-14 lld-14:wasm-ld-14 llvm-14:llvm-ar-14 wasi-libc:/usr/lib/wasm32-wasi/libc.a
  libclang-rt-14-dev-wasm32:/usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a
  # libFuzzer for the native fuzz harnesses (native/fuzz)
  libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
)
need=()
for entry in "${PKGS[@]}"; do
  pkg=${entry%%:*}; probe=${entry#*:}
  if [[ $probe == /* ]]; then [ -e "$probe" ] || need+=("$pkg"); else command -v "$probe" >/dev/null 2>&1 || need+=("$pkg"); fi
done
if [ ${#need[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${need[*]}"
  if [ "$(id -u)" != 0 ]; then echo "[setup] need root to install: ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || echo "[setup] WARNING: apt-get update partly failed, continuing"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# npm: reinstall only when the lock changed since the last install
if [ ! -f node_modules/.stamp ] || [ package-lock.json -nt node_modules/.stamp ]; then
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.stamp
fi
