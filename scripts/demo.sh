#!/usr/bin/env bash
# The main job on the built-in default recipe: set up, build, train, evaluate, summarise.
# Extra arguments go to `lowbit train` (e.g. --recipe recipes/vit-fashion-mnist.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/fetch_pretrained.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target lowbit
build/lowbit info
build/lowbit train "$@"
