#!/usr/bin/env bash
# FP32 baselines trained from scratch with the default recipes, on this machine:
# the BERT-style classifier on WordNet supersenses and the ViT on Fashion-MNIST.
# Prints each run's summary and `lowbit info`; the figures go to docs/RESULTS.md.
# Usage: experiments/fp32_baselines.sh [seed ...]   (default: seed 1)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
scripts/fetch_pretrained.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target lowbit >/dev/null
seeds=("${@:-1}")
build/lowbit info
for seed in "${seeds[@]}"; do
  for recipe in recipes/bert-wordnet.toml recipes/vit-fashion-mnist.toml; do
    name=$(basename "$recipe" .toml)
    out="runs/baseline-$name-seed$seed"
    echo "== $recipe, seed $seed -> $out"
    build/lowbit train --recipe "$recipe" --set train.seed="$seed" --set train.out_dir="$out" \
      | tail -12
  done
done
