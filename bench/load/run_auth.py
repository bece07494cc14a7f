#!/usr/bin/env python3
"""Remote-phone authentication cost (issue 6), trunkguard next to Kamailio 5.6 in one run.

    sipp phone --REGISTER, 401, REGISTER + Authorization--> SUT --REGISTER--> sipp PBX (200)

1. CPU per authenticated REGISTER: the same sipp phone (scenarios/phone_register.xml, MD5
   digest, challenge and answer, one account) at --rate REGISTERs/s for --duration s against
   trunkguard (public.auth.mode gateway: digest check against its SQLite accounts, Contact
   rewritten, binding kept, relayed to the PBX) and against Kamailio (auth + auth_db over
   db_text with a stored HA1, nonce_count replay protection, qop=auth, then t_relay to the
   same PBX). SUT CPU is utime+stime from /proc over the run, divided by the successful
   registrations; the line "cpu per register: trunkguard X us, kamailio Y us, ratio Y/X".
2. Memory under credential stuffing: --failures failed REGISTERs (wrong passwords on valid
   nonces, so each one is counted by the lockout) from --sources different 127.x.y.z
   addresses against a fresh trunkguard; its RSS before and after.

Both SUTs run one SIP worker (Kamailio: one UDP child). Rate limits and scanner detection are
off in trunkguard, so every request reaches authentication.
"""
import argparse
import hashlib
import os
import re
import select
import shutil
import socket
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import harness  # noqa: E402
import guard_helpers as gh  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
REALM = "tg.test"
USER = "201"
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / CLK_TCK


def children(pid):
    out = [pid]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


