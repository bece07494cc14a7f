#!/usr/bin/env python3
"""A provider that wants digest authentication (trunk_uas_auth.xml, sipp's verifyauth):

1. trunkguard registers with the credentials only it holds (password from a file), answering
   the 401, and refreshes before the 10 s the provider grants run out.
2. Calls from the PBX succeed: the provider's 401 to each INVITE is answered by trunkguard with
   the stored credentials; the PBX never sees a 401 or 407.
3. The password appears in no log line and in nothing sent to the PBX.
4. A provider whose credentials are refused (a second 401 after answering) is skipped: the call
   completes on the next provider.
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

SECRET = "Sup3r-S3cret-t0ken-42"
USER = "trunk1"
GRANTED_S = 10  # the provider's Expires: trunkguard refreshes at 80% (8 s)


def registrations(sut):
    """The 'registered at' lines of the gateway's log, in order."""
    try:
        with open(sut.stderr_path, encoding="utf-8", errors="replace") as f:
            return [line for line in f if "registered at" in line]
    except OSError:
        return []


def wait_registrations(sut, n, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(registrations(sut)) >= n:
            return
        time.sleep(0.2)
    raise harness.TestFailure(f"expected {n} successful registrations within {timeout:.0f}s, "
                              f"the log shows {len(registrations(sut))}")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("provider registration and challenges (trunkguard only)")
        return
    topo = harness.Topology()
    secret_file = os.path.join(ctx.workdir, "carrier-a.secret")
    with open(secret_file, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(secret_file, 0o600)
    wrong_file = os.path.join(ctx.workdir, "carrier-b.secret")
    with open(wrong_file, "w") as f:
        f.write("not-the-password\n")
    os.chmod(wrong_file, 0o600)
    providers = [
        # Priority 5: tried first, but its password is wrong (step 4 only).
        {"name": "carrier-b", "host": topo.prov2_host, "port": topo.prov2_port,
         "transport": "udp", "priority": 5, "allow_plaintext": True,
         "auth": {"username": USER, "password_file": wrong_file}},
        {"name": "carrier-a", "host": topo.prov1_host, "port": topo.prov1_port,
         "transport": "udp", "priority": 10, "allow_plaintext": True,
         "auth": {"username": USER, "password_file": secret_file, "register": True,
                  "expires_s": 60}},
    ]
    keys = ["-key", "user", USER, "-key", "expires", str(GRANTED_S)]
    provider = ctx.sipp("carrier-a", "trunk_uas_auth.xml", local_ip=topo.prov1_host,
                        local_port=topo.prov1_port, timeout_s=60,
                        extra=keys + ["-key", "password", SECRET])
    wrong = ctx.sipp("carrier-b", "trunk_uas_auth.xml", local_ip=topo.prov2_host,
                     local_port=topo.prov2_port, timeout_s=60,
                     extra=keys + ["-key", "password", "the-real-one-is-elsewhere"])
    provider.start()
    wrong.start()
    provider.wait_listening()
    wrong.wait_listening()
    sut = ctx.sut(topo, t1_ms=100, providers=providers, log_level="debug").start()

    # 1. Registration, then its refresh.
    wait_registrations(sut, 1, timeout=5)
    first = time.time()
    log("registered with carrier-a")

    # 2 + 4. Calls: carrier-b refuses the credentials, carrier-a takes them.
    uac = ctx.sipp("pbx", "uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=2, rate=2,
                   duration_ms=300, timeout_s=30)
    uac.start()
    uac_r = uac.wait()
    log(uac_r.describe())
    harness.expect_calls(uac_r, 2, what="calls through challenging providers")
    for status in (401, 407):
        check(not uac.received(status=status), f"the PBX saw a provider's {status}")

    wait_registrations(sut, 2, timeout=max(1.0, GRANTED_S + 3 - (time.time() - first)))
    log("the registration was refreshed")

    provider.stop()
    wrong.stop()
    regs = harness.distinct_requests(provider.received("REGISTER"))
    check(len(regs) >= 3, f"carrier-a saw {len(regs)} REGISTERs, expected the first, its "
          "authorized retry and a refresh")
    check(not regs[0].header("Authorization"), "the first REGISTER carried credentials already")
    check(all(m.header("Authorization") for m in regs[1:]),
          "a REGISTER after the challenge had no Authorization")
    check(len({m.call_id for m in regs}) == 1, "refreshes must keep the registration's Call-ID")
    invites = harness.distinct_requests(provider.received("INVITE"))
    check(len(invites) == 4, f"carrier-a saw {len(invites)} INVITEs, expected 2 calls x "
          "(challenged + authorized)")
    for plain, authed in zip(invites[0::2], invites[1::2]):
        check(not plain.header("Authorization") and authed.header("Authorization"),
              "each call: the first INVITE without, the second with credentials")
        check(plain.call_id == authed.call_id and plain.tag("From") == authed.tag("From"),
              "the authorized INVITE must keep the Call-ID and From tag")
        check(authed.cseq[0] == plain.cseq[0] + 1, f"CSeq {plain.cseq} then {authed.cseq}")
    refused = harness.distinct_requests(wrong.received("INVITE"))
    check(len(refused) == 4, f"carrier-b saw {len(refused)} INVITEs, expected 2 calls x 2 "
          "(one answer per challenge, then give up)")

    for path in (sut.stderr_path, sut.stdout_path, uac.message_path):
        with open(path, encoding="utf-8", errors="replace") as f:
            check(SECRET not in f.read(), f"the provider password appears in {path}")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
