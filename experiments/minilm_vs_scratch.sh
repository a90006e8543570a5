#!/usr/bin/env bash
# Pretrained all-MiniLM-L6-v2 fine-tuned vs the same architecture trained from scratch (and the
# small default BERT from scratch), FP32, on equal uniform random subsets of the WordNet tasks
# (experiments/wordnet_subset.py writes them as JSONL, so every run and transformers' check of an
# export see the same examples). Same recipe, steps and data for each pair;
# prints each run's summary. Usage: experiments/minilm_vs_scratch.sh [N_TRAIN N_TEST EPOCHS]
# LOWBIT=path/to/lowbit uses that binary instead of building build/lowbit; TASKS="wordnet-pos"
# runs one task only.
set -euo pipefail
cd "$(dirname "$0")/.."
n_train=${1:-2000} n_test=${2:-1000} epochs=${3:-2}
scripts/setup.sh >/dev/null
scripts/fetch_pretrained.sh >/dev/null
lowbit=${LOWBIT:-build/lowbit}
if [ -z "${LOWBIT:-}" ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target lowbit >/dev/null
fi
"$lowbit" info | head -5
steps=$(( (n_train + 31) / 32 * epochs ))
for task in ${TASKS:-wordnet-supersense wordnet-pos}; do
  sub=runs/subsets/$task-$n_train-$n_test
  python3 experiments/wordnet_subset.py "$task" "$n_train" "$n_test" "$sub"
  recipe=recipes/minilm-wordnet.toml
  [ "$task" = wordnet-pos ] && recipe=recipes/minilm-wordnet-pos.toml
  data=(--set data.task=text-file --set data.format=jsonl --set "data.train=$sub/train.jsonl"
        --set "data.test=$sub/test.jsonl" --set "train.epochs=$epochs" --set "optim.warmup_steps=$((steps / 10))")
  for run in pretrained scratch small; do
    out=runs/cmp-$task-$run
    case $run in
      pretrained) args=(--recipe "$recipe") ;;
      scratch) args=(--recipe "$recipe" --set model.pretrained=) ;;
      small) args=(--recipe recipes/bert-wordnet.toml) ;;
    esac
    echo "== $task, $run: ${args[*]} ${data[*]} --set train.out_dir=$out"
    "$lowbit" train "${args[@]}" "${data[@]}" --set "train.out_dir=$out" | grep -v '^step ' | tail -13
  done
done
