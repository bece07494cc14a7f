#!/usr/bin/env python3
"""Broken requests and STUN floods go through the guard chain (issue 12, item 3).

1. A source on the public zone sends 100 INVITEs the validator refuses (CSeq "abc") in ten
   bursts over three seconds. They are answered 400 only while the source is within its
   INVITE rate, the 400s count toward its scanner score, and it ends up banned; the log says
   so in at most two lines (one per source per events.repeat_interval, with a count).
2. Another source sends 30 STUN Binding requests at once: only its OPTIONS budget (5 a
   second by default) is answered.
3. The gateway still answers an ordinary OPTIONS from a third source.
"""
import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, new_branch, new_tag
import guard_helpers as gh  # noqa: E402

FUZZER = "127.0.0.71"
STUNNER = "127.0.0.72"
BYSTANDER = "127.0.0.73"
COOKIE = 0x2112A442


def broken_invite(sock, pub, i):
    lhost, lport = sock.getsockname()
    return build_message(f"INVITE sip:1000@{pub[0]}:{pub[1]} SIP/2.0", [
        ("Via", f"SIP/2.0/UDP {lhost}:{lport};branch={new_branch()};rport"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:fuzz@{lhost}>;tag={new_tag()}"),
        ("To", f"<sip:1000@{pub[0]}>"),
        ("Call-ID", f"fuzz{i}-{new_tag()}"),
        ("CSeq", "abc INVITE"),
        ("Contact", f"<sip:fuzz@{lhost}:{lport}>"),
    ])


def drain(sock, seconds):
    """Every datagram that arrives within `seconds`."""
    got = []
    sock.settimeout(0.1)
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            got.append(sock.recv(65535))
        except socket.timeout:
            pass
    return got


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("the guard chain is a trunkguard feature")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    sut = ctx.sut(topo, extra=gh.guard_extra(topo)).start()

    # 1. The fuzzer.
    fuzz = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fuzz.bind((FUZZER, 0))
    answers = []
    for burst in range(10):
        for i in range(10):
            fuzz.sendto(broken_invite(fuzz, pub, burst * 10 + i), pub)
        answers += drain(fuzz, 0.3)
    answers += drain(fuzz, 0.5)
    fuzz.close()
    statuses = [harness.SipMessage(a).status for a in answers]
    log(f"the fuzzer's 100 broken INVITEs got {len(answers)} answers: {statuses}")
    check(all(s == 400 for s in statuses), f"expected only 400s, got {statuses}")
    check(0 < len(answers) <= 25, f"{len(answers)} of 100 broken INVITEs were answered; the "
          "per-source INVITE rate and the scanner must stop a flood of them")
    gh.wait_banned(ctx, sut, FUZZER)
    lines = []
    for path in (sut.stdout_path, sut.stderr_path):
        with open(path) as f:
            lines += [line for line in f if f"rejected a INVITE from {FUZZER}:" in line]
    log(f"{len(lines)} log lines about the fuzzer's rejections")
    check(1 <= len(lines) <= 2, f"{len(lines)} log lines for one source's rejections: "
          f"{lines[:3]}")

    # 2. The STUN flood.
    stun = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stun.bind((STUNNER, 0))
    for _ in range(30):
        stun.sendto(struct.pack("!HHI", 0x0001, 0, COOKIE) + os.urandom(12), pub)
    replies = drain(stun, 1.0)
    stun.close()
    log(f"30 STUN Binding requests got {len(replies)} answers")
    check(1 <= len(replies) <= 6, f"{len(replies)} of 30 STUN Binding requests were answered; "
          "the OPTIONS rate of the source (5/s) must limit them")

    # 3. Everyone else is still served.
    check(gh.options_answered(pub, BYSTANDER, timeout=2), "an ordinary OPTIONS went unanswered")
    check(sut.alive(), "the gateway died")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
