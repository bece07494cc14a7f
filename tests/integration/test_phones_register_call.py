#!/usr/bin/env python3
"""Remote phones through the public zone (public.auth.mode gateway), with sipp as the phone.

1. The phone registers with digest authentication (REGISTER, 401, REGISTER + Authorization,
   200): the PBX (a raw UDP peer) sees one REGISTER, already authenticated, whose Contact is
   trunkguard's (<sip:KEY@gateway pbx side>), with nothing of the phone in it; the phone's 200
   lists its own Contact.
2. The phone calls the PBX (INVITE, 407, ACK, INVITE + Proxy-Authorization, 200, ACK, BYE):
   the PBX gets the call from the account, without the phone's credentials.
3. The PBX calls the registered phone by the key it registered: the INVITE reaches the phone's
   sipp UAS at the address it registered from, and the call completes.
4. A wrong password never reaches the PBX.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402

PHONE_IP = "127.0.0.30"


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    sut = ctx.sut(topo, extra=gh.phones_extra(topo))
    gh.add_account(ctx, sut, "201")
    sut.start()

    # 1. REGISTER through the gateway's challenge.
    phone_port = harness.free_port(PHONE_IP)
    reg = ctx.sipp("phone-register", "phone_register.xml", local_ip=PHONE_IP,
                   local_port=phone_port, remote=pub, service="201", calls=1, timeout_s=20,
                   extra=["-au", "201", "-ap", gh.PHONE_PASSWORD])
    reg.start()
    harness.expect_calls(reg.wait(), 1, what="phone REGISTER with digest auth")
    registers = [m for m in pbx.messages() if m.method == "REGISTER"]
    check(len(registers) == 1, f"the PBX must see exactly one (authenticated) REGISTER, saw "
          f"{len(registers)}")
    seen = registers[0]
    contact = seen.contact_uri()
    log(f"the PBX saw Contact {contact}")
    key = contact[len("sip:"):].split("@")[0]
    check(key.startswith("tg") and contact.endswith(f"@{topo.host}:{topo.pbx_side}"),
          f"the Contact at the PBX must be trunkguard's pbx side with a binding key: {contact}")
    check(PHONE_IP not in seen.raw, f"the phone's address leaked to the PBX:\n{seen.raw}")
    check(seen.header("Authorization") is None, "the gateway's credentials must not cross")
    ok = [m for m in reg.received(status=200)]
    check(ok and f"{PHONE_IP}:{phone_port}" in (ok[-1].header("Contact") or ""),
          f"the phone's 200 must list its own Contact: {ok[-1].header('Contact') if ok else None}")

    # 2. The phone calls extension 2002 on the PBX.
    call = ctx.sipp("phone-call", "phone_uac_call.xml", local_ip=PHONE_IP, local_port=phone_port,
                    remote=pub, service="2002", calls=1, duration_ms=200, timeout_s=20,
                    extra=["-au", "201", "-ap", gh.PHONE_PASSWORD, "-key", "caller", "201",
                               # a phone answers for its Request-URI (RFC 7616 §3.4.6); sipp
                               # would answer for sip:host:port unless told
                               "-auth_uri", f"2002@{pub[0]}:{pub[1]}"])
    call.start()
    harness.expect_calls(call.wait(), 1, what="phone INVITE with digest auth")
    invites = [m for m in pbx.messages() if m.method == "INVITE"]
    check(len(invites) == 1, f"the PBX must get the call once, got {len(invites)} INVITEs")
    check((invites[0].header("From") or "").startswith("<sip:201@"),
          f"the call must come from the account: {invites[0].header('From')}")
    check(invites[0].header("Proxy-Authorization") is None, "the credentials must not cross")
    head = invites[0].raw.split("\r\n\r\n")[0]  # the SDP is relayed as is (no media relay yet)
    check(PHONE_IP not in head, f"the phone's address leaked to the PBX:\n{head}")

    # 3. The PBX calls the phone by the key it registered.
    uas = ctx.sipp("phone-uas", "uas_basic.xml", local_ip=PHONE_IP, local_port=phone_port,
                   calls=1, timeout_s=20)
    uas.start()
    uas.wait_listening()
    gh.pbx_calls_phone(pbx, topo, key)
    uas_result = uas.wait()
    harness.expect_calls(uas_result, 1, what="the PBX's call to the registered phone")
    got = uas.received(method="INVITE")
    check(got and got[0].uri.startswith(f"sip:201@{PHONE_IP}:{phone_port}"),
          f"the phone must get the INVITE at its own Contact: {got[0].uri if got else None}")

    # 4. A wrong password never reaches the PBX.
    before = len([m for m in pbx.messages() if m.method == "REGISTER"])
    bad = ctx.sipp("phone-wrong", "phone_register.xml", local_ip="127.0.0.31",
                   local_port=harness.free_port("127.0.0.31"), remote=pub, service="201",
                   calls=1, timeout_s=10, extra=["-au", "201", "-ap", "Wrong-Password-99"])
    bad.start()
    result = bad.wait()
    check(result.successful == 0, f"a wrong password registered: {result.describe()}")
    after = len([m for m in pbx.messages() if m.method == "REGISTER"])
    check(after == before, "a REGISTER with a wrong password reached the PBX")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
