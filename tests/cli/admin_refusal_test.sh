#!/usr/bin/env bash
# Mutating commands without admin credentials: each is refused with exit 3 and a message that
# says what to give, nothing changes in the accounts, admins or bans, and the refusals are in
# `admin log`. Setting up needs --local-root, i.e. root (ctest skips with 77 otherwise).
set -euo pipefail
bin=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset TRUNKGUARD_TOTP_CODE
db=$scratch/gw.db
printf 'Lantern-Orbit-58\n' >"$scratch/password"
printf '198.51.100.0/24\n' >"$scratch/feed.txt"

refused() {
  set +e
  "$bin" "$@" --db "$db" </dev/null >"$scratch/out" 2>"$scratch/err"; rc=$?
  set -e
  [ $rc -eq 3 ] || fail "'$*' should exit 3, got $rc: $(cat "$scratch/err")"
  grep -q "nothing changed" "$scratch/err" || fail "'$*': $(cat "$scratch/err")"
}
state() {
  "$bin" account list --json --db "$db"
  "$bin" ban list --json --db "$db"
  # Admins: no CLI lists them; their failed-code counters are meant to move, the rest not.
  if command -v sqlite3 >/dev/null; then
    sqlite3 "$db" "SELECT name, totp_secret, last_totp_step FROM admin_users ORDER BY name"
  fi
}

if [ "$(id -u)" -ne 0 ]; then
  refused account add 201 --password-file "$scratch/password" --local-root
  grep -q "needs root" "$scratch/err" || fail "$(cat "$scratch/err")"
  exit 77
fi

"$bin" account add 201 --password-file "$scratch/password" --local-root --db "$db" >/dev/null
"$bin" ban add 192.0.2.7 --local-root --db "$db" >/dev/null 2>&1
"$bin" admin add alice --db "$db" >/dev/null  # the first admin: bootstrap
before=$(state)

refused account add 202 --password-file "$scratch/password"
grep -q -- "--totp-user ADMIN" "$scratch/err" || fail "no hint: $(cat "$scratch/err")"
grep -q -- "--local-root" "$scratch/err" || fail "no hint: $(cat "$scratch/err")"
refused account passwd 201 --password-file "$scratch/password"
refused account disable 201
refused account enable 201
refused account unlock 201
refused admin add bob
refused ban add 198.51.100.7
refused ban remove 192.0.2.7
refused ban import "$scratch/feed.txt"
refused account disable 201 --totp-user alice --totp-code 12345a
grep -q "not accepted" "$scratch/err" || fail "$(cat "$scratch/err")"
refused account disable 201 --totp-user nobody --totp-code 123456
refused ban add 198.51.100.7 --totp-user alice  # no code, no terminal

[ "$(state)" = "$before" ] || fail "a refused command changed the database"

log=$("$bin" admin log --json --db "$db")
[ "$(grep -c '"result": "refused' <<<"$log")" -eq 12 ] || fail "expected 12 refusals: $log"
grep -q '"actor": "bootstrap"' <<<"$log" || fail "$log"
grep -q '"action": "ban remove 192.0.2.7"' <<<"$log" || fail "$log"
text=$("$bin" admin log --db "$db")
grep -q "refused: no admin credentials" <<<"$text" || fail "$text"
grep -q "^TIME (UTC)" <<<"$text" || fail "$text"
echo "ok"
