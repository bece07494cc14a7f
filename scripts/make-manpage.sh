#!/usr/bin/env bash
# Writes trunkguard(1) from the CLI's own help: help2man for the top level, and a COMMANDS
# section with every subcommand's --help, found by walking the "Subcommands:" lists.
# Usage: make-manpage.sh BINARY OUTPUT.1
set -euo pipefail
binary=$1
output=$2
include=$(mktemp)
trap 'rm -f "$include"' EXIT

# Subcommand names listed in the help of `trunkguard $*`.
subcommands() {
  "$binary" "$@" --help | awk '/^Subcommands:/ {on=1; next} on && NF {print $1} on && !NF {on=0}'
}

# roff-safe literal text: backslashes doubled, leading dots and quotes guarded.
literal() {
  sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/" \
      -e "s|Usage: [^ ]*trunkguard|Usage: trunkguard|"
}

describe() {
  local sub
  for sub in $(subcommands "$@"); do
    printf '.SS "trunkguard %s"\n.nf\n' "$* $sub" | sed 's/  */ /g'
    "$binary" "$@" "$sub" --help | literal
    printf '.fi\n'
    describe "$@" "$sub"
  done
}

{
  echo "[COMMANDS]"
  describe
  echo "[FILES]"
  echo ".TP"
  echo ".I /etc/trunkguard/trunkguard.yaml"
  echo "The configuration the service runs with (checked by \\fBtrunkguard check-config\\fR)."
  echo ".TP"
  echo ".I /var/lib/trunkguard/"
  echo "The database (bans, accounts, call records, security events) and keys."
  echo "[SEE ALSO]"
  echo "/usr/share/doc/trunkguard/operations.md, /usr/share/doc/trunkguard/configuration.md"
} >"$include"

help2man --no-info --section=1 --name="SIP trunk security gateway" \
  --version-string="$("$binary" --version | head -1 | cut -d' ' -f2)" \
  --include="$include" --output="$output" "$binary"
