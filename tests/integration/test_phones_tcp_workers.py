#!/usr/bin/env python3
"""Remote phones over TCP, and with two workers (public.auth.mode gateway, sipp as the phones).

1. A phone registers over TCP (REGISTER, 401, REGISTER + Authorization, 200 on one
   connection) and calls the PBX over TCP: both reach the PBX (a raw UDP peer), authenticated,
   without the phone's address in the signalling.
2. A phone registers over UDP; the PBX then calls it six times by its binding key with fresh
   Call-IDs, which the two workers share out between them: every call reaches the phone, so
   the binding one worker made is seen by the other.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402

TCP_PHONE = "127.0.0.32"
UDP_PHONE = "127.0.0.33"
CALLS_TO_PHONE = 6


def register(ctx, name, ip, pub, transport, user):
    port = harness.free_port(ip)
    reg = ctx.sipp(name, "phone_register.xml", local_ip=ip, local_port=port, remote=pub,
                   transport=transport, service=user, calls=1, timeout_s=20,
                   extra=["-au", user, "-ap", gh.PHONE_PASSWORD])
    reg.start()
    harness.expect_calls(reg.wait(), 1, what=f"phone REGISTER over {name}")
    return port


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    extra = gh.phones_extra(topo)
    extra["public"]["listen"].append(f"tcp://{topo.host}:{topo.public_side}")
    sut = ctx.sut(topo, workers=2, extra=extra)
    gh.add_account(ctx, sut, "201")  # the TCP phone
    gh.add_account(ctx, sut, "202")  # the UDP phone (an account allows one registration)
    sut.start()

    # 1. Over TCP.
    port = register(ctx, "tcp", TCP_PHONE, pub, "t1", "201")
    registers = [m for m in pbx.messages() if m.method == "REGISTER"]
    check(len(registers) == 1, f"the PBX saw {len(registers)} REGISTERs, expected one")
    check(TCP_PHONE not in registers[0].raw, "the TCP phone's address leaked to the PBX")
    call = ctx.sipp("tcp-call", "phone_uac_call.xml", local_ip=TCP_PHONE, local_port=port,
                    remote=pub, transport="t1", service="2002", calls=1, duration_ms=200,
                    timeout_s=20,
                    extra=["-au", "201", "-ap", gh.PHONE_PASSWORD, "-key", "caller", "201",
                               # a phone answers for its Request-URI (RFC 7616 §3.4.6); sipp
                               # would answer for sip:host:port unless told
                               "-auth_uri", f"2002@{pub[0]}:{pub[1]}"])
    call.start()
    harness.expect_calls(call.wait(), 1, what="a call from the TCP phone")
    invites = [m for m in pbx.messages() if m.method == "INVITE"]
    check(len(invites) == 1, f"the PBX got {len(invites)} INVITEs for the TCP phone's call")
    check(invites[0].header("Proxy-Authorization") is None, "the credentials must not cross")

    # 2. Over UDP, called by the PBX through both workers.
    port = register(ctx, "udp", UDP_PHONE, pub, "u1", "202")
    key = [m for m in pbx.messages() if m.method == "REGISTER"][-1].contact_uri()
    key = key[len("sip:"):].split("@")[0]
    uas = ctx.sipp("udp-phone-uas", "uas_basic.xml", local_ip=UDP_PHONE, local_port=port,
                   calls=CALLS_TO_PHONE, timeout_s=30)
    uas.start()
    uas.wait_listening()
    for _ in range(CALLS_TO_PHONE):
        gh.pbx_calls_phone(pbx, topo, key, hold_s=0.1)
    harness.expect_calls(uas.wait(), CALLS_TO_PHONE, what="the PBX's calls to the UDP phone")
    log(f"{CALLS_TO_PHONE} calls reached the phone registered through one of two workers")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
