#!/bin/bash
# Runs bench/crosscheck.py: hsnet's models against their PyTorch twins on the same weights and
# input. Arguments: the hsnet binary and the source root. Exit 77 (skipped) without
# /usr/bin/python3 or its torch module (Debian's python3-torch).
set -u
hsnet="$1"
source_root="$2"
python=/usr/bin/python3
if [ ! -x "$python" ]; then
  echo "crosscheck: SKIPPED ($python not found)"
  exit 77
fi
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "crosscheck: SKIPPED (python3-torch not installed)"
  exit 77
fi
exec "$python" "$source_root/bench/crosscheck.py" --hsnet "$hsnet"
