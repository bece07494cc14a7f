#!/usr/bin/env python3
"""baresip 1.0 (Debian) with SRTP (SDES) over TLS to the public zone (issue 21, interop matrix).

The public zone's media is `srtp: optional` (its default). baresip loads its `srtp` module and
its account says `mediaenc=srtp-mand`, so it offers RTP/SAVP with a=crypto and refuses an
answer without one. It registers, dials 2002, the PBX (plain RTP) answers; baresip hangs up when
it quits. What must hold: the INVITE the PBX sees is plain RTP/AVP without a=crypto (the
phone's key stays on its leg), and the CDR names an SRTP suite on leg A (the gateway answered
the phone with its own a=crypto) and none on leg B, the call answered with leg A over TLS,
and the phone's SRTP (ausine's tone) relayed to the PBX.
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402
from test_phones_baresip import (  # noqa: E402
    PHONE_IP, add_tls_listener, baresip_dir, run_baresip)

PORT_MIN, PORT_MAX = 23800, 23899


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones and SRTP are trunkguard features")
        return
    check(shutil.which("baresip") is not None,
          "baresip is not installed (Debian: apt-get install baresip-core)")
    check(os.path.exists("/usr/lib/baresip/modules/srtp.so"),
          "baresip's srtp module is missing (Debian: baresip-core)")
    topo = gh.public_topology()
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    extra = gh.phones_extra(topo)
    pki, tls_port = add_tls_listener(ctx, topo, extra)
    extra["media"] = {"port_min": PORT_MIN, "port_max": PORT_MAX}
    sut = ctx.sut(topo, extra=extra)
    gh.add_account(ctx, sut, "201")
    sut.start()
    config_dir = baresip_dir(ctx, topo, harness.free_port(PHONE_IP), transport="tls",
                             registrar_port=tls_port, account_params=";mediaenc=srtp-mand",
                             config_lines=[f"sip_cafile {pki['ca']}", "module srtp.so"])

    proc, out = run_baresip(ctx, "baresip-srtp", config_dir, 6, ["/dial 2002"])
    invite = pbx.wait_for(lambda m: not m.is_response and m.method == "INVITE", timeout=10,
                          what="baresip's INVITE at the PBX")
    body = invite.body if isinstance(invite.body, str) else invite.body.decode(errors="replace")
    check("RTP/AVP" in body and "RTP/SAVP" not in body and "a=crypto" not in body,
          f"the PBX must get plain RTP without a=crypto:\n{body}")
    rows = sut.wait_for_cdrs(lambda rs: any(r.get("end_time") for r in rs), timeout=25,
                             what="the baresip call's CDR with an end")
    harness.stop_process(proc, 10)
    with open(out, errors="replace") as f:
        text = f.read()
    check("SRTP is Enabled" in text and "Call established" in text,
          f"baresip must say SRTP is on (the gateway answered with a=crypto) and the call up:\n"
          f"{text[-1500:]}")
    row = rows[-1]
    media = row.get("media") or {}
    log(f"CDR: {row.get('disposition')} {row.get('sip_code')} A over {row.get('a_transport')}, "
        f"media {media}")
    check(row.get("disposition") == "answered", f"the call must be answered: {row}")
    check(row.get("a_transport") == "tls", f"leg A must be TLS: {row.get('a_transport')!r}")
    check(media.get("srtp_a", "").startswith("AES_CM_128_HMAC_SHA1_"),
          f"leg A (the phone) must be SRTP: {media}")
    check(media.get("srtp_b") == "", f"leg B (the PBX) must be plain RTP: {media}")
    # The phone's SRTP authenticated with its key and went on to the PBX as RTP.
    check(media.get("packets_a_to_b", 0) >= 50, f"the phone's SRTP must be relayed: {media}")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
