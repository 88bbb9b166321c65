#!/usr/bin/env bash
# Runs the `compile` fuzz target for a bounded time, seeded with every spec the repository has.
#
#   bash fuzz/run.sh [SECONDS]      (default 60; CI runs it with 60, docs/fuzzing.md says how to
#                                    run it for hours)
#
# The seed corpus is made afresh in target/fuzz-corpus/compile from:
#   - every example spec and every test case spec (tests/cases/**/*.yaml),
#   - large and hostile inputs the fuzzer would not reach by mutation alone: a synthetic spec of
#     120 routes (> 64 KB), a 70 KB spec on one line, a 64 KB key, and a long alias chain.
# Inputs the fuzzer finds interesting go to target/fuzz-corpus/compile too (kept between runs on
# one machine); a crash is written to fuzz/artifacts/compile/ and fails the run (exit 1).
# Needs the nightly toolchain and cargo-fuzz (`rustup toolchain install nightly --profile
# minimal`, `cargo install cargo-fuzz --locked`); .ci/run installs both.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
seconds="${1:-60}"
corpus="$here/target/fuzz-corpus/compile"
mkdir -p "$corpus"
i=0
for spec in examples/*/genops.yaml tests/cases/*/*.yaml tests/cases/*/*/genops.yaml; do
  [ -f "$spec" ] || continue
  i=$((i + 1))
  cp "$spec" "$corpus/seed-$i.yaml"
done
synth_dir="$(mktemp -d)"
trap 'rm -rf "$synth_dir"' EXIT
cargo run --quiet --release --bin genops-synth -- 120 "$synth_dir" >/dev/null
cp "$synth_dir/genops.yaml" "$corpus/seed-synthetic-120.yaml"
python3 - "$corpus" <<'PY'
import sys, os
d = sys.argv[1]
def put(name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
# One line of 70 KB: every diagnostic on it lies past column 65,535 of its line.
put("seed-one-line.yaml", "version: genops/v1\nsystem: { name: s, owner: o, region: us-chicago-1, description: \"" + "x" * 70000 + "\", bogus: 1 }\n")
# A 64 KB key.
put("seed-long-key.yaml", "version: genops/v1\nsystem: { name: s, owner: o, region: us-chicago-1 }\n" + "k" * 65536 + ": 1\n")
# A long scalar aliased many times.
put("seed-aliases.yaml", "version: genops/v1\nsystem: { name: s, owner: o, region: us-chicago-1 }\nx: &a \"" + "y" * 10000 + "\"\nz: [" + ", ".join(["*a"] * 300) + "]\n")
PY
cd fuzz
# -max_len covers the largest seed; -timeout makes a hang a finding; -rss_limit_mb an explosion.
exec cargo +nightly fuzz run compile "$corpus" -- \
  -max_total_time="$seconds" -max_len=262144 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
