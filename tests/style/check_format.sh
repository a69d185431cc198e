#!/bin/bash
# The style test: every C++ and CUDA source of the repository is formatted as the root
# .clang-format says (clang-format --dry-run -Werror). Prints each file that differs. Exit 77
# (skipped) where clang-format is not installed (Debian's clang-format, scripts/setup.sh --tests).
# Usage: check_format.sh SOURCE_ROOT
set -u
root="$1"
if ! command -v clang-format >/dev/null; then
  echo "format check: SKIPPED (clang-format not installed; scripts/setup.sh --tests)"
  exit 77
fi
cd "$root" || exit 1
mapfile -t files < <(find . -path './build*' -prune -o -path './.git' -prune -o \
  \( -name '*.cpp' -o -name '*.h' -o -name '*.cu' \) -print | sort)
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "format check: ${#files[@]} files, $bad not formatted"
[[ $bad -eq 0 ]]
