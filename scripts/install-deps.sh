#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking trunkguard needs.
# Idempotent: installs only what is missing, and runs `apt-get update` only when it must.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache clang-14 libclang-rt-14-dev clang-format
  # libraries (ARCHITECTURE.md "Chosen dependencies")
  libssl-dev libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev
  libasio-dev libsqlite3-dev sqlite3 libmaxminddb-dev libc-ares-dev
  libpwquality-dev liboath-dev libqrencode-dev cracklib-runtime libcpp-httplib-dev pkg-config
  libexpat1-dev  # audit freeswitch: XML without entity expansion
  libsystemd-dev
  libsrtp2-dev  # media/srtp: SRTP and SRTCP (RFC 3711, 6188, 7714)
  libhiredis-dev  # store/redis: the shared state of a cluster (docs/cluster.md)
  libcurl4-openssl-dev  # app/alerts: alerts by mail, SMTP with STARTTLS (docs/alerts.md)
  # tests and benchmarks: real peers (sipp, Kamailio as the baseline), python3 for the harness
  libgtest-dev libgmock-dev libbenchmark-dev libosip2-dev sip-tester kamailio python3
  # guard tests build a tiny country database (tests/unit/guard/make_test_mmdb.pl)
  libmaxmind-db-writer-perl
  # the attackers (svmap, svwar, svcrack), TLS terminators and a test DNS server
  sipvicious stunnel4 kamailio-tls-modules dnsmasq-base openssl
  # the SRTP interop test's far end (tests/interop/test_srtp_pylibsrtp.py)
  python3-pylibsrtp
  # the alerts test's mail server, with STARTTLS (tests/integration/smtp_receiver.py)
  python3-aiosmtpd
  # STIR/SHAKEN tests: PASSporTs signed and certificates made by an implementation not ours
  # (tests/unit/identity/make_passports.py, sign_passport.py)
  python3-jwt python3-cryptography
  # promtool checks the /metrics exposition (tests/integration/test_admin_api.py); the
  # Prometheus server the package brings is stopped and disabled below
  prometheus
  # a HEP collector as the real peer of SIP capture (tests/integration/test_capture_hep.py)
  sngrep
  # a real softphone (tests/integration/test_phones_baresip.py, docs/interop.md)
  baresip-core
  # a second softphone, headless in its console mode (tests/integration/test_phones_twinkle*.py)
  twinkle-console
  # the cluster tests' shared store (started by the tests on loopback; the service is disabled)
  redis-server
  # the package: its man page and the checks of ctest's package.deb
  help2man lintian
  # the web dashboard: node builds it (esbuild from npm, dashboard/package-lock.json) and
  # chromium runs its browser test (tests/integration/test_dashboard_browser.py)
  nodejs chromium
)
# `--bench` (make bench): rtpengine, the media benchmark's baseline (bench/media/run_media.py).
# It brings ffmpeg's libraries, which nothing else needs, so only on the benchmark's path.
if [ "${1:-}" = "--bench" ]; then packages+=(rtpengine-daemon); fi
# npm: Debian's package, unless the installed nodejs brings its own (as NodeSource's does; the
# two conflict).
if ! command -v npm >/dev/null; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Package lists may be stale or absent on a fresh machine: refresh them once, then install.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Only promtool is wanted: the package's own server would listen on every address (:9090).
# Tests never leave loopback and nothing should listen publicly that the admin did not ask for.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null &&
   [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  echo "install-deps: stopped and disabled prometheus.service (only promtool is used)"
fi
# Likewise redis-server: the tests start their own on a loopback port they choose.
if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null &&
   [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now redis-server.service >/dev/null 2>&1 || true
fi
# And rtpengine's daemon: the benchmark starts its own, in userspace, on loopback ports.
if [[ " ${missing[*]} " == *" rtpengine-daemon "* ]] && command -v systemctl >/dev/null &&
   [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now rtpengine-daemon.service >/dev/null 2>&1 || true
fi
