#!/usr/bin/env bash
# The figures of docs/RESULTS.md's foundation section, in one run on a quiet machine: `lowbit
# info`, the two default recipes trained from scratch (FP32), the training step against PyTorch
# and the FP32 GEMM against OpenBLAS. Writes everything to stdout (tee it to a log).
# Usage: experiments/foundation_figures.sh [steps for the step benchmark, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
scripts/fetch_pretrained.sh >/dev/null
scripts/build.sh >/dev/null
echo "## lowbit info"; build/lowbit info
echo "## uptime before"; uptime
for recipe in recipes/bert-wordnet.toml recipes/vit-fashion-mnist.toml; do
  name=$(basename "$recipe" .toml)
  echo "## train $recipe"
  /usr/bin/time -v build/lowbit train --recipe "$recipe" --set train.out_dir="runs/figures-$name" \
    2> "runs/figures-$name.time" | sed -n '/== summary ==/,/^numerics:/p'
  grep -E "Elapsed|Maximum resident" "runs/figures-$name.time"
done
echo "## step vs PyTorch"; bench/step_vs_pytorch.sh "${1:-10}"
echo "## FP32 GEMM vs OpenBLAS"; REPS=3 ROUNDS=1 bench/gemm_vs_openblas.sh
echo "## uptime after"; uptime
