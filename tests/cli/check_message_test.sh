#!/usr/bin/env bash
# check-message as a user runs it: exit codes, text and JSON output, stream mode.
set -euo pipefail
bin=$1
examples=$2
data=$(dirname "$0")/data
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$bin" check-message "$examples"/*.sip) || fail "examples should be valid: $out"
[ "$(grep -c ': valid$' <<<"$out")" -eq "$(ls "$examples"/*.sip | wc -l)" ] || fail "$out"

set +e
out=$("$bin" check-message "$examples/invite.sip" "$data/bad-version.sip"); rc=$?
set -e
[ $rc -eq 1 ] || fail "one invalid file should exit 1, got $rc"
grep -q "bad-version.sip: invalid: SIP version not supported (would answer 505)" <<<"$out" || fail "$out"

set +e
"$bin" check-message "$scratch/does-not-exist.sip" 2>"$scratch/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "missing file should exit 2, got $rc"
grep -q "cannot read" "$scratch/err" || fail "no I/O error message"

set +e
"$bin" check-message 2>/dev/null; rc=$?
set -e
[ $rc -eq 2 ] || fail "no arguments should exit 2, got $rc"

out=$("$bin" check-message --json "$examples/options.sip")
grep -q '"valid": true' <<<"$out" || fail "json: $out"
set +e
out=$("$bin" check-message --json "$data/bad-version.sip"); rc=$?
set -e
[ $rc -eq 1 ] || fail "json invalid exit $rc"
grep -q '"code": 505' <<<"$out" || fail "json: $out"

# Stream mode: two messages and a keep-alive in one file.
{ cat "$examples/options.sip"; printf '\r\n\r\n'; cat "$examples/ringing.sip"; } >"$scratch/stream"
out=$("$bin" check-message --stream "$scratch/stream") || fail "stream: $out"
grep -q "stream#2: valid" <<<"$out" || fail "stream: $out"
# A stream cut inside a message is reported.
head -c 100 "$examples/invite.sip" >"$scratch/cut"
set +e
out=$("$bin" check-message --stream "$scratch/cut"); rc=$?
set -e
[ $rc -eq 1 ] && grep -q "stream ends inside a message" <<<"$out" || fail "cut stream: $out"
echo "check-message CLI: all checks passed"
