#!/usr/bin/env bash
# Makes the install tree an OEM drops into its rootfs, and a tarball of it (`make image ARCH=…`).
#   target/quickjs/image.sh ARCH OMADM_BINARY IMAGE_DIR QJS_SRC SYSROOT
# Output: IMAGE_DIR/ARCH/root/… and IMAGE_DIR/omadm-ARCH.tar.gz (root-owned, fixed mtime, sorted:
# reproducible for the same binary).
set -euo pipefail
arch=$1; bin=$2; out=$3; qjs_src=$4; sysroot=$5
here=$(cd "$(dirname "$0")" && pwd)
root=$out/$arch/root
rm -rf "$out/$arch" && mkdir -p "$root"
install -D -m 0755 "$bin" "$root/usr/bin/omadm"
install -D -m 0644 "$here/image/omadm.json" "$root/etc/omadm/omadm.json"
install -D -m 0755 "$here/image/omadm.init" "$root/etc/init.d/S50omadm"
install -D -m 0644 "$here/image/omadm.service" "$root/usr/lib/systemd/system/omadm.service"
install -d -m 0700 "$root/var/lib/omadm"
doc=$root/usr/share/doc/omadm
install -d "$doc"
cat > "$doc/README" <<'TXT'
omadm — OMA DM 1.2 device-management client (QuickJS build)

/usr/bin/omadm                  static binary: QuickJS 2021-03-27 + the client bytecode + mbedtls
/etc/omadm/omadm.json           device configuration (src/agent/config.ts: devInfo, devDetail, the
                                factory DM account, tls.ca, limits, log, ui) plus "memoryLimit"
                                (JS heap limit in bytes); the values shipped are placeholders
/etc/omadm/ca.pem               PEM bundle of the CA(s) that signed the DM server certificate:
                                NOT shipped, the OEM installs it (TLS connections fail with
                                ECAFILE until it exists; verification is never skipped)
/var/lib/omadm/                 persistent state (tree, FUMO state, pending alerts), mode 0700
/etc/init.d/S50omadm            SysV/BusyBox init example
/usr/lib/systemd/system/omadm.service   systemd unit example

Check a board:  omadm selftest --storage /tmp/omadm-selftest
One session:    omadm run --config /etc/omadm/omadm.json [--transcript]
TXT
cp "$qjs_src/LICENSE" "$doc/LICENSE.quickjs"
if [ -f "$sysroot/usr/share/doc/libmbedtls-dev/copyright" ]; then cp "$sysroot/usr/share/doc/libmbedtls-dev/copyright" "$doc/copyright.mbedtls"; fi
(cd "$root" && find . -type f ! -name MANIFEST -print0 | sort -z | xargs -0 sha256sum) > "$doc/MANIFEST"
tarball=$out/omadm-$arch.tar.gz
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf - . | gzip -n -9 > "$tarball"
echo "[image] $root"
echo "[image] $tarball ($(stat -c %s "$tarball") bytes)"
(cd "$root" && find . -type f -printf '%M %8s %p\n' | sort -k3)
