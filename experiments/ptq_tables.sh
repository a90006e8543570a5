#!/usr/bin/env bash
# The PTQ tables of docs/RESULTS.md: fp32 and every format x calibration on the two quiet default
# checkpoints (experiments/foundation_figures.sh writes them), 4000 test examples, 1 thread.
set -u
cd "$(dirname "$0")/.."
export LOWBIT_NUM_THREADS=1 OMP_WAIT_POLICY=passive
echo "fp32 bert: $(build/lowbit eval --checkpoint runs/figures-bert-wordnet --set data.max_test_examples=4000 | tail -1)"
experiments/ptq_list.sh runs/figures-bert-wordnet bert 4000 e4m3:pt:max:8 e4m3:pc:max:8 e4m3:pt:percentile:8 e4m3:pt:mse:8 e4m3:pt:entropy:8 e5m2:pt:max:8 e5m2:pc:max:8 int8:pt:max:8 int8:pc:max:8 int8:pt:percentile:8 int8:pt:mse:8 int8:pt:entropy:8 int8:pc:mse:8 e4m3:pc:mse:8
echo "fp32 vit: $(build/lowbit eval --checkpoint runs/figures-vit-fashion-mnist --set data.max_test_examples=4000 | tail -1)"
experiments/ptq_list.sh runs/figures-vit-fashion-mnist vit 4000 e4m3:pt:max:8 e4m3:pc:max:8 e4m3:pt:percentile:8 e4m3:pt:mse:8 e4m3:pt:entropy:8 e5m2:pt:max:8 e5m2:pc:max:8 int8:pt:max:8 int8:pc:max:8 int8:pt:percentile:8 int8:pt:mse:8 int8:pt:entropy:8 int8:pc:mse:8 e4m3:pc:mse:8
