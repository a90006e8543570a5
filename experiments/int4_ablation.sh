#!/usr/bin/env bash
# Ablation of the 4-bit training pieces (docs/RESULTS.md): the int4 recipe with all of Hadamard
# quantizer, bit splitting and leverage-score sampling, each one switched off, and all three off,
# on one task, same hyperparameters, one line per run and a mean/spread table.
# Usage: experiments/int4_ablation.sh [task: vit (default) or bert] [epochs] [threads] [seeds]
set -euo pipefail
cd "$(dirname "$0")/.."
task=${1:-vit}
case $task in
  vit) recipe=recipes/vit-fashion-mnist-int4.toml epochs=${2:-2} ;;
  bert) recipe=recipes/bert-wordnet-int4.toml epochs=${2:-1} ;;
  *) echo "int4_ablation.sh: unknown task '$task' (vit or bert)" >&2; exit 2 ;;
esac
threads=${3:-1}
seeds=${4:-1}
out=runs/int4-ablation-$task
source experiments/seed_runs.sh
seed_runs_init
for seed in $seeds; do
  seed_run all "$recipe" "$seed" --set train.epochs="$epochs"
  seed_run no-hadamard "$recipe" "$seed" --set train.epochs="$epochs" --set numerics.hadamard=false
  seed_run no-bit-split "$recipe" "$seed" --set train.epochs="$epochs" --set numerics.bit_split=false
  seed_run no-leverage "$recipe" "$seed" --set train.epochs="$epochs" \
    --set numerics.leverage_sampling=false
  seed_run none "$recipe" "$seed" --set train.epochs="$epochs" --set numerics.hadamard=false \
    --set numerics.bit_split=false --set numerics.leverage_sampling=false
done | tee "$out/runs.txt"
seed_table "$out/runs.txt"
