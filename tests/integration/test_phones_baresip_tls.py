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
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
import guard_helpers as gh  # noqa: E402
from test_phones_baresip import (  # noqa: E402
    PHONE_IP, add_tls_listener, baresip_dir, registered_call)


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    check(shutil.which("baresip") is not None,
          "baresip is not installed (Debian: apt-get install baresip-core)")
    topo = gh.public_topology()
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    extra = gh.phones_extra(topo)
    pki, tls_port = add_tls_listener(ctx, topo, extra)
    sut = ctx.sut(topo, extra=extra)
    gh.add_account(ctx, sut, "201")
    sut.start()
    config_dir = baresip_dir(ctx, topo, harness.free_port(PHONE_IP), transport="tls",
                             registrar_port=tls_port, config_lines=[f"sip_cafile {pki['ca']}"])

    registered_call(ctx, sut, pbx, "baresip-tls", config_dir, transport="tls")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
