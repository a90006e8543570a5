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
scripts/build.sh >/dev/null
out=runs/optim8-seeds
mkdir -p "$out"
bin="$out/lowbit"  # a copy, so a rebuild during the runs does not swap the binary under them
cp build/lowbit "$bin"
run() {  # name recipe seed extra-args...
  local name=$1 recipe=$2 seed=$3
  shift 3
  local dir="$out/$name-s$seed"
  if [ ! -f "$dir/metrics.jsonl" ] || ! grep -q '"summary"' "$dir/metrics.jsonl"; then
    "$bin" train --recipe "$recipe" --set train.seed="$seed" --set train.threads="$threads" \
      --set train.out_dir="$dir" "$@" > "$dir.log" 2>&1
  fi
  acc=$(grep '"summary"' "$dir/metrics.jsonl" | sed 's/.*"test_accuracy":\([0-9.]*\).*/\1/')
  state=$(grep -m1 "optimizer state" "$dir.log" | sed 's/.*optimizer state \([0-9]*\) bytes.*/\1/')
  echo "$name seed $seed accuracy $acc state_bytes $state"
}
for seed in 1 2 3; do
  run bert-32bit recipes/bert-wordnet.toml "$seed" --set train.epochs="$bert_epochs"
  run bert-8bit recipes/bert-wordnet-optim8.toml "$seed" --set train.epochs="$bert_epochs"
  run bert-8bit-stable recipes/bert-wordnet-optim8.toml "$seed" --set train.epochs="$bert_epochs" \
    --set model.stable_embedding=true
  run vit-32bit recipes/vit-fashion-mnist.toml "$seed" --set train.epochs="$vit_epochs"
  run vit-8bit recipes/vit-fashion-mnist-optim8.toml "$seed" --set train.epochs="$vit_epochs"
done | tee "$out/runs.txt"
python3 - "$out/runs.txt" <<'PY'
import sys, statistics as st
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append(float(f[4]) * 100)
print("| run | seeds | accuracy % (each) | mean | spread (max-min) |")
print("|---|---|---|---|---|")
for name, accs in rows.items():
    print(f"| {name} | {len(accs)} | {', '.join(f'{a:.2f}' for a in accs)} | {st.mean(accs):.2f} | {max(accs)-min(accs):.2f} |")
PY
