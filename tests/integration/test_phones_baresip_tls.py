#!/usr/bin/env python3
"""baresip 1.0 (Debian) over TLS to the public zone (issue 21, the interop matrix).

The account line asks for TLS (`;transport=tls` in its registrar URI); the public zone listens
on tls:// with a certificate of the test CA, whose CA certificate baresip is given through
`sip_cafile` (whether libre 1.0 verifies it is not what this test shows). baresip registers
(the PBX sees one authenticated REGISTER), dials 2002 (the PBX answers) and hangs up when it
quits. The CDR must be answered with leg A over TLS: that is what shows the call did not fall
back to UDP.
MD5 alone (`algorithms: [MD5]`): the SHA-256 learning is test_phones_baresip.py's subject.
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402
import tls_helpers  # noqa: E402
from test_phones_baresip import PHONE_IP, baresip_dir, run_baresip  # noqa: E402


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    check(shutil.which("baresip") is not None,
          "baresip is not installed (Debian: apt-get install baresip-core)")
    topo = gh.public_topology()
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    pki = tls_helpers.make_pki(ctx.workdir)
    tls_port = harness.free_port()
    extra = gh.phones_extra(topo)
    extra["public"]["listen"].append(f"tls://{topo.host}:{tls_port}")
    extra["tls"] = {"certificate": pki["server"][0], "private_key": pki["server"][1]}
    sut = ctx.sut(topo, extra=extra)
    gh.add_account(ctx, sut, "201")
    sut.start()
    config_dir = baresip_dir(ctx, topo, harness.free_port(PHONE_IP))
    accounts = os.path.join(config_dir, "accounts")
    with open(accounts) as f:
        line = f.read().strip()
    with open(accounts, "w") as f:
        f.write(line.replace(f":{topo.public_side}>;auth_pass",
                             f":{tls_port};transport=tls>;auth_pass") + "\n")
    with open(os.path.join(config_dir, "config"), "a") as f:
        f.write(f"sip_cafile {pki['ca']}\n")

    proc, out = run_baresip(ctx, "baresip-tls", config_dir, 6, ["/dial 2002"])
    pbx.wait_for(lambda m: not m.is_response and m.method == "REGISTER", timeout=10,
                 what="baresip's REGISTER at the PBX")
    pbx.wait_for(lambda m: not m.is_response and m.method == "INVITE", timeout=10,
                 what="baresip's INVITE at the PBX")
    rows = sut.wait_for_cdrs(lambda rs: any(r.get("end_time") for r in rs), timeout=25,
                             what="the baresip call's CDR with an end")
    harness.stop_process(proc, 10)
    row = rows[-1]
    log(f"CDR: {row.get('disposition')} {row.get('sip_code')} A over {row.get('a_transport')}")
    check(row.get("disposition") == "answered", f"the call must be answered: {row}")
    check(row.get("a_transport") == "tls", f"leg A must be TLS: {row.get('a_transport')!r}")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
