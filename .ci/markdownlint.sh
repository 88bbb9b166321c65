#!/usr/bin/env bash
# Lints every Markdown file under DIR with markdownlint-cli2 and its default rules (the
# generated runbooks carry their own `markdownlint-configure-file` settings). Exit 0 when there
# is no problem, 1 when there are problems, 2 on a usage error, 3 when the linter cannot be
# installed.
#   .ci/markdownlint.sh OUT/runbooks
# The linter is installed once from the npm registry into a cache outside the clone.
# markdownlint-cli2 0.22.0 is the last release that runs on Node 20 (0.23 needs Node 22).
set -euo pipefail

version=0.22.0
[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$(cd "$1" && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/genops-markdownlint"
bin="$cache/node_modules/.bin/markdownlint-cli2"

installed() {
  [ -x "$bin" ] && [ "$(node -p "require('$cache/node_modules/markdownlint-cli2/package.json').version" 2>/dev/null)" = "$version" ]
}

if ! installed; then
  command -v npm >/dev/null || { echo "markdownlint: npm is not installed" >&2; exit 3; }
  mkdir -p "$cache"
  (
    flock 9
    installed || npm install --silent --no-audit --no-fund --prefix "$cache" "markdownlint-cli2@$version" >&2
  ) 9>"$cache/.lock" || { echo "markdownlint: cannot install markdownlint-cli2@$version" >&2; exit 3; }
fi

files=$(find "$dir" -name '*.md' -type f | wc -l)
[ "$files" -gt 0 ] || { echo "markdownlint: no Markdown file under $dir" >&2; exit 1; }
cd "$dir"
"$bin" '**/*.md'
