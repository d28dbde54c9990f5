#!/usr/bin/env bash
# Installs the Debian packages the host needs (VMM, forwarder, image build tools, ip and nft for `setup --network`)
# when any is missing.
# Idempotent and quick when everything is there. Needs root only when something must be installed.
set -euo pipefail
packages=(qemu-system-x86 socat debootstrap e2fsprogs cpio gzip npm iproute2 nftables)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from elsewhere (e.g. a Node.js install); only the command matters.
if command -v npm >/dev/null 2>&1; then missing=("${missing[@]/npm}"); fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
# The image build downloads the guest kernel with apt: it needs package lists even when nothing is missing here.
if [[ $EUID -eq 0 ]] && ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
  echo "no apt package lists yet: running apt-get update..." >&2
  apt-get update -qq
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $EUID -ne 0 ]]; then
  echo "missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]}..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
