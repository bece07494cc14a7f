"""Shared pieces of the perimeter-defense integration tests (test_guard_*.py): a gateway with a
public listener, the sipvicious tools, and the ban list as the CLI prints it."""
import json
import os
import shutil
import socket
import subprocess
import time

import harness
from harness import check, log


def public_topology():
    topo = harness.Topology()
    topo.public_side = harness.free_port()
    return topo


def guard_extra(topo, guard=None, more=None):
    """The `extra` config: a public UDP listener plus the given guard section."""
    extra = {"public": {"listen": [f"udp://{topo.host}:{topo.public_side}"]}}
    if guard is not None:
        extra["guard"] = guard
    extra.update(more or {})
    return extra


def trunkguard_cli(ctx, *args, check_rc=True, timeout=30):
    r = subprocess.run([ctx.binary, *args], capture_output=True, text=True, timeout=timeout)
    if check_rc:
        check(r.returncode == 0, f"`trunkguard {' '.join(args)}` exited {r.returncode}: "
              f"{(r.stderr or r.stdout).strip()[-500:]}")
    return r


def ban_list(ctx, sut):
    """The bans as `trunkguard ban list --json` prints them: a list of dicts with 'network'."""
    r = trunkguard_cli(ctx, "ban", "list", "--db", sut.db_path, "--json")
    try:
        rows = json.loads(r.stdout)
    except json.JSONDecodeError as e:
        raise harness.TestFailure(f"`ban list --json` printed invalid JSON ({e}): {r.stdout!r}")
    check(isinstance(rows, list), f"`ban list --json` printed {type(rows).__name__}")
    return rows


def banned_networks(ctx, sut):
    return {row["network"] for row in ban_list(ctx, sut)}


def wait_banned(ctx, sut, address, timeout=10.0):
    network = f"{address}/32"
    deadline = time.time() + timeout
    while True:
        nets = banned_networks(ctx, sut)
        if network in nets:
            return nets
        if time.time() > deadline:
            raise harness.TestFailure(f"{address} not banned after {timeout:.0f}s; bans: "
                                      f"{sorted(nets)}")
        time.sleep(0.25)


def events(ctx, sut, limit=500):
    r = trunkguard_cli(ctx, "events", "list", "--db", sut.db_path, "--json", "-n", str(limit))
    rows = json.loads(r.stdout)
    check(isinstance(rows, list), "`events list --json` must print a JSON array")
    return rows


def scanner_options(addr, source, user):
    """One OPTIONS from `source` (ip) as SIPVicious's svmap sends it (User-Agent
    friendly-scanner), From `user`; not waited for."""
    msg = harness.build_message(f"OPTIONS sip:100@{addr[0]}:{addr[1]} SIP/2.0", [
        ("Via", f"SIP/2.0/UDP {source}:5060;branch={harness.new_branch()}"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:{user}@{source}>;tag={harness.new_tag()}"),
        ("To", f"<sip:100@{addr[0]}>"),
        ("Call-ID", f"{harness.new_tag()}@{source}"),
        ("CSeq", "1 OPTIONS"),
        ("User-Agent", "friendly-scanner"),
    ])
    udp_send(source, addr, msg)


def options_answered(addr, source, timeout=0.7):
    """Whether an OPTIONS from `source` (ip) gets any answer from addr."""
    return harness.send_options(addr, timeout=timeout, source=(source, 0)) is not None


def sipvicious(tool):
    path = shutil.which(tool)
    check(path is not None, f"{tool} is not installed; run scripts/install-deps.sh "
          "(Debian package sipvicious)")
    return path


# sipvicious 0.3.3's svwar and svcrack read -b but never hand it to their socket, so they send
# from 127.0.0.1 (our PBX's address) whatever -b says. The real tool runs, with its scanner
# class told the address it was asked for.
_BIND_FIX = """
import sys
sys.path.insert(0, "/usr/share/sipvicious")
from sipvicious import {module} as tool
original = tool.{cls}.__init__
def bound(self, *args, **kwargs):
    kwargs["bindingip"] = {source!r}
    original(self, *args, **kwargs)
tool.{cls}.__init__ = bound
sys.argv = ["{module}"] + {argv!r}
sys.exit(tool.main())
"""
_UNBOUND = {"svwar": "TakeASip", "svcrack": "ASipOfRedWine"}


def run_tool(ctx, name, args, timeout=60):
    """Runs a sipvicious tool, returns its combined output (kept in the work dir)."""
    out_path = os.path.join(ctx.workdir, f"{name}.out")
    cmd = [sipvicious(args[0]), *args[1:]]
    if args[0] in _UNBOUND and "-b" in args:
        source = args[args.index("-b") + 1]
        cmd = ["python3", "-c", _BIND_FIX.format(module=args[0], cls=_UNBOUND[args[0]],
                                                 source=source, argv=list(args[1:]))]
    log("running " + " ".join(cmd))
    # sipvicious keeps its session state under ~/.sipvicious: isolate it per test.
    env = dict(os.environ, HOME=ctx.workdir)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                       cwd=ctx.workdir)
    text = (r.stdout or "") + (r.stderr or "")
    with open(out_path, "w") as f:
        f.write(text)
    return text


