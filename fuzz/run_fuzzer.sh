#!/bin/bash
# Runs one libFuzzer target for a few seconds, starting from its corpus in the source tree.
# Arguments: the fuzzer, the corpus folder, the seconds. New inputs go to a scratch folder
# (the tree's corpus is only read); a crash is written to the build folder's fuzz-artifacts/
# and fails the test.
set -eu
fuzzer="$1" corpus="$2" seconds="$3"
artifacts="$(dirname "$fuzzer")/fuzz-artifacts/$(basename "$fuzzer")"
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$fuzzer" -max_total_time="$seconds" -max_len=16384 -timeout=20 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$scratch" "$corpus"
