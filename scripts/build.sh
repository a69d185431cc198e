#!/usr/bin/env bash
# Configures (once) and builds hsnet in ./build. Extra meson options can be passed in
# HSNET_MESON_ARGS, e.g. HSNET_MESON_ARGS="-Dcuda=disabled" or "-Dgpu_archs=90".
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build/build.ninja ]]; then
  # shellcheck disable=SC2086
  meson setup build ${HSNET_MESON_ARGS:-}
fi
ninja -C build -j "$(nproc)"