def svmap_found(output, host, port):
    """Devices svmap reports at host:port (its result table has one row per device)."""
    if "found nothing" in output:
        return 0
    return sum(1 for line in output.splitlines() if f"{host}:{port}" in line)


def svwar_extensions(output):
    """Extensions svwar reports (rows of its table: | 101 | reqauth |)."""
    found = []
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].isdigit():
            found.append(cells[0])
    return found


def udp_send(source, addr, data):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((source, 0))
        s.sendto(data if isinstance(data, bytes) else data.encode(), addr)
    finally:
        s.close()


# --- remote phones (test_phones_*.py) ---------------------------------------------------------

PHONE_PASSWORD = "Qz7!mKv2#Lp9wR"  # passes the default password policy


def phones_extra(topo, mode="gateway", accounts=None, guard=None, realm="tg.test"):
    """The `extra` config of a gateway with a public zone for remote phones."""
    extra = {"public": {"listen": [f"udp://{topo.host}:{topo.public_side}"],
                        "auth": {"mode": mode, "realm": realm}},
             "accounts": accounts or {"algorithms": ["MD5"]}}
    if guard is not None:
        extra["guard"] = guard
    return extra


def add_account(ctx, sut, user, password=PHONE_PASSWORD, *args):
    """`trunkguard account add USER --password-file F -c CONFIG --local-root` before the gateway
    starts (the tests run as root; an edit needs an admin or --local-root)."""
    sut.write_config()
    path = os.path.join(ctx.workdir, f"{user}.password")
    with open(path, "w") as f:
        f.write(password + "\n")
    trunkguard_cli(ctx, "account", "add", user, "--password-file", path, "-c", sut.config_path,
                   "--local-root", *args)


def account_list(ctx, sut):
    r = trunkguard_cli(ctx, "account", "list", "--json", "-c", sut.config_path)
    rows = json.loads(r.stdout)
    check(isinstance(rows, list), "`account list --json` must print a JSON array")
    return {row["username"]: row for row in rows}


def pbx_answering(peer, msg, addr):
    """RawPeer handler for a PBX that accepts every registration and answers every call."""
    if msg.is_response:
        return
    if msg.method == "REGISTER":
        contact = msg.header("Contact") or ""
        peer.send(harness.build_response(msg, 200, "OK", to_tag=harness.new_tag(),
                                         headers=[("Contact", contact), ("Expires", "600")]),
                  addr)
    elif msg.method == "INVITE":
        tag = harness.new_tag()
        peer.send(harness.build_response(msg, 100, "Trying"), addr)
        peer.send(harness.build_response(
            msg, 200, "OK", to_tag=tag,
            headers=[("Contact", f"<sip:pbx@{peer.addr[0]}:{peer.addr[1]}>"),
                     ("Content-Type", "application/sdp")],
            body=harness.sdp(port=41000)), addr)
    elif msg.method in ("BYE", "OPTIONS", "CANCEL"):
        peer.send(harness.build_response(msg, 200, "OK"), addr)


def pbx_calls_phone(pbx, topo, key, hold_s=0.2):
    """The PBX (a RawPeer) calls a registered phone by its binding key through the gateway's
    pbx side: INVITE, the phone's 200 relayed back, ACK, BYE after `hold_s`, its 200. Returns
    the Call-ID."""
    call_id = f"{harness.new_tag()}@pbx"
    from_tag = harness.new_tag()
    gw = topo.pbx_side_addr()
    here = f"{pbx.addr[0]}:{pbx.addr[1]}"

    def request(start_line, cseq, to, extra=(), body=""):
        return harness.build_message(start_line, [
            ("Via", f"SIP/2.0/UDP {here};branch={harness.new_branch()};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:2002@{pbx.addr[0]}>;tag={from_tag}"),
            ("To", to),
            ("Call-ID", call_id),
            ("CSeq", cseq),
        ] + list(extra), body)

    start = pbx.count()
    pbx.send(request(f"INVITE sip:{key}@{gw[0]}:{gw[1]} SIP/2.0", "1 INVITE",
                     f"<sip:{key}@{gw[0]}>",
                     [("Contact", f"<sip:2002@{here}>"), ("Content-Type", "application/sdp")],
                     harness.sdp(port=42000)), gw)
    answer = pbx.wait_for(lambda m: m.is_response and m.call_id == call_id and m.status == 200,
                          timeout=10, start=start, what="the phone's 200 relayed to the PBX")
    to = answer.header("To")
    target = answer.contact_uri()
    pbx.send(request(f"ACK {target} SIP/2.0", "1 ACK", to), gw)
    time.sleep(hold_s)
    pbx.send(request(f"BYE {target} SIP/2.0", "2 BYE", to), gw)
    pbx.wait_for(lambda m: m.is_response and m.call_id == call_id and m.cseq[1] == "BYE"
                 and m.status == 200, timeout=10, start=start, what="200 to the PBX's BYE")
    return call_id
