#!/usr/bin/env python3
"""Overload protection end to end (guard.overload): the real loop's busy share drives it.

An OPTIONS flood from ten untrusted sources on the public zone (rate limits and the scanner
off, so nothing bans them and every datagram costs parsing) keeps the gateway's only worker
busier than cpu_percent (20). Then:
1. The log shows the level leaving normal (for shed_untrusted, or shed_all at once when the
   socket backlog is twice its mark).
2. New requests from an untrusted source get silence (probed a few times, since the level
   may step back for a sample while shedding makes the flood cheap), recorded as overload.shed
   security events.
3. The PBX, a trusted peer on its own zone, is still answered 200: the load is the public
   zone's, so turning the PBX away would relieve nothing (trusted peers are shed, with 503 and
   Retry-After, only when their zones carry a large share; unit-tested).
4. Once the flood stops, the level returns to normal and untrusted sources are answered again.
"""
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402

FLOODERS = [f"127.0.0.{n}" for n in range(71, 81)]

# Runs in its own process so that the probes here are not starved by the GIL.
FLOOD = r"""
import socket, sys, time
host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
socks = []
for ip in sys.argv[4:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 0))
    socks.append(s)
msgs = []
for i, s in enumerate(socks):
    lh, lp = s.getsockname()
    msgs.append((s, (f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
                     f"Via: SIP/2.0/UDP {lh}:{lp};branch=z9hG4bKflood{i}\r\n"
                     f"Max-Forwards: 70\r\nFrom: <sip:f@{lh}>;tag=f{i}\r\nTo: <sip:{host}>\r\n"
                     f"Call-ID: flood{i}@{lh}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                     ).encode()))
end = time.time() + seconds
while time.time() < end:
    for _ in range(200):
        for s, m in msgs:
            try:
                s.sendto(m, (host, port))
            except OSError:
                pass
"""


def wait_log(sut, text, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(sut.stderr_path, encoding="utf-8", errors="replace") as f:
            if text in f.read():
                return
        time.sleep(0.2)
    raise harness.TestFailure(f"{what}: no '{text}' in the gateway log within {timeout:.0f}s")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("overload shedding is a trunkguard feature")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    guard = {"rate_limit": {"enabled": False}, "scanner": {"enabled": False},
             "overload": {"cpu_percent": 20}}
    sut = ctx.sut(topo, extra=gh.guard_extra(topo, guard=guard)).start()
    check(gh.options_answered(pub, "127.0.0.90"), "an untrusted source must be answered at first")

    flood = subprocess.Popen([sys.executable, "-c", FLOOD, pub[0], str(pub[1]), "60"]
                             + FLOODERS)
    try:
        # shed_untrusted, or straight to shed_all when the socket backlog is twice the mark.
        wait_log(sut, "overload: normal -> shed_", 15, "under the flood")
        silent = 0
        for _ in range(6):
            silent += not gh.options_answered(pub, "127.0.0.91", timeout=0.5)
        log(f"{silent} of 6 untrusted probes got silence while overloaded")
        check(silent > 0, "an untrusted source was answered on every probe while overloaded")
        pbx_side = topo.pbx_side_addr()
        answer = harness.send_options(pbx_side, timeout=2.0, source=(topo.pbx_host, 0))
        check(answer is not None, "the PBX (trusted) got no answer while overloaded")
        check(answer.status == 200, f"the PBX got {answer.summary()} while only the public "
              "zone was flooded")
    finally:
        flood.kill()
        flood.wait()
    wait_log(sut, "-> normal", 20, "after the flood")
    deadline = time.time() + 10
    while not gh.options_answered(pub, "127.0.0.92", timeout=0.5):
        check(time.time() < deadline, "untrusted sources are still shed after the flood")
        time.sleep(0.5)
    rules = {e.get("rule") for e in gh.events(ctx, sut)}
    check("overload.shed" in rules, f"no overload.shed security event; rules: {rules}")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
