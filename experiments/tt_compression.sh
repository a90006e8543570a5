#!/usr/bin/env bash
# Tensor-train compression of a trained BERT-style classifier on wordnet-supersense (SEEDS 5,
# docs/RESULTS.md): accuracy against compression ratio for several TT ranks, with and without
# LSQ QAT, with and without distillation from the dense teacher. An "r*" student is the
# teacher's architecture with every projection and the word table as tensor trains; an "emb*"
# student keeps the teacher's dense projections (LSQ-quantized) and only the word table (90 % of
# the parameters) becomes a tensor train ("-qe": its cores LSQ-quantized too). Students start
# from the teacher (model.init_from: TT-SVD where a layer is a tensor train) unless the row says
# "random".
# Usage: [SEED=n] experiments/tt_compression.sh TEACHER_DIR [steps, default 2948 = 1 epoch]
#   [threads, default 2] [rows...]; rows: names from the table below (default: the r* rows).
#   The distillation stages take the first 30% (hidden levels) and the next 20% (logits) of the
#   steps. SEED (default 1) sets train.seed; runs of another seed get a "-seed<n>" suffix.
set -euo pipefail
cd "$(dirname "$0")/.."
teacher=${1:?usage: experiments/tt_compression.sh TEACHER_DIR [steps] [threads] [rows...]}
steps=${2:-2948}
threads=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
scripts/build.sh >/dev/null
out=runs/tt-compression-s$steps  # one folder per budget
mkdir -p "$out"
bin="$out/lowbit"  # a copy, so a rebuild during the runs does not swap the binary under them
cp build/lowbit "$bin"

seed=${SEED:-1}
tt="--set model.tt_layers=ffn,attention"
distill="--set distill.teacher=$teacher --set distill.layer_steps=$((steps * 3 / 10)) --set distill.pred_steps=$((steps / 5)) --set distill.temperature=2"
qat4="--set numerics.mode=qat --set numerics.qat_weight_bits=4 --set numerics.qat_act_bits=8"
qat8="--set numerics.mode=qat --set numerics.qat_weight_bits=8 --set numerics.qat_act_bits=8"
declare -A rows=(
  [emb16-qat8-distill]="--set model.tt_embedding_rank=16 $distill $qat8"
  [emb32-qat4-distill]="--set model.tt_embedding_rank=32 $distill $qat4"
  [emb48-qat8-qe-distill]="--set model.tt_embedding_rank=48 $distill $qat8 --set numerics.qat_embedding=true"
  [emb96-qat4-qe-distill]="--set model.tt_embedding_rank=96 $distill $qat4 --set numerics.qat_embedding=true"
  [r16]="$tt --set model.tt_rank=16 --set model.tt_embedding_rank=16"
  [r16-distill]="$tt --set model.tt_rank=16 --set model.tt_embedding_rank=16 $distill"
  [r16-distill-qat8]="$tt --set model.tt_rank=16 --set model.tt_embedding_rank=16 $distill --set numerics.mode=qat --set numerics.qat_weight_bits=8 --set numerics.qat_act_bits=8"
  [r32-distill-qat8]="$tt --set model.tt_rank=32 --set model.tt_embedding_rank=32 $distill --set numerics.mode=qat --set numerics.qat_weight_bits=8 --set numerics.qat_act_bits=8"
  [r8-distill]="$tt --set model.tt_rank=8 --set model.tt_embedding_rank=8 $distill"
  [r16-distill-qat4]="$tt --set model.tt_rank=16 --set model.tt_embedding_rank=16 $distill --set numerics.mode=qat --set numerics.qat_weight_bits=4 --set numerics.qat_act_bits=8"
  [r16-random-distill]="$tt --set model.tt_rank=16 --set model.tt_embedding_rank=16 $distill --set model.init_from="
)
order=(r16 r16-distill r16-distill-qat8 r32-distill-qat8 r8-distill r16-distill-qat4 r16-random-distill)
[ $# -gt 0 ] && order=("$@")
for name in "${order[@]}"; do
  dir="$out/$name"
  [ "$seed" = 1 ] || dir="$dir-seed$seed"
  if [ ! -f "$dir/metrics.jsonl" ] || ! grep -q '"summary"' "$dir/metrics.jsonl"; then
    # shellcheck disable=SC2086
    "$bin" train --recipe recipes/bert-wordnet.toml --set train.max_steps="$steps" \
      --set train.threads="$threads" --set train.seed="$seed" --set train.out_dir="$dir" \
      --set model.tt_embedding=true --set model.init_from="$teacher" --set optim.warmup_steps=50 \
      ${rows[$name]} > "$dir.log" 2>&1
  fi
  acc=$(grep '"summary"' "$dir/metrics.jsonl" | sed 's/.*"test_accuracy":\([0-9.]*\).*/\1/')
  size=$(grep -m1 "model size:" "$dir.log" | sed 's/ *model size: *//')
  step=$(grep -m1 "wall time:" "$dir.log" | sed 's/.*s, \([0-9.]*\) ms\/step.*/\1/')
  echo "| $name (seed $seed) | $(python3 -c "print(f'{$acc*100:.2f}')") | $size | $step ms |"
done
