#!/usr/bin/env bash
# Trims a freshly debootstrapped Debian root file system before `docker import`.
# Run on the host by scripts/build-images.sh as: setup-rootfs.sh ROOTFS_DIR MIRROR_URI SUITE
# (no chroot needed: it only writes config files and deletes caches).
# Changing this file changes the base image's content hash, so the images are rebuilt.
set -euo pipefail

rootfs=$1
mirror=$2
suite=$3

[ -x "$rootfs/usr/bin/apt-get" ] || { echo "setup-rootfs: $rootfs is not a Debian root" >&2; exit 1; }

# apt: sources of the same mirror the host uses (plain http: the host-only TLS
# certificate is not trusted inside containers), no recommends, no translations.
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
EOF
cat >"$rootfs/etc/apt/apt.conf.d/90tsuen" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::Retries "3";
Dpkg::Use-Pty "0";
EOF
# Like the official debian images: never keep downloaded .debs.
cat >"$rootfs/etc/apt/apt.conf.d/91tsuen-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
# Services must not start during image builds.
cat >"$rootfs/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
exit 101
EOF
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

# Host-specific files: Docker provides them at run time.
: >"$rootfs/etc/hostname"
: >"$rootfs/etc/resolv.conf"
rm -f "$rootfs/etc/machine-id" "$rootfs/var/lib/dbus/machine-id"
: >"$rootfs/etc/machine-id"

# Caches and logs debootstrap leaves behind.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
       "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log \
       "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/debootstrap
