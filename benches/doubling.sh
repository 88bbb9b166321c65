#!/usr/bin/env bash
# The doubling ratio of issue #8, measured so that the machine's drift hits both sizes alike:
# `genops build` of N and of 2N routes into an empty OUT, PAIRS pairs in ABBA order (N then
# 2N, then 2N then N, …; OUT removed and the disk synced before each build), then the median of
# each size, their ratio, and the spread of the pairwise ratios, with user and system CPU (GNU
# time) to tell the work from the kernel's share. ABBA, not ABAB: on the project's virtual
# machine, the second of two alternated runs of one and the same binary was slower by 0.13 s
# in median over ten pairs, the interference of something with a period of about two builds.
#
#   bash benches/doubling.sh [N] [PAIRS]        (default: 5000 10)
#
# Needs GNU time (Debian package `time`) and Python 3.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
n="${1:-5000}"
pairs="${2:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
genops="$target_dir/release/genops"
"$target_dir/release/genops-synth" "$n" "$work/small" >/dev/null
"$target_dir/release/genops-synth" "$((2 * n))" "$work/large" >/dev/null

for pair in $(seq 1 "$pairs"); do
  order="small large"
  if [ $((pair % 2)) = 0 ]; then order="large small"; fi
  for size in $order; do
    rm -rf "$work/out-$size" && sync
    /usr/bin/time -f "$size %e %U %S" -a -o "$work/times" "$genops" build -q "$work/$size/genops.yaml" -o "$work/out-$size"
  done
done

python3 - "$work/times" "$n" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
n = int(sys.argv[2])
col = lambda size, i: [float(r[i]) for r in rows if r[0] == size]
wall_s, wall_l = col("small", 1), col("large", 1)
pairwise = [l / s for s, l in zip(wall_s, wall_l)]
med = statistics.median
print(f"{n} routes:  wall {med(wall_s):.3f} s, user {med(col('small', 2)):.2f} s, system {med(col('small', 3)):.2f} s")
print(f"{2 * n} routes: wall {med(wall_l):.3f} s, user {med(col('large', 2)):.2f} s, system {med(col('large', 3)):.2f} s")
print(f"ratio of medians: wall x {med(wall_l) / med(wall_s):.2f}, user CPU x {med(col('large', 2)) / med(col('small', 2)):.2f}")
print(f"pairwise ratios: median x {med(pairwise):.2f}, min x {min(pairwise):.2f}, max x {max(pairwise):.2f} ({len(pairwise)} pairs)")
PY
