#!/usr/bin/env bash
# Runs an ARM program under QEMU with the instruction-count plugin and prints "guest_insns N" on
# stdout (after the program's own output). Builds the plugin first if needed (make qemu-insns).
#   scripts/qemu-insns.sh [--atomic] [--timeout S] ARCH PROGRAM [ARGS...]
#     ARCH      aarch64 | armhf (qemu-aarch64 / qemu-arm); dynamic programs get -L build/sysroot/ARCH
#     --atomic  counting mode for multi-threaded guests (node); default: inline (exact, single thread)
# Exit status: the program's. Counts are deterministic for single-threaded guests built from the same
# binary (toolchain.md 6.2): record the binary's sha256 next to each figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=""; tmo=600
while [ $# -gt 0 ]; do
  case $1 in
    --atomic) mode=",mode=atomic"; shift ;;
    --timeout) tmo=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "usage: $0 [--atomic] [--timeout S] aarch64|armhf PROGRAM [ARGS...]" >&2; exit 2; }
arch=$1; shift
case $arch in aarch64) qemu=qemu-aarch64 ;; armhf) qemu=qemu-arm ;; *) echo "unknown ARCH $arch" >&2; exit 2 ;; esac
plugin=$root/build/qemu/libinsncount.so
[ -f "$plugin" ] || make -s -C "$root" --no-print-directory qemu-insns >&2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
timeout "$tmo" "$qemu" -L "$root/build/sysroot/$arch" -plugin "$plugin,out=$out$mode" "$@"
rc=$?
set -e
cat "$out"
exit $rc
