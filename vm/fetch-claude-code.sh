#!/usr/bin/env bash
# Fetches the pinned Claude Code native binary (npm platform package) into a cache folder
# and prints the binary's path. Usage: fetch-claude-code.sh CACHE_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${1:?usage: fetch-claude-code.sh CACHE_DIR}"
dest="$cache/claude-code-$CLAUDE_CODE_VERSION"
if [[ -x "$dest/claude" ]]; then echo "$dest/claude"; exit 0; fi
tmp="$(mktemp -d "$cache/.claude-code.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "fetching @anthropic-ai/claude-code-linux-x64@$CLAUDE_CODE_VERSION (about 100 MB compressed)..." >&2
(cd "$tmp" && npm pack --silent "@anthropic-ai/claude-code-linux-x64@$CLAUDE_CODE_VERSION" >/dev/null 2>&1)
tar -xzf "$tmp"/*.tgz -C "$tmp"
bin="$(find "$tmp/package" -maxdepth 2 -type f -name claude | head -n1)"
[[ -n "$bin" ]] || { echo "no 'claude' binary in the npm package" >&2; exit 1; }
chmod 0755 "$bin"
mkdir -p "$dest"
mv "$bin" "$dest/claude"
echo "$dest/claude"
