#!/usr/bin/env bash
# The Debian package as an admin gets it: its contents (dpkg-deb -c), lintian without errors,
# then installed into a throwaway root (dpkg --root, maintainer scripts run chrootless with
# DPKG_ROOT) where the files, owners and modes are checked; an upgrade keeps the admin's config
# and the database; a purge removes the state.
# Usage: deb_test.sh BUILD_DIR (configured and built; the package is made here with cpack)
set -euo pipefail
build=$1
if [ "$(id -u)" -ne 0 ]; then
  echo "deb_test: skipped: installing into a root with its own owners needs root"
  exit 77
fi
# The package ships the Release binary; a sanitizer build's binary is several times larger and
# slow to compress and lint, and `make test` checks the package in its Release stage already.
if grep -q '^TG_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "deb_test: skipped: a sanitizer build is not what the package ships"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"

echo "== cpack"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" ||
  { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/trunkguard_*.deb)
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

echo "== contents"
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/trunkguard ./etc/trunkguard/trunkguard.yaml \
            ./lib/systemd/system/trunkguard.service ./etc/logrotate.d/trunkguard \
            ./var/lib/trunkguard/ ./usr/share/man/man1/trunkguard.1.gz \
            ./usr/share/doc/trunkguard/copyright ./usr/share/doc/trunkguard/changelog.Debian.gz \
            ./usr/share/doc/trunkguard/operations.md \
            ./usr/share/doc/trunkguard/examples/trunkguard.example.yaml; do
  grep -q " $path\$" <<<"$contents" || fail "the package lacks $path"
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libssl3 libsqlite3-0 libsystemd0 libyaml-cpp; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib (dpkg-shlibdeps)"
done
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = \
  $'/etc/trunkguard/trunkguard.yaml\n/etc/logrotate.d/trunkguard' ] || fail "conffiles"

echo "== lintian"
if ! command -v lintian >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian >/dev/null
fi
lint=$(lintian --allow-root "$deb" 2>&1 || true)
echo "$lint"
if grep -q '^E:' <<<"$lint"; then fail "lintian reports errors"; fi

echo "== install into $root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
touch "$root/var/lib/dpkg/status"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
printf 'root:*::\n' >"$root/etc/gshadow"
dpkg_root() {
  dpkg --root="$root" --log=/dev/null --force-script-chrootless --force-depends \
    --force-confold "$@"
}
dpkg_root -i "$deb"

mode_owner() { stat -c '%a %u:%g' "$root$1"; }
uid=$(awk -F: '$1 == "trunkguard" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "trunkguard" { print $4 }' "$root/etc/passwd")
[ -n "$uid" ] || fail "postinst made no trunkguard user"
awk -F: '$1 == "trunkguard" && $7 == "/usr/sbin/nologin" { ok = 1 } END { exit !ok }' \
  "$root/etc/passwd" || fail "the trunkguard user can log in"
[ "$uid" != 0 ] && [ "$uid" -lt 1000 ] || fail "trunkguard is not a system user (uid $uid)"
check() {
  local got
  got=$(mode_owner "$1")
  echo "$1: $got"
  [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}
check /usr/bin/trunkguard "755 0:0"
check /var/lib/trunkguard "750 $uid:$gid"
check /etc/trunkguard "750 0:$gid"
check /etc/trunkguard/trunkguard.yaml "644 0:0"
check /lib/systemd/system/trunkguard.service "644 0:0"
[ -L "$root/etc/systemd/system/multi-user.target.wants/trunkguard.service" ] ||
  fail "the service is not enabled"
"$root/usr/bin/trunkguard" --version
"$root/usr/bin/trunkguard" check-config "$root/etc/trunkguard/trunkguard.yaml" >/dev/null ||
  fail "the shipped config does not pass check-config"
sed -n '/^Conffiles:/,/^[^ ]/p' "$root/var/lib/dpkg/status" |
  grep -q '^ /etc/trunkguard/trunkguard.yaml [0-9a-f]\{32\}$' ||
  fail "the config is not registered as a conffile"

echo "== upgrade keeps the admin's config and the database"
echo "# edited by the admin" >>"$root/etc/trunkguard/trunkguard.yaml"
echo "state" >"$root/var/lib/trunkguard/trunkguard.db"
dpkg_root -i "$deb"
grep -q '^# edited by the admin$' "$root/etc/trunkguard/trunkguard.yaml" ||
  fail "the upgrade replaced the admin's config"
[ "$(cat "$root/var/lib/trunkguard/trunkguard.db")" = state ] || fail "the upgrade lost the database"
check /var/lib/trunkguard "750 $uid:$gid"
[ "$(grep -c '^trunkguard:' "$root/etc/passwd")" = 1 ] || fail "the upgrade added a second user"

echo "== purge removes the state"
dpkg_root --purge trunkguard
[ ! -e "$root/var/lib/trunkguard" ] || fail "purge left /var/lib/trunkguard"
[ ! -e "$root/usr/bin/trunkguard" ] || fail "purge left the binary"
[ ! -e "$root/etc/trunkguard/trunkguard.yaml" ] || fail "purge left the config"

if [ "$failures" -ne 0 ]; then
  echo "deb_test: $failures failure(s)" >&2
  exit 1
fi
echo "deb_test: package OK"
