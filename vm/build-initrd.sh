#!/usr/bin/env bash
# Builds the fast, per-change half of the VM image: the initramfs. Offline, seconds.
#   Usage: build-initrd.sh OUT_DIR BASE_DIR
# BASE_DIR is a finished build-base.sh output (kernel modules and busybox come from there).
# OUT_DIR must be empty; the caller renames it into place only when this script succeeds.
# Produces initrd.img (cpio newc, gzip) holding:
#   /init                 stage 1 (vm/guest/init), busybox sh
#   /stage2               stage 2 (vm/guest/stage2), copied into the overlay root
#   /nanoclaw-guest       the guest agent (NativeAOT), copied into the overlay root
#   /lib/modules/*.ko     the virtio drivers, vsock and overlayfs, plus modules.load in load order
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

out="${1:?usage: build-initrd.sh OUT_DIR BASE_DIR}"
base="${2:?usage: build-initrd.sh OUT_DIR BASE_DIR}"

# Root only for the /dev/console node: without it the kernel gives init no console.
[[ $EUID -eq 0 ]] || die "building the initramfs needs root (it creates /dev/console): run \`sudo ./nanoclaw setup\`"
need cpio cpio
need gzip gzip
need dotnet "the .NET 10 SDK (see https://dot.net)"

# What stage 1 loads; their dependencies are found and ordered below.
# vsock + its virtio transport carry the control channel under Firecracker (no virtio-serial there).
wanted_modules=(virtio_mmio virtio_blk virtio_net virtio_console vsock vmw_vsock_virtio_transport_common
  vmw_vsock_virtio_transport overlay)

release="$(cat "$base/kernel.release")"
modules_dir="$base/modules/$release"
work="$out/.work"
stage="$work/root"
mkdir -p "$stage/bin" "$stage/dev" "$stage/lib/modules"

step "publishing the guest agent (NativeAOT)"
# No build servers: a lingering compiler server would hold our stdout open.
dotnet publish "$repo/src/NanoClaw.Guest/NanoClaw.Guest.csproj" -c Release -o "$work/guest" \
  --disable-build-servers -nodeReuse:false -v:q -nologo >"$work/publish.log" 2>&1 \
  || { tail -n 30 "$work/publish.log" >&2; die "dotnet publish of src/NanoClaw.Guest failed (log above)"; }
[[ -x "$work/guest/nanoclaw-guest" ]] || die "dotnet publish produced no nanoclaw-guest binary in $work/guest"

step "collecting kernel modules for $release"
declare -A module_path=() loaded=()
while IFS= read -r -d '' ko; do
  name="$(basename "$ko" .ko)"
  module_path["${name//-/_}"]="$ko"
done < <(find "$modules_dir/kernel" -name '*.ko' -print0)

# Depth-first: a module is appended after everything it depends on (modinfo's "depends=",
# read straight from the .modinfo section so the host needs no kmod).
add_module() {
  local name="$1" dep deps
  [[ -n "${loaded[$name]:-}" ]] && return 0
  [[ -n "${module_path[$name]:-}" ]] || die "kernel $release has no module $name (built in? then drop it from wanted_modules)"
  deps="$(tr '\0' '\n' <"${module_path[$name]}" | sed -n 's/^depends=//p' | head -n1)"
  for dep in ${deps//,/ }; do add_module "${dep//-/_}"; done
  loaded[$name]=1
  cp "${module_path[$name]}" "$stage/lib/modules/$name.ko"
  echo "$name" >>"$stage/lib/modules/modules.load"
}
for m in "${wanted_modules[@]}"; do add_module "$m"; done

install -m 0755 "$base/busybox" "$stage/bin/busybox"
install -m 0755 "$here/guest/init" "$stage/init"
install -m 0755 "$here/guest/stage2" "$stage/stage2"
install -m 0755 "$work/guest/nanoclaw-guest" "$stage/nanoclaw-guest"
mknod -m 0600 "$stage/dev/console" c 5 1

step "packing initrd.img"
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet) \
  | gzip -n >"$out/initrd.img"

load_order="$(paste -sd ' ' "$stage/lib/modules/modules.load")"
rm -rf "$work"
step "initramfs ready ($(du -h "$out/initrd.img" | cut -f1)); modules: $load_order"
