#!/usr/bin/env python3
"""STIR/SHAKEN verification of provider calls (docs/identity.md), with real peers.

A test CA and signer certificate are made for this run (tests/unit/identity/make_passports.py,
python3-cryptography); PASSporTs are signed by PyJWT (sign_passport.py); the signer's chain is
served over HTTPS by x5u_server.py on loopback (allowed by the test-only allow_private_x5u),
which counts what it serves.

1. sipp as carrier-a sends 2 signed calls, one after the other: both reach the PBX (sipp UAS)
   with ;verstat=TN-Validation-Passed on the From user; the certificate is fetched once (the
   second call is verified from the cache).
2. A PASSporT signed for another caller number is refused 438 (identity.on_failed: reject);
   the PBX never sees it.
3. A PASSporT whose claims were changed after signing (tampered) is refused 438 too.
4. A call without Identity (on_missing: continue) reaches the PBX. The CDRs record each
   admitted call's verification (`cdr list --json`: verstat, attestation A and B for the two
   signed calls, No-TN-Validation for the unsigned one; the refused calls have none), and
   `audit provider carrier-a` counts them: 2 of 3 signed and verified (A 1, B 1), 1 unsigned,
   so no PRV-SHAKEN-UNSIGNED.
"""
import base64
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

CALLER = "12155551212"  # the scenarios' From user, +12155551212
CALLEE = "2125550100"   # dialled (service); canonical 12125550100 with country code 1


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("STIR/SHAKEN verification is the gateway's, not a proxy's")
        return
    tools = os.path.join(ctx.source_dir, "tests", "unit", "identity")
    certs = os.path.join(ctx.workdir, "certs")
    os.makedirs(certs)
    subprocess.run(["/usr/bin/python3", os.path.join(tools, "make_passports.py"), certs,
                    str(int(time.time()))], check=True)
    server = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(tools, "x5u_server.py"), certs,
         os.path.join(certs, "server.pem"), os.path.join(certs, "server.key")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        port = int(server.stdout.readline())
        run(ctx, tools, certs, port)
    finally:
        server.stdin.close()
        server.terminate()
        server.wait(timeout=10)


