#!/usr/bin/env bash
# Builds the slow, shared half of the VM image: everything that comes from Debian and npm.
#   Usage: build-base.sh OUT_DIR CACHE_DIR
# OUT_DIR must be empty; the caller renames it into place only when this script succeeds.
# Produces:
#   vmlinuz          the guest kernel (Debian cloud flavour, bzImage)
#   kernel.release   its release string, e.g. 6.1.0-56-cloud-amd64
#   modules/         its full module tree (the initramfs picks what it loads)
#   busybox          busybox-static, the initramfs' only userland
#   rootfs.ext4      Debian minbase + tools + Claude Code, attached read-only to every VM
#   packages.txt     what is inside rootfs.ext4, name and version
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=versions.env
source "$here/versions.env"

out="${1:?usage: build-base.sh OUT_DIR CACHE_DIR}"
cache="${2:?usage: build-base.sh OUT_DIR CACHE_DIR}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

need_root
need apt-get apt
need dpkg-deb dpkg
need debootstrap debootstrap
need mkfs.ext4 e2fsprogs
need chroot coreutils

work="$out/.work"
root="$work/root"
mkdir -p "$work/debs"

# debootstrap mounts proc/sys inside the target; a failure must not leave them mounted,
# or deleting the half-built folder would walk into the host's /proc.
unmount_target() {
  local m
  for m in $(awk -v r="$root" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}
trap unmount_target EXIT

# 1. Kernel and busybox: downloaded and unpacked, never installed on the host.
step "downloading $KERNEL_PACKAGE and busybox-static"
abi_package="$(apt-cache depends "$KERNEL_PACKAGE" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')"
[[ -n "$abi_package" ]] || die "apt does not know $KERNEL_PACKAGE: this recipe needs a Debian host with bookworm sources (run \`apt-get update\`)"
(cd "$work/debs" && apt-get download -q "$abi_package" busybox-static >/dev/null 2>&1) \
  || die "apt-get download $abi_package busybox-static failed: check network access to the Debian mirror, then \`apt-get update\`"
dpkg-deb -x "$work"/debs/linux-image-*.deb "$work/kernel"
dpkg-deb -x "$work"/debs/busybox-static_*.deb "$work/busybox"

release="$(ls "$work/kernel/lib/modules")"
[[ "$(wc -w <<<"$release")" -eq 1 ]] || die "expected one kernel release in $abi_package, found: $release"
cp "$work/kernel/boot/vmlinuz-$release" "$out/vmlinuz"
echo "$release" >"$out/kernel.release"
mkdir -p "$out/modules"
mv "$work/kernel/lib/modules/$release" "$out/modules/$release"
install -m 0755 "$work/busybox/bin/busybox" "$out/busybox"

# 2. Root filesystem: Debian minbase plus the tools Claude Code's Bash/Grep tools reach for.
step "debootstrap $DEBIAN_SUITE (minbase + $ROOTFS_PACKAGES); takes a minute or two"
debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" "$DEBIAN_SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed (full log above); check network access to $mirror"; }

step "adding user agent (1000:1000) and Claude Code $CLAUDE_CODE_VERSION"
# Claude Code refuses --dangerously-skip-permissions as root, so it runs as this user.
chroot "$root" groupadd --gid 1000 agent
chroot "$root" useradd --uid 1000 --gid 1000 --create-home --home-dir /home/agent --shell /bin/bash agent
claude="$("$here/fetch-claude-code.sh" "$cache")"
install -m 0755 "$claude" "$root/usr/local/bin/claude"

echo nanoclaw >"$root/etc/hostname"
# The guest reaches the host gateway by this name; there is no DNS (restricted user network).
cat >"$root/etc/hosts" <<'HOSTS'
127.0.0.1 localhost nanoclaw
10.0.2.100 gateway.nanoclaw
HOSTS
: >"$root/etc/resolv.conf"

chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$out/packages.txt"
# Lean image: nothing here is read at run time.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*

# 3. One ext4 image straight from the folder (no mount, no loop device). No journal: it is
# only ever mounted read-only; each VM writes to its own tmpfs overlay.
unmount_target
used_mb="$(du -sm "$root" | cut -f1)"
size_mb=$(((used_mb * 5 / 4 + 256 + 63) / 64 * 64))
step "mkfs.ext4 rootfs.ext4 (${used_mb} MB used, ${size_mb} MB image)"
truncate -s "${size_mb}M" "$out/rootfs.ext4"
mkfs.ext4 -q -F -L nanoclaw-root -O ^has_journal -m 0 -d "$root" "$out/rootfs.ext4"

rm -rf "$work"
step "base image ready: kernel $release, rootfs ${size_mb} MB"
