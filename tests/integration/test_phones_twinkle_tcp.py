#!/usr/bin/env python3
"""twinkle 1.10 (Debian `twinkle-console`) over TCP to the public zone (issue 21, the interop
matrix): `sip_transport=tcp` in its profile, the public zone listening on tcp:// too; it
registers, calls 2002 (the PBX answers) and hangs up; the CDR is answered with leg A over TCP.
How twinkle runs headless: test_phones_twinkle.py."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from test_phones_twinkle import call_through  # noqa: E402


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    call_through(ctx, "tcp")


if __name__ == "__main__":
    harness.run(test)