def run(ctx, tools, certs, port):
    x5u = f"https://127.0.0.1:{port}/chain.pem"
    web = ssl.create_default_context(cafile=os.path.join(certs, "server_ca.pem"))

    def served():
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/count", context=web) as r:
            return int(r.read())

    def sign(orig, attest="A"):
        out = subprocess.run(
            ["/usr/bin/python3", os.path.join(tools, "sign_passport.py"),
             os.path.join(certs, "signer.key"), x5u, orig, "1" + CALLEE, str(int(time.time())),
             attest],
            check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def inf(name, tokens):
        path = os.path.join(ctx.workdir, name)
        with open(path, "w") as f:
            f.write("SEQUENTIAL\n")
            for t in tokens:
                f.write(f"{t};{x5u}\n")
        return path

    topo = harness.Topology()
    gateway = ctx.sut(topo, extra={"identity": {
        "enabled": True,
        "trust_bundle": os.path.join(certs, "trust.pem"),
        "fetch_ca_file": os.path.join(certs, "server_ca.pem"),
        "allow_private_x5u": True,
        "on_failed": "reject",
        "on_missing": "continue",
    }}).start()

    # 1. Two good calls, sequential (rate 1, one at a time): fetched once, then cached.
    good = inf("good.csv", [sign(CALLER), sign(CALLER, "B")])
    before = served()
    pbx = ctx.sipp("pbx", "uas_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   calls=2, timeout_s=60)
    prov = ctx.sipp("carrier-a", "identity_uac_call.xml", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port, remote=topo.trunk_side_addr(), service=CALLEE,
                    calls=2, rate=1, limit=1, duration_ms=300, timeout_s=60,
                    extra=("-inf", good))
    prov_r, (pbx_r,) = ctx.run_calls(prov, [pbx])
    log(prov_r.describe())
    harness.expect_calls(prov_r, 2, what="signed calls from carrier-a")
    harness.expect_calls(pbx_r, 2, what="PBX side")
    for m in pbx.received("INVITE"):
        frm = m.header("From", "")
        check(";verstat=TN-Validation-Passed@" in frm,
              f"the PBX's INVITE has From {frm!r}, expected ;verstat=TN-Validation-Passed")
    fetched = served() - before
    check(fetched == 1, f"the certificate was fetched {fetched} times for 2 calls, expected 1 "
          "(the second call should be verified from the cache)")

    # 2. and 3. A PASSporT for another caller, and one whose claims were changed after signing.
    wrong = sign("12155559999")
    h, p, s = sign(CALLER).split(".")
    claims = json.loads(unb64url(p))
    claims["attest"] = "C" if claims["attest"] != "C" else "A"
    tampered = ".".join([h, b64url(json.dumps(claims).encode()), s])
    bad = inf("bad.csv", [wrong, tampered])
    pbx2 = ctx.sipp("pbx-untouched", "uas_basic.xml", local_ip=topo.pbx_host,
                    local_port=topo.pbx_port, timeout_s=30)
    prov2 = ctx.sipp("carrier-a-bad", "identity_uac_reject.xml", local_ip=topo.prov1_host,
                     local_port=topo.prov1_port, remote=topo.trunk_side_addr(), service=CALLEE,
                     calls=2, rate=1, limit=1, timeout_s=60, extra=("-inf", bad))
    prov2_r, _ = ctx.run_calls(prov2, [pbx2])
    log(prov2_r.describe())
    harness.expect_calls(prov2_r, 2, what="wrong and tampered PASSporTs refused 438")
    check(not pbx2.received("INVITE"), "a call with a bad PASSporT reached the PBX")

    # 4. An unsigned call, then what the CDRs and audit provider say.
    pbx3 = ctx.sipp("pbx-unsigned", "uas_basic.xml", local_ip=topo.pbx_host,
                    local_port=topo.pbx_port, timeout_s=30)
    prov3 = ctx.sipp("carrier-a-unsigned", "uac_basic.xml", local_ip=topo.prov1_host,
                     local_port=topo.prov1_port, remote=topo.trunk_side_addr(), service=CALLEE,
                     calls=1, duration_ms=300, timeout_s=30)
    prov3_r, (pbx3_r,) = ctx.run_calls(prov3, [pbx3])
    harness.expect_calls(prov3_r, 1, what="an unsigned call from carrier-a")
    rows = gateway.wait_for_cdrs(lambda rows: len(rows) >= 3 and all(r["end_time"] for r in rows),
                                 what="3 ended CDRs")
    got = sorted((r["direction"], r["verstat"], r["attestation"]) for r in rows)
    check(got == [("inbound", "No-TN-Validation", ""), ("inbound", "TN-Validation-Passed", "A"),
                  ("inbound", "TN-Validation-Passed", "B")], f"CDR verification: {got}")
    r = subprocess.run([ctx.binary, "audit", "provider", "carrier-a", "-c", gateway.config_path,
                        "--json", "--cdr-days", "1", "--plaintext-port", str(harness.free_port()),
                        "--tls-port", str(harness.free_port())],
                       capture_output=True, text=True, timeout=90)
    report = json.loads(r.stdout)
    shares = [f for f in report["findings"] if f["id"].startswith("PRV-SHAKEN")]
    log(f"audit provider carrier-a: exit {r.returncode}: {shares}")
    check(len(shares) == 1 and shares[0]["id"] == "PRV-SHAKEN-SHARE", f"SHAKEN findings {shares}")
    check(shares[0]["evidence"].startswith(
          "3 inbound calls in the last 1 days: signed and verified 2 (66%) (attestation A 1, B 1, "
          "C 0), signed but failed verification 0 (0%), unsigned 1 (33%)"), shares[0]["evidence"])


if __name__ == "__main__":
    harness.run(test)
