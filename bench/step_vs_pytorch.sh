#!/usr/bin/env bash
# Training-step time, lowbit FP32 vs PyTorch (Debian python3-torch, CPU), same model, batch and
# data, 1 and 2 threads: the all-MiniLM-L6-v2 shape on WordNet text and the default ViT on
# Fashion-MNIST. Installs python3-torch if missing. Prints a markdown table.
# Usage: bench/step_vs_pytorch.sh [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10}
if ! /usr/bin/python3 -c "import torch, numpy" 2>/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch python3-numpy >/dev/null
fi
scripts/setup.sh >/dev/null
scripts/fetch_pretrained.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target lowbit >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
minilm=(--set model.kind=bert --set model.layers=6 --set model.hidden=384 --set model.heads=12
        --set model.ffn=1536 --set model.max_positions=128 --set data.max_length=128
        --set data.task=wordnet-supersense --set train.batch_size=32 --set data.max_test_examples=1)
vit=(--recipe recipes/vit-fashion-mnist.toml --set data.max_test_examples=1)
vit_args=$(build/lowbit train "${vit[@]}" --print-recipe | awk -F'[ =#]+' '
  $1=="model.layers"{l=$2} $1=="model.hidden"{h=$2} $1=="model.heads"{n=$2} $1=="model.ffn"{f=$2}
  $1=="train.batch_size"{b=$2} $1=="model.patch"{p=$2}
  END{printf "--layers %s --hidden %s --heads %s --ffn %s --batch %s --patch %s", l,h,n,f,b,p}')
echo "| model | threads | lowbit ms/step | PyTorch ms/step | PyTorch / lowbit |"
echo "|---|---|---|---|---|"
for t in 1 2; do
  lb=$(build/lowbit bench-step "${minilm[@]}" --set train.threads=$t --full-length --steps "$steps" --dump-batch "$tmp/b.bin" | tail -1)
  pt=$(OMP_NUM_THREADS=$t /usr/bin/python3 bench/torch_step.py --kind bert --batch-file "$tmp/b.bin" --batch 32 --seq 128 \
        --layers 6 --hidden 384 --heads 12 --ffn 1536 --classes 45 --threads $t --steps "$steps" | tail -1)
  python3 -c "import json,sys; l=json.loads(sys.argv[1]); p=json.loads(sys.argv[2]); print(f'| MiniLM-L6 shape (B32 T128) | $t | {l[\"median_ms\"]:.1f} | {p[\"median_ms\"]:.1f} | {p[\"median_ms\"]/l[\"median_ms\"]:.2f} |')" "$lb" "$pt"
  lb=$(build/lowbit bench-step "${vit[@]}" --set train.threads=$t --steps "$steps" --dump-batch "$tmp/v.bin" | tail -1)
  pt=$(OMP_NUM_THREADS=$t /usr/bin/python3 bench/torch_step.py --kind vit --batch-file "$tmp/v.bin" $vit_args --classes 10 --threads $t --steps "$steps" | tail -1)
  python3 -c "import json,sys; l=json.loads(sys.argv[1]); p=json.loads(sys.argv[2]); print(f'| ViT ({l[\"batch_shape\"]}) | $t | {l[\"median_ms\"]:.1f} | {p[\"median_ms\"]:.1f} | {p[\"median_ms\"]/l[\"median_ms\"]:.2f} |')" "$lb" "$pt"
done
