#!/usr/bin/env python3
"""public.auth.mode pbx: the PBX (a sipp UAS that challenges and checks with verifyauth)
authenticates remote phones; trunkguard relays their credentials and counts the PBX's
refusals with the same lockout (3 failures, per source).

1. A phone from 127.0.0.80 with the right password registers (through the PBX's challenge).
2. An attacker from 127.0.0.81 tries three wrong passwords: each is refused by the PBX and
   counted; the account is locked for that source (an auth.lockout security event).
3. The attacker now sends the right password: trunkguard withholds the credentials, the PBX
   challenges again, and the registration fails, exactly like a wrong password.
4. The phone from 127.0.0.80 still registers (the lock is per source), and calls the PBX: the
   PBX's own challenge (401) reaches the phone, and the phone's answer reaches the PBX in the
   dialog it challenged, so the call completes.
5. Credentials whose uri= names another Request-URI than the request's (an answer captured
   for one request, replayed on another): 400 from trunkguard, never relayed to the PBX,
   which could not tell since trunkguard rewrites the Request-URI.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402

FAILURES = 3


def register(ctx, topo, name, source, password, calls=1):
    pub = (topo.host, topo.public_side)
    s = ctx.sipp(name, "phone_register.xml", local_ip=source,
                 local_port=harness.free_port(source), remote=pub, service="201", calls=calls,
                 timeout_s=15, extra=["-au", "201", "-ap", password])
    s.start()
    r = s.wait()
    log(r.describe())
    return r


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    topo = gh.public_topology()
    pbx = ctx.sipp("pbx", "phone_pbx_challenge.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, timeout_s=120,
                   extra=["-key", "user", "201", "-key", "password", gh.PHONE_PASSWORD])
    pbx.start()
    pbx.wait_listening()
    sut = ctx.sut(topo, extra=gh.phones_extra(topo, mode="pbx", accounts={
        "lockout": {"failures": FAILURES, "per_source": True, "source_failures": 0}}))
    sut.start()

    r = register(ctx, topo, "phone-1", "127.0.0.80", gh.PHONE_PASSWORD)
    harness.expect_calls(r, 1, what="the right password through the PBX's challenge")

    r = register(ctx, topo, "attacker-wrong", "127.0.0.81", "Wrong-Guess-1!", calls=FAILURES)
    check(r.successful == 0 and r.failed == FAILURES,
          f"each wrong password must be refused: {r.describe()}")

    r = register(ctx, topo, "attacker-right", "127.0.0.81", gh.PHONE_PASSWORD)
    check(r.successful == 0, f"a locked source registered with the right password: "
          f"{r.describe()}")

    r = register(ctx, topo, "phone-2", "127.0.0.80", gh.PHONE_PASSWORD)
    harness.expect_calls(r, 1, what="another source is not locked out")

    call = ctx.sipp("phone-call", "phone_uac_call.xml", local_ip="127.0.0.80",
                    local_port=harness.free_port("127.0.0.80"),
                    remote=(topo.host, topo.public_side), service="2002", calls=1,
                    duration_ms=200, timeout_s=20,
                    extra=["-au", "201", "-ap", gh.PHONE_PASSWORD, "-key", "caller", "201",
                           # the digest answer names the Request-URI, as a phone's does
                           "-auth_uri", f"2002@{topo.host}:{topo.public_side}"])
    call.start()
    harness.expect_calls(call.wait(), 1, what="a call authenticated by the PBX")

    events = gh.events(ctx, sut)
    rules = [e.get("rule") for e in events]
    check("auth.lockout" in rules,
          f"no auth.lockout event; rules: {sorted(set(filter(None, rules)))}")
    failures = [e for e in events if e.get("rule") == "auth.failure"]
    check(failures, "the PBX's refusals must be auth.failure events")
    # Credentials reached the PBX for phone-1, the three wrong guesses and phone-2 only: the
    # locked attacker's right password was withheld.
    with_credentials = {(m.call_id, m.cseq) for m in pbx.received(method="REGISTER")
                        if m.header("Authorization") is not None}
    check(len(with_credentials) == FAILURES + 2,
          f"the PBX saw {len(with_credentials)} REGISTERs with credentials, expected "
          f"{FAILURES + 2} (the locked source's must be stripped)")

    replayer = ctx.peer("replayer", "127.0.0.82")
    lhost, lport = replayer.addr
    pub = (topo.host, topo.public_side)
    replayer.send(harness.build_message(f"REGISTER sip:{pub[0]}:{pub[1]} SIP/2.0", [
        ("Via", f"SIP/2.0/UDP {lhost}:{lport};branch={harness.new_branch()};rport"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:201@{pub[0]}>;tag={harness.new_tag()}"),
        ("To", f"<sip:201@{pub[0]}>"),
        ("Call-ID", f"{harness.new_tag()}@{lhost}"),
        ("CSeq", "1 REGISTER"),
        ("Contact", f"<sip:201@{lhost}:{lport}>"),
        ("Authorization", 'Digest username="201", realm="asterisk", nonce="4f3a2b1c", '
                          f'uri="sip:2002@{pub[0]}:{pub[1]}", qop=auth, nc=00000001, '
                          'cnonce="0a4f113b", response="0123456789abcdef0123456789abcdef"'),
    ]), pub)
    r = replayer.wait_for(lambda m: m.is_response and m.status >= 200, timeout=5,
                          what="an answer to the replayed credentials")
    check(r.status == 400 and r.reason == "Digest URI Does Not Match Request-URI",
          f"credentials for another Request-URI must get 400, got {r.summary()}")
    relayed = {(m.call_id, m.cseq) for m in pbx.received(method="REGISTER")
               if m.header("Authorization") is not None}
    check(relayed == with_credentials, "the replayed credentials reached the PBX")
    sut.stop()
    pbx.stop()


if __name__ == "__main__":
    harness.run(test)
