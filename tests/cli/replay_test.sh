#!/usr/bin/env bash
# `trunkguard replay` as a user runs it: the benchmark's generator trace through the bench
# config, JSON and text reports, and clear errors for a bad trace or a missing file.
set -euo pipefail
bin=$1
source_dir=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 "$source_dir/bench/fraud/generate_trace.py" --accounts 10 --history-days 10 \
  -o "$scratch/trace.csv"
out=$("$bin" replay --config "$source_dir/bench/fraud/fraud.yaml" "$scratch/trace.csv" --json) ||
  fail "replay should exit 0: $out"
python3 - "$out" <<'PY' || fail "JSON report: $out"
import json, sys
r = json.loads(sys.argv[1])
for label in ("legit", "irsf", "wangiri", "slow", "wangiri-bait"):
    l = r["labels"][label]
    for key in ("offered", "allowed", "answered_allowed", "minutes_allowed", "cost_allowed",
                "refused", "torn_down", "seconds_to_first_block"):
        assert key in l, (label, key)
assert r["labels"]["irsf"]["answered_allowed"] < 5, r["labels"]["irsf"]
assert r["labels"]["wangiri"]["allowed"] == 0, r["labels"]["wangiri"]
assert r["labels"]["legit"]["refused"] == 0, r["labels"]["legit"]
assert r["calls_per_second"] > 0
PY

# The same trace from standard input, as a table.
out=$("$bin" replay -c "$source_dir/bench/fraud/fraud.yaml" - <"$scratch/trace.csv") ||
  fail "replay from stdin should exit 0"
grep -q "^irsf " <<<"$out" || fail "no irsf row: $out"
grep -q "calls per second" <<<"$out" || fail "no speed line: $out"

# Bad input: the line and the column, exit 2.
printf 'start,zone,source,account,from,to,answer_after_s,duration_s\n2026-03-02T09:00:00Z,lan,1.2.3.4,1001,1,2,,0\n' >"$scratch/bad.csv"
set +e
"$bin" replay -c "$source_dir/bench/fraud/fraud.yaml" "$scratch/bad.csv" 2>"$scratch/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "a bad trace should exit 2, got $rc"
grep -q "bad.csv:2: column 'zone'" "$scratch/err" || fail "$(cat "$scratch/err")"

set +e
"$bin" replay -c "$source_dir/bench/fraud/fraud.yaml" "$scratch/none.csv" 2>"$scratch/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "a missing trace should exit 2, got $rc"
grep -q "cannot open" "$scratch/err" || fail "$(cat "$scratch/err")"
echo "replay CLI: ok"
