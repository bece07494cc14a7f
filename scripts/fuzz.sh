#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each over a scratch copy of its seed
# corpus (so generated inputs never land in the repository). Fails on the first crash, leak,
# timeout or out-of-memory; the reproducer goes to fuzz-artifacts/.
set -euo pipefail
build_dir=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
seconds=${2:?usage: fuzz.sh BUILD_DIR SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
artifacts="$root/fuzz-artifacts"
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

status=0
for target in "$build_dir"/tests/fuzz/*_fuzz; do
  name=$(basename "$target")
  seeds="$root/tests/fuzz/corpus/$name"
  work="$scratch/$name"
  mkdir -p "$work"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$name-" "$work" >"$scratch/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; log tail:"
    tail -n 40 "$scratch/$name.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|Done" "$scratch/$name.log" | tail -n 2 || true
  fi
done
exit $status
