#!/usr/bin/env bash
# Training accuracy of each numerics recipe over three seeds, same hyperparameters as fp32
# (docs/RESULTS.md): BERT on wordnet-supersense and the ViT on Fashion-MNIST, each recipe
# recipes/<task>-<numerics>.toml. Prints one line per run and a mean/spread table.
# Usage: experiments/numerics_seeds.sh ["fp32 fp8 int8 ..."] ["bert vit"] [bert epochs, default 1]
#        [vit epochs, default 2] [threads, default 1] [seeds, default "1 2 3"]
set -euo pipefail
cd "$(dirname "$0")/.."
numerics=${1:-"fp32 fp8"}
tasks=${2:-"bert vit"}
bert_epochs=${3:-1}
vit_epochs=${4:-2}
threads=${5:-1}
seeds=${6:-"1 2 3"}
out=${OUT:-runs/numerics-seeds}  # OUT: another folder, for a second run beside this one
source experiments/seed_runs.sh
seed_runs_init
for task in $tasks; do
  case $task in
    bert) recipe=bert-wordnet epochs=$bert_epochs ;;
    vit) recipe=vit-fashion-mnist epochs=$vit_epochs ;;
    *) echo "numerics_seeds.sh: unknown task '$task' (bert or vit)" >&2; exit 2 ;;
  esac
  for v in $numerics; do
    for seed in $seeds; do
      seed_run "$task-$v" "recipes/$recipe-$v.toml" "$seed" --set train.epochs="$epochs"
    done
  done
done | tee "$out/runs-$(echo "$numerics $tasks" | tr ' ' '_').txt"
seed_table "$out/runs-$(echo "$numerics $tasks" | tr ' ' '_').txt"
