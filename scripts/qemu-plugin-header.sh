#!/usr/bin/env bash
# Extracts include/qemu/qemu-plugin.h from Debian's qemu source package into DIR (never vendored;
# shared/toolchain.md 5.2 + 6.2). Uses a private deb-src list and private apt state under DIR, so the
# system's apt configuration is untouched. The header's plugin API version must match the installed
# qemu-user (bookworm: 7.2); the orig tarball is shared by every 7.2+dfsg Debian revision.
#   scripts/qemu-plugin-header.sh DIR      → DIR/qemu-plugin.h
set -euo pipefail
dir=$1
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/apt/parts" "$dir/src"
dir=$(cd "$dir" && pwd)
printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  > "$dir/apt/parts/src.sources"
O=(-oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts="$dir/apt/parts" -oDir::State::Lists="$dir/apt/lists"
   -oDir::Cache="$dir/apt/cache" -oAPT::Sandbox::User=root)
apt-get -qq "${O[@]}" update || echo "[qemu-plugin-header] WARNING: deb-src index update partly failed, continuing" >&2
(cd "$dir/src" && apt-get -qq "${O[@]}" source --download-only qemu)
orig=$(ls "$dir"/src/qemu_*.orig.tar.* | head -1)
tar -xf "$orig" -C "$dir/src" --wildcards '*/include/qemu/qemu-plugin.h'
cp "$(find "$dir/src" -name qemu-plugin.h -path '*include/qemu/*' | head -1)" "$dir/qemu-plugin.h"
# keep only the header: the tarballs (~25 MB) are not needed any more
rm -rf "$dir/src" "$dir/apt/cache/archives"/*.deb
echo "[qemu-plugin-header] $(grep -m1 'QEMU_PLUGIN_VERSION' "$dir/qemu-plugin.h" | tr -s ' ') from $(basename "$orig")"
