#!/usr/bin/env bash
# Integer / 4-bit numerics on wordnet-supersense at a reduced budget (10k training examples, one
# epoch, 2000 test examples, one seed), then bench-step times. Results: see docs/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
for v in fp32 int16 int10 int8 int4; do
  build/lowbit train --recipe "recipes/bert-wordnet-$v.toml" --set data.max_train_examples=10000 \
    --set data.max_test_examples=2000 --set train.epochs=1 --set train.threads=1 \
    --set train.out_dir="runs/sweep-$v" | grep -E "^(test accuracy|final train loss|wall time)"
done
for t in 1 2; do
  for m in "fp32" "int --set numerics.bits=8" "int --set numerics.bits=16" "int4"; do
    # shellcheck disable=SC2086
    build/lowbit bench-step --steps 5 --warmup 1 --set train.threads=$t --set numerics.mode=$m
  done
done
