#!/usr/bin/env bash
# Installs every Debian package hsnet needs to build, test and train.
# Nothing is downloaded from anywhere but Debian's archive.
# Usage: scripts/setup.sh [--with-torch] [--with-tests]   (--with-torch adds PyTorch for the
# cross-checks, --with-tests Chromium for the report check)
set -euo pipefail

packages=(
  build-essential pkg-config meson ninja-build
  libopenblas-dev libopenblas-openmp-dev nlohmann-json3-dev catch2 zlib1g-dev libcli11-dev libpng-dev
  dataset-fashion-mnist
)
# Sharing `hsnet sweep` trials among `mpirun` ranks (optional in the build).
packages+=(openmpi-bin libopenmpi-dev)
# The headless-browser check of the HTML reports (tests only).
if [[ " $* " == *" --with-tests "* ]]; then packages+=(chromium); fi
if [[ "${1:-}" == "--with-torch" ]]; then
  packages+=(python3-torch python3-numpy)
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
