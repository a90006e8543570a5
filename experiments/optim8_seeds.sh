#!/usr/bin/env bash
# 8-bit vs 32-bit optimizer state, three seeds each, same hyperparameters (docs/RESULTS.md):
# BERT on wordnet-supersense (32-bit; 8-bit; 8-bit with the stable embedding) and the ViT on
# Fashion-MNIST (32-bit; 8-bit). Prints one line per run and a mean/spread table.
# Usage: experiments/optim8_seeds.sh [bert epochs, default 1] [vit epochs, default 2] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
bert_epochs=${1:-1}
vit_epochs=${2:-2}
threads=${3:-2}
out=runs/optim8-seeds
source experiments/seed_runs.sh
seed_runs_init
for seed in 1 2 3; do
  seed_run bert-32bit recipes/bert-wordnet.toml "$seed" --set train.epochs="$bert_epochs"
  seed_run bert-8bit recipes/bert-wordnet-optim8.toml "$seed" --set train.epochs="$bert_epochs"
  seed_run bert-8bit-stable recipes/bert-wordnet-optim8.toml "$seed" --set train.epochs="$bert_epochs" \
    --set model.stable_embedding=true
  seed_run vit-32bit recipes/vit-fashion-mnist.toml "$seed" --set train.epochs="$vit_epochs"
  seed_run vit-8bit recipes/vit-fashion-mnist-optim8.toml "$seed" --set train.epochs="$vit_epochs"
done | tee "$out/runs.txt"
seed_table "$out/runs.txt"
