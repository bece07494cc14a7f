#!/usr/bin/env python3
"""`trunkguard audit provider NAME` against local TLS servers and a plaintext SIP peer.

Every audit here also reports the info PRV-SHAKEN-SHARE (the config's CDR database does not
exist: signing not judged); s_server speaks no SIP, so its audits add the info
PRV-SIP-NOT-PROBED unless the host answers in the clear; a TLS trunk's audit adds the info
PRV-TLS-OFFERED (the versions accepted and the cipher picked for each). SIP over TLS to a real
SIP peer: test_audit_provider_sip.py.

1. openssl s_server that accepts TLS 1.0/1.1 and NULL ciphers, with a raw SIP peer answering
   OPTIONS in the clear: PRV-TLS-OLD-VERSION (twice), PRV-TLS-WEAK-CIPHER,
   PRV-PLAINTEXT-ACCEPTED; exit 12.
2. openssl s_server with OpenSSL's defaults: nothing above info (exit 0) with
   --cert-warn-days 1 (the test certificates live 2 days); with the default 30 days,
   PRV-CERT-EXPIRING (exit 11).
3. The same server checked for a name its certificate does not carry: PRV-CERT-INVALID; and
   by its address (no server_name), which the certificate carries: nothing above info.
4. A udp provider whose host also speaks TLS: PRV-TLS-UNUSED.
5. udp providers answering REGISTER with a digest challenge and OPTIONS with their media
   capabilities: MD5 only and RTP/AVP only give PRV-DIGEST-MD5-ONLY and PRV-SRTP-NOT-OFFERED;
   SHA-256 (with MD5 after it) and RTP/SAVP with a=crypto give nothing.
6. An unknown provider name: exit 2, the known names listed.
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import tls_helpers  # noqa: E402


# The two info findings of a TLS host that answers no SIP (sorted).
INFO = ["PRV-SHAKEN-SHARE", "PRV-SIP-NOT-PROBED"]
# With the versions and ciphers a TLS trunk's host accepts (sorted).
TLS_INFO = INFO + ["PRV-TLS-OFFERED"]


def s_server(ctx, name, port, cert, *args):
    cmd = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert[0], "-key",
           cert[1], "-quiet", *args]
    out = os.path.join(ctx.workdir, f"{name}.log")
    proc = harness.spawn(cmd, name, out, out)
    tls_helpers.wait_tcp_listening(("127.0.0.1", port), proc, name)
    return proc


def audit(ctx, config, name, *args):
    r = subprocess.run([ctx.binary, "audit", "provider", name, "-c", config, "--json", *args],
                       capture_output=True, text=True, timeout=90)
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        raise harness.TestFailure(f"audit provider {name} printed no JSON (exit {r.returncode}):"
                                  f" {r.stdout[-300:]} {r.stderr[-300:]}")
    ids = sorted(f["id"] for f in report["findings"])
    log(f"audit provider {name} {' '.join(args)}: exit {r.returncode}, {ids}, "
        f"errors {report['errors']}")
    return r.returncode, report, ids


def options_answering(peer, msg, addr):
    if not msg.is_response and msg.method == "OPTIONS":
        peer.send(harness.build_response(msg, 200, "OK", to_tag="p1"), addr)


def sip_provider(algorithms, media):
    """A raw SIP provider: REGISTER gets 401 with one challenge per algorithm, OPTIONS gets
    200 with an SDP describing `media` ("RTP/AVP" or "RTP/SAVP" with a crypto line)."""
    sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           f"m=audio 0 {media} 0 8\r\n")
    if media == "RTP/SAVP":
        sdp += "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + "A" * 40 + "\r\n"

    def handler(peer, msg, addr):
        if msg.is_response:
            return
        if msg.method == "REGISTER":
            challenges = [("WWW-Authenticate", f'Digest realm="prov", nonce="n{i}", '
                           f'algorithm={a}, qop="auth"') for i, a in enumerate(algorithms)]
            peer.send(harness.build_response(msg, 401, "Unauthorized", to_tag="r1",
                                             headers=challenges), addr)
        elif msg.method == "OPTIONS":
            peer.send(harness.build_response(msg, 200, "OK", to_tag="o1",
                                             headers=[("Content-Type", "application/sdp")],
                                             body=sdp), addr)
    return handler


def test(ctx):
    pki = tls_helpers.make_pki(ctx.workdir)
    weak_port, strong_port, silent_port, udp_port = harness.free_ports(4)
    s_server(ctx, "weak-tls", weak_port, pki["server"], "-cipher", "ALL:eNULL:@SECLEVEL=0",
             "-min_protocol", "TLSv1")
    s_server(ctx, "strong-tls", strong_port, pki["server"])
    plain = ctx.peer("plaintext-sip", handler=options_answering)
    md5_peer = ctx.peer("md5-provider", handler=sip_provider(["MD5"], "RTP/AVP"))
    sha_peer = ctx.peer("sha-provider", handler=sip_provider(["SHA-256", "MD5"], "RTP/SAVP"))

    def provider(name, port, transport="tls", server_name="localhost"):
        p = {"name": name, "host": "127.0.0.1", "port": port, "transport": transport}
        if transport == "tls":
            p["tls"] = {"ca_file": pki["ca"]}
            if server_name:
                p["tls"]["server_name"] = server_name
        else:
            p["allow_plaintext"] = True
        return p

    config = os.path.join(ctx.workdir, "audit.yaml")
    with open(config, "w") as f:
        json.dump({"pbx": {"listen": ["udp://127.0.0.1:5070"],
                           "targets": [{"host": "127.0.0.1", "port": 5080, "transport": "udp"}]},
                   "trunk": {"listen": ["udp://127.0.0.1:5060"], "providers": [
                       provider("weak", weak_port), provider("strong", strong_port),
                       provider("misnamed", strong_port, server_name="other.example"),
                       provider("by-address", strong_port, server_name=None),
                       provider("cleartext", udp_port, transport="udp"),
                       provider("md5-only", md5_peer.addr[1], transport="udp"),
                       provider("sha-256", sha_peer.addr[1], transport="udp")]}}, f)

    rc, report, ids = audit(ctx, config, "weak", "--cert-warn-days", "1",
                            "--plaintext-port", str(plain.addr[1]))
    check(rc == 12 and ids == ["PRV-PLAINTEXT-ACCEPTED", "PRV-SHAKEN-SHARE", "PRV-TLS-OFFERED",
                               "PRV-TLS-OLD-VERSION", "PRV-TLS-OLD-VERSION",
                               "PRV-TLS-WEAK-CIPHER"],
          f"weak server: exit {rc}, {ids}")
    offered = {f["id"]: f["evidence"] for f in report["findings"]}["PRV-TLS-OFFERED"]
    check("TLS 1.2 " in offered and "TLS 1.0 refused" not in offered, offered)

    rc, _, ids = audit(ctx, config, "strong", "--cert-warn-days", "1",
                       "--plaintext-port", str(silent_port))
    check(rc == 0 and ids == TLS_INFO,
          f"strong server should give only {TLS_INFO}: exit {rc}, {ids}")
    rc, _, ids = audit(ctx, config, "strong", "--plaintext-port", str(silent_port))
    check(rc == 11 and ids == ["PRV-CERT-EXPIRING"] + TLS_INFO,
          f"2-day certificate: exit {rc}, {ids}")

    rc, report, ids = audit(ctx, config, "misnamed", "--cert-warn-days", "1",
                            "--plaintext-port", str(silent_port))
    check(rc == 12 and ids == ["PRV-CERT-INVALID"] + TLS_INFO, f"misnamed: exit {rc}, {ids}")
    check("hostname mismatch" in report["findings"][0]["evidence"], report["findings"][0])

    # Checked against the certificate's IP entry (127.0.0.1), no SNI sent.
    rc, _, ids = audit(ctx, config, "by-address", "--cert-warn-days", "1",
                       "--plaintext-port", str(silent_port))
    check(rc == 0 and ids == TLS_INFO, f"by address: exit {rc}, {ids}")

    rc, _, ids = audit(ctx, config, "cleartext", "--tls-port", str(strong_port))
    check(rc == 11 and ids == INFO + ["PRV-TLS-UNUSED"], f"cleartext trunk: exit {rc}, {ids}")

    rc, report, ids = audit(ctx, config, "md5-only", "--tls-port", str(silent_port))
    check(rc == 11 and ids == ["PRV-DIGEST-MD5-ONLY", "PRV-SHAKEN-SHARE", "PRV-SRTP-NOT-OFFERED"],
          f"MD5-only RTP provider: exit {rc}, {ids}")
    evidence = {f["id"]: f["evidence"] for f in report["findings"]}
    check("MD5 only" in evidence.get("PRV-DIGEST-MD5-ONLY", ""), evidence)
    rc, _, ids = audit(ctx, config, "sha-256", "--tls-port", str(silent_port))
    check(rc == 0 and ids == ["PRV-SHAKEN-SHARE"], f"SHA-256 SRTP provider: exit {rc}, {ids}")

    rc, report, ids = audit(ctx, config, "nope")
    check(rc == 2 and "there are: " in report["errors"][0], f"unknown provider: {rc} {report}")


if __name__ == "__main__":
    harness.run(test)