def udp_rcvbuf_errors():
    """Datagrams the kernel dropped for full receive buffers (all sockets)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(dict(zip(rows[0][1:], rows[1][1:])).get("RcvbufErrors", 0))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


KAMAILIO_CFG = """#!KAMAILIO
debug=0
log_stderror=yes
children=1
auto_aliases=no
mpath="{modules}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
modparam("auth", "secret", "{secret}")
modparam("auth", "qop", "auth")
modparam("auth", "nonce_count", 1)
modparam("auth", "nonce_expire", 300)
modparam("auth_db", "db_url", "text://{dbdir}")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "load_credentials", "")
request_route {{
  if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
  if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
  if (is_method("REGISTER")) {{
    if (!www_authenticate("{realm}", "subscriber")) {{
      www_challenge("{realm}", "1");
      exit;
    }}
    consume_credentials();
    $du = "sip:{pbx}";
    if (!t_relay()) sl_reply_error();
    exit;
  }}
  sl_send_reply("405", "Method Not Allowed");
}}
"""


def start_kamailio(workdir, port, pbx_addr, password):
    dbdir = os.path.join(workdir, "dbtext")
    os.makedirs(dbdir, exist_ok=True)
    with open(os.path.join(dbdir, "version"), "w") as f:
        f.write("table_name(string) table_version(int)\nsubscriber:7\n")
    ha1 = hashlib.md5(f"{USER}:{REALM}:{password}".encode()).hexdigest()
    with open(os.path.join(dbdir, "subscriber"), "w") as f:
        f.write("id(int,auto) username(string) domain(string) password(string) "
                "ha1(string) ha1b(string)\n")
        f.write(f"1:{USER}:{REALM}:x:{ha1}:{ha1}\n")
    cfg = os.path.join(workdir, "kamailio-auth.cfg")
    with open(cfg, "w") as f:
        f.write(KAMAILIO_CFG.format(modules=KAMAILIO_MODULES, secret=uuid.uuid4().hex,
                                    dbdir=dbdir, realm=REALM, pbx=f"{pbx_addr[0]}:{pbx_addr[1]}"))
    rundir = os.path.join(workdir, "kamailio-run")
    os.makedirs(rundir, exist_ok=True)
    log_path = os.path.join(workdir, "kamailio.log")
    proc = harness.spawn(["kamailio", "-f", cfg, "-l", f"udp:127.0.0.1:{port}", "-m", "256",
                          "-M", "32", "-n", "1", "-DD", "-E", "-Y", rundir, "-w", workdir],
                         "kamailio", log_path, log_path, cwd=workdir)
    harness.wait_for_options_200(("127.0.0.1", port), 10, proc, "kamailio")
    return proc


def register_load(workdir, name, sut_addr, pids, rate, duration, phone_ip="127.0.0.30"):
    calls = int(rate * duration)
    s = harness.Sipp(name, "phone_register.xml", workdir, local_ip=phone_ip,
                     local_port=harness.free_port(phone_ip), remote=sut_addr, service=USER,
                     calls=calls, rate=rate, timeout_s=int(duration) + 30, trace_msg=False,
                     extra=["-au", USER, "-ap", gh.PHONE_PASSWORD])
    cpu0 = cpu_seconds(pids)
    t0 = time.time()
    s.start()
    r = s.wait()
    elapsed = time.time() - t0
    cpu = cpu_seconds(pids) - cpu0
    ok = r.successful
    us = cpu * 1e6 / ok if ok else None
    print(f"  {name}: {ok}/{calls} registrations in {elapsed:.1f}s, failed {r.failed}, "
          f"SUT cpu {cpu:.2f}s = {us:.1f} us/register" if us else
          f"  {name}: no successful registration ({r.describe()})", flush=True)
    return us


def stuffing(sut_addr, failures, sources, timeout=0.5):
    """Failed REGISTERs with wrong passwords on valid nonces from `sources` addresses."""
    per_source = max(1, failures // sources)
    sent = 0
    t0 = time.time()
    uri = f"sip:{sut_addr[0]}:{sut_addr[1]}"
    for i in range(sources):
        ip = f"127.{10 + (i >> 16) % 200}.{(i >> 8) & 255}.{(i & 255) or 1}"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((ip, 0))
        except OSError:
            s.close()
            continue
        port = s.getsockname()[1]
        call_id = uuid.uuid4().hex
        user = f"{100 + i % 900}"

        def request(cseq, auth=None):
            hs = [("Via", f"SIP/2.0/UDP {ip}:{port};branch={harness.new_branch()};rport"),
                  ("Max-Forwards", "70"), ("From", f"<sip:{user}@{sut_addr[0]}>;tag=s{i}"),
                  ("To", f"<sip:{user}@{sut_addr[0]}>"), ("Call-ID", call_id),
                  ("CSeq", f"{cseq} REGISTER"), ("Contact", f"<sip:{user}@{ip}:{port}>")]
            if auth:
                hs.append(("Authorization", auth))
            return harness.build_message(f"REGISTER {uri} SIP/2.0", hs)

        s.sendto(request(1), sut_addr)
        ready, _, _ = select.select([s], [], [], timeout)
        if not ready:
            s.close()
            continue
        m = re.search(r'nonce="([^"]+)"', s.recv(65535).decode("utf-8", "replace"))
        if not m:
            s.close()
            continue
        nonce = m.group(1)
        for k in range(per_source):
            nc = f"{k + 1:08x}"
            ha1 = hashlib.md5(f"{user}:{REALM}:wrong{k}".encode()).hexdigest()
            ha2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
            resp = hashlib.md5(f"{ha1}:{nonce}:{nc}:c0ffee:auth:{ha2}".encode()).hexdigest()
            auth = (f'Digest username="{user}", realm="{REALM}", nonce="{nonce}", uri="{uri}", '
                    f'response="{resp}", algorithm=MD5, qop=auth, nc={nc}, cnonce="c0ffee"')
            s.sendto(request(k + 2, auth), sut_addr)
            sent += 1
        # Drain what came back so the socket buffers do not fill.
        while select.select([s], [], [], 0.0)[0]:
            s.recv(65535)
        s.close()
        if i % 5000 == 0 and i:
            print(f"    {sent} failed attempts from {i} sources ({time.time() - t0:.0f}s)",
                  flush=True)
    return sent, time.time() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--rate", type=float, default=1000, help="REGISTERs per second")
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--failures", type=int, default=200000)
    p.add_argument("--sources", type=int, default=40000)
    p.add_argument("--sut", choices=("both", "trunkguard", "kamailio", "none"), default="both",
                   help="who gets the REGISTER load (none: only the stuffing run)")
    p.add_argument("--skip-stuffing", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    p.add_argument("--max-tracked", type=int, default=None,
                   help="accounts.lockout.max_tracked for the stuffing run (default 100000)")
    p.add_argument("--settle", type=float, default=65,
                   help="seconds to wait after the stuffing run before the last RSS sample")
    args = p.parse_args()
    workdir = tempfile.mkdtemp(prefix="tg-bench-auth-")
    print(f"working directory {workdir}", flush=True)
    results = {}
    try:
        topo = gh.public_topology()
        pbx = harness.Sipp("pbx", "phone_pbx_registrar.xml", workdir, local_ip=topo.pbx_host,
                           local_port=topo.pbx_port, timeout_s=3600, trace_msg=False)
        pbx.start()
        pbx.wait_listening()
        guard = {"scanner": {"enabled": False}, "rate_limit": {"enabled": False}}
        if args.sut in ("both", "trunkguard"):
            gw = harness.Gateway(args.binary, workdir, topo, log_level="warn",
                                 extra=gh.phones_extra(topo, guard=guard))
            ctx = type("Ctx", (), {"workdir": workdir, "binary": args.binary})()
            gh.add_account(ctx, gw, USER)
            gw.start()
            results["trunkguard"] = register_load(workdir, "trunkguard", (topo.host,
                                                  topo.public_side), [gw.pid], args.rate,
                                                  args.duration)
            gw.stop()
        if args.sut in ("both", "kamailio") and shutil.which("kamailio"):
            port = harness.free_port()
            k = start_kamailio(workdir, port, (topo.pbx_host, topo.pbx_port), gh.PHONE_PASSWORD)
            results["kamailio"] = register_load(workdir, "kamailio", ("127.0.0.1", port),
                                                children(k.pid), args.rate, args.duration)
            harness.stop_process(k)
        if results.get("trunkguard") and results.get("kamailio"):
            print(f"cpu per register: trunkguard {results['trunkguard']:.1f} us, kamailio "
                  f"{results['kamailio']:.1f} us, ratio "
                  f"{results['kamailio'] / results['trunkguard']:.2f}", flush=True)
        pbx.stop()

        if not args.skip_stuffing and args.sut != "kamailio":
            topo2 = gh.public_topology()
            accounts = {"algorithms": ["MD5"]}
            if args.max_tracked:
                accounts["lockout"] = {"max_tracked": args.max_tracked}
            gw = harness.Gateway(args.binary, workdir, topo2, name="stuffing", log_level="warn",
                                 db_path=os.path.join(workdir, "stuffing.db"),
                                 extra=gh.phones_extra(topo2, accounts=accounts, guard=guard))
            ctx = type("Ctx", (), {"workdir": workdir, "binary": args.binary})()
            gh.add_account(ctx, gw, USER)
            gw.start()
            time.sleep(1)
            before = rss_kb(gw.pid)
            drops0 = udp_rcvbuf_errors()
            sent, took = stuffing((topo2.host, topo2.public_side), args.failures, args.sources)
            time.sleep(2)
            after = rss_kb(gw.pid)
            # Transactions linger 64*T1 (32 s) after their answer; the gateway trims the heap
            # every 30 s: what is left after that is the lockout and nonce bookkeeping.
            time.sleep(args.settle)
            settled = rss_kb(gw.pid)
            dropped = udp_rcvbuf_errors() - drops0
            print(f"credential stuffing: {sent} failed REGISTERs from {args.sources} sources in "
                  f"{took:.0f}s; trunkguard RSS {before / 1024:.1f} MiB before, "
                  f"{after / 1024:.1f} MiB just after, {settled / 1024:.1f} MiB "
                  f"{args.settle:.0f} s later; {dropped} datagrams dropped by the kernel "
                  f"(full receive buffers)", flush=True)
            gw.stop()
    finally:
        harness.cleanup_processes()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
