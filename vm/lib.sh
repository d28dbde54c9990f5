# Shared helpers for the VM image recipe. Sourced, not run.
# Progress goes to stdout (one line per step, the host streams it); errors to stderr.

step() { echo "==> $*"; }
die() { echo "error: $*" >&2; exit 1; }

# need TOOL DEBIAN_PACKAGE: fails with the package to install when TOOL is missing.
need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found: install it with \`apt-get install $2\`"
}

need_root() {
  [[ $EUID -eq 0 ]] || die "debootstrap needs root: run \`sudo ./nanoclaw setup\`"
}
