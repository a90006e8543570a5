#!/usr/bin/env bash
# Installs everything lowbit needs to build, test and run its default recipes on Debian.
# Idempotent: packages already present are left alone.
set -euo pipefail
pkgs=(cmake ninja-build g++ libomp-dev zlib1g-dev nlohmann-json3-dev libcli11-dev
      libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev ccache
      dataset-fashion-mnist wordnet-base python3 python3-venv python3-pip time)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "setup: system packages ready"
