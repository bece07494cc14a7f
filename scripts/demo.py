#!/usr/bin/env python3
"""`make demo`: the gateway with its dashboard, traffic and attacks, all on loopback.

- trunkguard with the admin API and dashboard on 127.0.0.1 (port 8080, or a free one), a PBX
  zone, a trunk and a public zone for remote phones (account 201, MD5 digest only, which is
  what sipvicious speaks);
- sipp as the provider (answers every call) and as the PBX (a call a second, each 20 s long);
- every 20 s, from a new loopback address each time: svmap scans the public zone (the scanner
  filter bans it), and svcrack guesses account 201's password from a word list (the lockout
  locks the account and bans the source).

Prints the dashboard's URL, the admin `demo`'s TOTP secret and its current code (codes are
single-use; a new one is printed every 30 s). Ctrl-C (or --duration) stops everything.
Uses the integration tests' harness (tests/integration/harness.py) to run the peers.
"""
import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
sys.dont_write_bytecode = True
import guard_helpers as gh  # noqa: E402
import harness  # noqa: E402
from test_admin_api import add_admin, totp  # noqa: E402

ATTACK_PERIOD_S = 20
GUESSES = ["123456", "password", "1234", "qwerty", "201", "letmein", "admin", "secret",
           "000000", "sip201"]


class Ctx:
    """What guard_helpers' tool runners need of a test context."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir


def admin_port(preferred=8080):
    return preferred if not harness.port_in_use("127.0.0.1", preferred, tcp=True) \
        else harness.free_port()


def attacks(ctx, topo, stop, wordlist):
    """svmap and svcrack from a fresh loopback address every period, until stopped."""
    n = 0
    while not stop.is_set():
        scanner = f"127.0.1.{10 + n % 200}"
        cracker = f"127.0.2.{10 + n % 200}"
        try:
            gh.run_tool(ctx, f"svmap-{n}", ["svmap", "-b", scanner, "-p", str(topo.public_side),
                                            "-t", "0.5", topo.host], timeout=60)
            gh.run_tool(ctx, f"svcrack-{n}", ["svcrack", "-b", cracker, "-p",
                                              str(topo.public_side), "-u", "201", "-d", wordlist,
                                              topo.host], timeout=60)
            print(f"demo: attack round {n + 1}: svmap from {scanner}, svcrack from {cracker}",
                  flush=True)
        except Exception as e:  # a tool timing out must not end the demo
            print(f"demo: attack round {n + 1}: {e}", flush=True)
        n += 1
        stop.wait(ATTACK_PERIOD_S)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary", help="the trunkguard executable")
    p.add_argument("--duration", type=float, default=0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    p.add_argument("--port", type=int, default=0, help="the dashboard's port (default 8080)")
    args = p.parse_args()
    harness.log = gh.log = lambda message: None  # the harness chatter stays out of the demo
    workdir = tempfile.mkdtemp(prefix="tg-demo-")
    ctx = Ctx(os.path.abspath(args.binary), workdir)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    topo = gh.public_topology()
    port = args.port or admin_port()
    extra = gh.phones_extra(topo, accounts={"algorithms": ["MD5"]})
    extra["admin"] = {"listen": f"127.0.0.1:{port}"}
    gw = harness.Gateway(ctx.binary, workdir, topo, extra=extra)
    gh.add_account(ctx, gw, "201", "Wx4$hTq8!nBv3Z-demo")
    gw.start()
    secret = add_admin(gw, "demo")

    provider = harness.Sipp("provider", "uas_basic.xml", workdir, local_ip=topo.prov1_host,
                            local_port=topo.prov1_port, timeout_s=10 ** 6)
    pbx = harness.Sipp("pbx", "uac_basic.xml", workdir, local_ip=topo.pbx_host,
                       local_port=topo.pbx_port, remote=topo.pbx_side_addr(),
                       service=topo.dialled, rate=1, duration_ms=20000, timeout_s=10 ** 6,
                       trace_msg=False)
    provider.start()
    provider.wait_listening()
    pbx.start()
    wordlist = os.path.join(workdir, "guesses.txt")
    with open(wordlist, "w") as f:
        f.write("\n".join(GUESSES) + "\n")
    attacker = threading.Thread(target=attacks, args=(ctx, topo, stop, wordlist), daemon=True)
    attacker.start()

    print(f"""
trunkguard demo (files in {workdir})
  dashboard:  http://127.0.0.1:{port}/
  admin:      demo
  TOTP secret {secret} (add it to an authenticator app, or use the codes below)
  PBX calls a second through the gateway; svmap and svcrack attack the public zone
  (udp 127.0.0.1:{topo.public_side}) every {ATTACK_PERIOD_S} s. Ctrl-C stops the demo.
""", flush=True)
    started = time.time()
    shown = None
    try:
        while not stop.is_set():
            if args.duration and time.time() - started > args.duration:
                break
            code = totp(secret)
            if code != shown:
                left = 30 - int(time.time()) % 30
                print(f"  one-time login code for demo: {code} (valid {left} s more)", flush=True)
                shown = code
            if not gw.alive():
                print("demo: the gateway stopped; its log:\n" + harness.tail(gw.stderr_path),
                      flush=True)
                break
            stop.wait(1)
    finally:
        stop.set()
        pbx.stop()
        provider.stop()
        gw.stop(require_clean=False)
        harness.cleanup_processes()
        shutil.rmtree(workdir, ignore_errors=True)
        print("demo: stopped", flush=True)


if __name__ == "__main__":
    main()
