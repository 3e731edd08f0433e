#!/usr/bin/env bash
# Builds a foreign-architecture sysroot from Debian .debs, without touching the system's apt state.
#   target/cross/sysroot.sh DEBARCH APTDIR SYSROOT SET
#     DEBARCH  arm64 | armhf
#     APTDIR   private apt state (lists, cache, downloaded .debs), e.g. build/apt/aarch64
#     SYSROOT  where the .debs are unpacked (dpkg -x), e.g. build/sysroot/aarch64
#     SET      mbedtls: libmbedtls-dev + runtime libs (static .a files for cross links)
#              node:    nodejs and its whole Depends closure (to run Debian's node under qemu -L)
# Writes SYSROOT/.debs-SET.txt with the exact package versions (CI logs show them: the mirror can
# serve different security versions per architecture, see shared/toolchain.md P10).
set -euo pipefail
debarch=$1; aptdir=$2; sysroot=$3; set=$4
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/debs-$set" "$sysroot"
aptdir=$(cd "$aptdir" && pwd); sysroot=$(cd "$sysroot" && pwd)
# Private Dir::State::Lists AND Dir::Cache (P11); sandbox user root so downloads into root-owned dirs work.
O=(-oAPT::Architecture="$debarch" -oAPT::Architectures="$debarch" -oDir::State::Lists="$aptdir/lists"
   -oDir::Cache="$aptdir/cache" -oAPT::Sandbox::User=root)
# One index update per APTDIR and day is enough; a partly stale mirror index is not fatal (P10).
if [ -z "$(find "$aptdir/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  apt-get -qq "${O[@]}" update || echo "[sysroot] WARNING: apt index for $debarch partly stale, continuing with what was fetched" >&2
fi
case $set in
  mbedtls) pkgs="libmbedtls-dev libmbedtls14 libmbedx509-1 libmbedcrypto7" ;;
  node)
    pkgs=$(apt-cache "${O[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
             --no-replaces --no-enhances nodejs | grep -v '^ ' | grep -v '^<' | sort -u | tr '\n' ' ') ;;
  *) echo "sysroot.sh: unknown set '$set'" >&2; exit 2 ;;
esac
(cd "$aptdir/debs-$set" && rm -f ./*.deb && apt-get -qq "${O[@]}" download $pkgs)
: > "$sysroot/.debs-$set.txt"
for d in "$aptdir/debs-$set"/*.deb; do
  dpkg -x "$d" "$sysroot"
  basename "$d" >> "$sysroot/.debs-$set.txt"
done
echo "[sysroot] $debarch $set: $(wc -l < "$sysroot/.debs-$set.txt") debs -> $sysroot ($(tr '\n' ' ' < "$sysroot/.debs-$set.txt"))"
