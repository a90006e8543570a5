#!/usr/bin/env bash
# Old/new comparison of Google Benchmark binaries on a shared, noisy VM: runs each binary in turn,
# ROUNDS times (default 3), each run with REPS repetitions (default 3) of the benchmarks matching
# FILTER, and prints per benchmark and binary the best and every figure (GB/s where the benchmark
# sets bytes, else its time). Alternating spreads a slow spell of the host over all binaries; the
# best is the figure least hit by it. Usage:
#   bench/ab_best.sh FILTER BINARY... ,  e.g.  QUANT_BENCH_MIB=256 bench/ab_best.sh
#   'blockwise8_avx2|memcpy' /tmp/old/quant_bench build/quant_bench
# Extra environment (QUANT_BENCH_MIB, LOWBIT_MAX_ISA, ...) passes through to the binaries.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 FILTER BINARY [BINARY ...]  (env ROUNDS, REPS, MIN_TIME)" >&2
  exit 2
fi
filter=$1
shift
rounds=${ROUNDS:-3}
reps=${REPS:-3}
min_time=${MIN_TIME:-0.15}
for bin in "$@"; do
  [ -x "$bin" ] || { echo "$0: $bin is not an executable" >&2; exit 2; }
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for _ in $(seq "$rounds"); do
  for bin in "$@"; do
    # Error rows (SkipWithError) and aggregates are left out; a failing binary stops the script.
    if ! "$bin" --benchmark_min_time="$min_time" --benchmark_repetitions="$reps" \
      --benchmark_filter="$filter" --benchmark_format=csv 2>>"$log" >"$log.csv"; then
      echo "$0: $bin failed:" >&2
      tail -5 "$log" >&2
      exit 1
    fi
    awk -F, -v bin="$bin" '/^"/ && $1 !~ /_(mean|median|stddev|cv)"$/ && $9 != "true" && $3 != "" {
      gsub(/"/, "", $1); print bin "\t" $1 "\t" $3 "\t" $5 "\t" $6 }' "$log.csv"
    rm -f "$log.csv"
  done
done | python3 -c '
import collections, sys
order = sys.argv[1:]
runs = collections.defaultdict(list)  # (benchmark, binary) -> [(GB/s or None, time, unit)]
for line in sys.stdin:
    binary, name, time, unit, bps = line.rstrip("\n").split("\t")
    runs[(name, binary)].append((float(bps) / 1e9 if bps else None, float(time), unit))
if not runs:
    sys.exit("ab_best.sh: no benchmark matched the filter")
for (name, binary), rs in sorted(runs.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]))):
    if rs[0][0] is not None:
        vals = [r[0] for r in rs]
        print(f"{name:44s} {binary:36s} best {max(vals):8.2f} GB/s  all " + " ".join(f"{v:.2f}" for v in vals))
    else:
        vals = [r[1] for r in rs]
        print(f"{name:44s} {binary:36s} best {min(vals):10.4g} {rs[0][2]}  all " + " ".join(f"{v:.4g}" for v in vals))
' "$@"
