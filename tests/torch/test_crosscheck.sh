#!/bin/bash
# Runs bench/crosscheck.py: hsnet's models against their PyTorch twins on the same weights and
# input. Arguments: the hsnet binary and the source root. Exit 77 (skipped) without
# /usr/bin/python3 or its torch module (Debian's python3-torch), or a failure when
# HSNET_REQUIRE_TORCH=1 (CI, whose setup installs PyTorch: a skip there would hide a broken
# install).
set -u
hsnet="$1"
source_root="$2"
python=/usr/bin/python3
missing() {
  if [ "${HSNET_REQUIRE_TORCH:-0}" = 1 ]; then
    echo "crosscheck: FAIL ($1, and HSNET_REQUIRE_TORCH=1)"
    exit 1
  fi
  echo "crosscheck: SKIPPED ($1)"
  exit 77
}
[ -x "$python" ] || missing "$python not found"
"$python" -c 'import torch' 2>/dev/null || missing "python3-torch not installed"
exec "$python" "$source_root/bench/crosscheck.py" --hsnet "$hsnet"
