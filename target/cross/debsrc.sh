#!/usr/bin/env bash
# Downloads and unpacks a Debian (bookworm) source package's upstream tarball, with a private deb-src
# list and private apt state (the system's apt configuration is untouched; toolchain.md 5.2).
#   target/cross/debsrc.sh PACKAGE DIR      → DIR/<upstream tree>, path printed on stdout
set -euo pipefail
pkg=$1; dir=$2
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/apt/parts" "$dir/dl"
dir=$(cd "$dir" && pwd)
printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  > "$dir/apt/parts/src.sources"
O=(-oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts="$dir/apt/parts" -oDir::State::Lists="$dir/apt/lists"
   -oDir::Cache="$dir/apt/cache" -oAPT::Sandbox::User=root)
apt-get -qq "${O[@]}" update >&2 || echo "[debsrc] WARNING: deb-src index update partly failed, continuing" >&2
(cd "$dir/dl" && apt-get -qq "${O[@]}" source --download-only "$pkg" >&2)
orig=$(ls "$dir"/dl/"${pkg}"_*.orig.tar.* | head -1)
top=$(set +o pipefail; tar -tf "$orig" | head -1 | cut -d/ -f1)
rm -rf "${dir:?}/$top"
tar -xf "$orig" -C "$dir"
echo "[debsrc] $(basename "$orig") -> $dir/$top" >&2
echo "$dir/$top"
