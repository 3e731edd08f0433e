#!/usr/bin/env bash
# Footprint report of one cross build (printed by `make cross` / `make footprint`):
#   target/quickjs/footprint.sh ARCH OMADM BC_C BUNDLE BUNDLE_MIN QEMU
# static binary size, its sections, the embedded bytecode, the bundle (as built and minified), and the
# peak RSS + JS heap high-water of `omadm selftest` under QEMU (the RSS includes the emulator itself).
set -euo pipefail
arch=$1; bin=$2; bc_c=$3; bundle=$4; bundle_min=$5; qemu=$6
size_of() { stat -c %s "$1"; }
bc=$(sed -n 's/.*dmq_app_bc_total_size = \([0-9]*\);.*/\1/p' "$bc_c")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/time -f 'maxrss_kb %M' -o "$tmp/time" timeout 120 "$qemu" "$bin" --mem-report selftest --storage "$tmp/st" >"$tmp/out" 2>"$tmp/err" || true
rss=$(sed -n 's/maxrss_kb //p' "$tmp/time")
peak=$(sed -n 's/.*high-water \([0-9]*\) B.*/\1/p' "$tmp/err")
result=$(grep '^selftest:' "$tmp/out" || echo 'selftest: did not finish')
printf 'footprint %s (%s)\n' "$arch" "$(basename "$bin")"
printf '  %-44s %10s B\n' 'omadm static binary, stripped' "$(size_of "$bin")"
printf '  %-44s %10s B\n' '  embedded bytecode (qjsc, all modules)' "$bc"
printf '  %-44s %10s B\n' 'bundle build/dist/omadm-qjs.mjs' "$(size_of "$bundle")"
printf '  %-44s %10s B\n' 'bundle minified (esbuild --minify)' "$(size_of "$bundle_min")"
printf '  %-44s %10s KiB\n' "peak RSS of selftest under $qemu" "${rss:-?}"
printf '  %-44s %10s B\n' 'JS heap high-water of selftest' "${peak:-?}"
printf '  %s\n' "$result"
