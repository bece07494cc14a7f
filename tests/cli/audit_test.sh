#!/usr/bin/env bash
# `trunkguard audit` as a user runs it: exit codes by worst severity, the three report formats,
# and errors for input it cannot read.
set -euo pipefail
bin=$1
corpus=$2  # tests/data/audit
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() { set +e; "$@" >"$scratch/out" 2>"$scratch/err"; rc=$?; set -e; }

run "$bin" audit asterisk "$corpus/asterisk/hardened"
[ $rc -eq 0 ] || fail "hardened asterisk should exit 0, got $rc: $(cat "$scratch/out")"
grep -q ": 0 findings" "$scratch/out" || fail "$(cat "$scratch/out")"

run "$bin" audit asterisk "$corpus/asterisk/seeded"
[ $rc -eq 13 ] || fail "seeded asterisk (critical findings) should exit 13, got $rc"
grep -q "^CRITICAL$" "$scratch/out" || fail "no CRITICAL group"
grep -q "at: sip.conf:4" "$scratch/out" || fail "no file:line"

run "$bin" audit asterisk --json "$corpus/asterisk/seeded"
[ $rc -eq 13 ] || fail "json exit $rc"
python3 - "$scratch/out" <<'PY' || fail "json schema"
import json, sys
doc = json.load(open(sys.argv[1]))
keys = {"id", "severity", "title", "file", "line", "evidence", "fix", "references"}
assert doc["findings"] and all(set(f) == keys for f in doc["findings"]), doc
PY

run "$bin" audit asterisk --html "$corpus/asterisk/seeded"
[ $rc -eq 13 ] || fail "html exit $rc"
grep -q "^<!DOCTYPE html>" "$scratch/out" || fail "not html"
grep -q '<script' "$scratch/out" && fail "html must carry no script"

# The worst severity decides: one medium finding exits 11.
mkdir "$scratch/medium"
printf '[general]\nstrictrtp=no\n' >"$scratch/medium/rtp.conf"
run "$bin" audit asterisk "$scratch/medium"
[ $rc -eq 11 ] || fail "a medium finding should exit 11, got $rc"

# Input it cannot read: exit 2 with the reason on stderr.
run "$bin" audit asterisk "$corpus/asterisk/include-loop"
[ $rc -eq 2 ] || fail "include loop should exit 2, got $rc"
grep -q "#include loop" "$scratch/err" || fail "no loop error: $(cat "$scratch/err")"
mkdir "$scratch/garbage"
head -c 65536 /dev/urandom >"$scratch/garbage/sip.conf"
printf '\0' >>"$scratch/garbage/sip.conf"
run "$bin" audit asterisk "$scratch/garbage"
[ $rc -eq 2 ] || fail "binary garbage should exit 2, got $rc"
grep -q "binary data" "$scratch/err" || fail "$(cat "$scratch/err")"
run "$bin" audit asterisk "$scratch/does-not-exist"
[ $rc -eq 2 ] || fail "missing directory should exit 2, got $rc"

# FreeSWITCH: critical findings in the seeded tree, none in the hardened one, an XML bomb refused.
run "$bin" audit freeswitch "$corpus/freeswitch/seeded"
[ $rc -eq 13 ] || fail "seeded freeswitch should exit 13, got $rc"
grep -q "FS-ESL-DEFAULT-PASSWORD" "$scratch/out" || fail "$(cat "$scratch/out")"
run "$bin" audit freeswitch "$corpus/freeswitch/hardened"
[ $rc -eq 0 ] || fail "hardened freeswitch should exit 0, got $rc: $(cat "$scratch/out")"
run "$bin" audit freeswitch "$corpus/freeswitch/bomb"
[ $rc -eq 2 ] || fail "an XML bomb should exit 2, got $rc"
grep -q "DOCTYPE is not accepted" "$scratch/err" || fail "$(cat "$scratch/err")"

# The gateway: the seeded config has high findings at worst (12), the hardened one none.
cp "$corpus/gateway/seeded.yaml" "$corpus/gateway/hardened.yaml" "$corpus/gateway/provider.secret" \
   "$scratch/"
chmod 640 "$scratch/provider.secret"
run "$bin" audit gateway --config "$scratch/seeded.yaml"
[ $rc -eq 12 ] || fail "seeded gateway should exit 12, got $rc"
grep -q "GW-PLAINTEXT-TRUNK" "$scratch/out" || fail "$(cat "$scratch/out")"
run "$bin" audit gateway --config "$scratch/hardened.yaml"
[ $rc -eq 0 ] || fail "hardened gateway should exit 0, got $rc: $(cat "$scratch/out")"
run "$bin" audit gateway --config "$scratch/nope.yaml"
[ $rc -eq 2 ] || fail "missing config should exit 2, got $rc"

run "$bin" audit
[ $rc -eq 2 ] || fail "audit without a subcommand should exit 2, got $rc"
echo "audit CLI: ok"
