#!/usr/bin/env bash
# Installs the Debian packages hsnet needs. Nothing is downloaded from anywhere but Debian's
# archive.
# Usage: scripts/setup.sh            the build and training install
#        scripts/setup.sh --tests    also what only the test suite, CI and the benchmarks
#                                    need (test_packages below)
set -euo pipefail

# One package group per line.
packages=(
  build-essential pkg-config meson ninja-build
  libopenblas-dev libopenblas-openmp-dev
  nlohmann-json3-dev libcli11-dev
  catch2
  zlib1g-dev libpng-dev libjpeg62-turbo-dev
  libcurl4-openssl-dev nettle-dev libarchive-dev
  dataset-fashion-mnist
)
# What only the test suite and CI need: PyTorch (the cross-check against the PyTorch twins,
# and tcmalloc for bench/compare.py's tuned peer), clang and its sanitizer/libFuzzer runtimes
# (the fuzz targets), clang-format (the style test), Chromium (the browser check of the HTML
# reports) and OpenMPI (sharing `hsnet sweep` trials among `mpirun` ranks; optional in the build).
test_packages=(
  python3-torch python3-numpy libtcmalloc-minimal4
  clang libclang-rt-dev libomp-dev clang-format
  chromium
  openmpi-bin libopenmpi-dev
)
case "${1:-}" in
  "") ;;
  --tests) packages+=("${test_packages[@]}") ;;
  *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 2 ;;
esac

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
