#!/usr/bin/env bash
# Claude Code's own start inside a VM (issue 19): boots the product's cached image with a probe in stage 2
# (guest-probe.sh), N times per variant, interleaved, and prints what the guest measured. Not part of the product;
# see BENCHMARKS.md, "Claude Code's start in the guest". Needs `./nanoclaw setup` first (the cached image).
# Usage: bench/claude-start/experiment.sh [RUNS] [VARIANTS...]   (variants: cold spare prestarted, each also
# as <variant>-resume except spare; default: cold spare, 3 runs)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runs="${1:-3}"; shift || true
variants=("${@:-cold spare}"); read -r -a variants <<<"${variants[*]}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/nanoclaw/vm"
base="$(ls -d "$cache"/base-* | head -n1)"; initrd="$(ls "$cache"/initrd-*/initrd.img | head -n1)"
[[ -f "$base/rootfs.ext4" && -f "$initrd" ]] || { echo "no cached VM image: run ./nanoclaw setup first" >&2; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir "$work/root"
(cd "$work/root" && zcat "$initrd" | cpio -id --quiet)
agent='/usr/local/bin/nanoclaw-guest --control'
grep -qF "$agent" "$work/root/stage2" || { echo "stage 2 no longer starts the agent with '$agent'" >&2; exit 1; }
python3 - "$work/root/stage2" "$here/guest-probe.sh" "$agent" <<'PY'
import sys
stage2, probe, agent = sys.argv[1:]
s = open(stage2).read()
open(stage2, "w").write(s.replace(agent, open(probe).read() + "\n" + agent, 1))
PY
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet | gzip -n >"$work/probe.img")
# As the product does (QemuCommandLine): pin the guest's TSC to the host's, or its calibration under TCG can hang a boot.
tsc_khz="$(awk '/^cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo)"
for ((run = 1; run <= runs; run++)); do
  for variant in "${variants[@]}"; do
    echo "== run $run, $variant, host load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    timeout 600 qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=on -accel tcg,thread=multi -cpu max \
      -m 2048 -smp 2 -nodefaults -no-user-config -display none -no-reboot -serial stdio \
      -kernel "$base/vmlinuz" -initrd "$work/probe.img" \
      -append "console=ttyS0 reboot=t panic=-1 quiet tsc_early_khz=$tsc_khz nanoclaw.prime=0 probe.variant=$variant" \
      -drive "id=root,file=$base/rootfs.ext4,format=raw,if=none,readonly=on" -device virtio-blk-device,drive=root \
      -device virtio-serial-device -chardev "socket,id=net,path=$work/net.sock,server=on,wait=off" \
      -device virtserialport,chardev=net,name=nanoclaw.net </dev/null | tr -d '\r' | grep '^PROBE' || true
  done
done
