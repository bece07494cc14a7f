#!/usr/bin/env python3
"""`trunkguard audit provider NAME` speaking SIP over TLS to providers behind stunnel (Debian's
sipp has no TLS: stunnel terminates it in front of sipp over TCP, scenario
uas_provider_audit.xml).

1. A weak TLS provider: MD5-only digest, RTP/AVP media, refuses sips: URIs (416) and answers
   SIP in the clear over TCP on its plaintext port. Without --invite: PRV-DIGEST-MD5-ONLY,
   PRV-SRTP-NOT-OFFERED, PRV-SIPS-REFUSED and PRV-PLAINTEXT-ACCEPTED (over TCP), found over
   TLS; sipp saw no INVITE. With --invite NUMBER: also PRV-SRTP-REFUSED from the SDP of its
   183; the INVITE was challenged (407), sent again with the trunk's credentials (the
   scenario fails the call otherwise), offered RTP/SAVP, was cancelled at once on the 183, and
   no BYE was ever sent (no call was set up).
2. A strong TLS provider: SHA-256 digest, RTP/SAVP with a=crypto, takes sips: URIs, nothing in
   the clear: no finding but the infos PRV-SHAKEN-SHARE (no CDR database) and PRV-TLS-OFFERED,
   with and without --invite (exit 0).
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import tls_helpers  # noqa: E402

NUMBER = "15550100999"


class _Diag:
    """Lets ctx print a stunnel's log on failure and stop it at the end (ctx.relays)."""

    def __init__(self, st):
        self.st = st

    def describe(self):
        return self.st.diagnostics()

    def close(self):
        self.st.stop()


def audit(ctx, config, name, *args):
    r = subprocess.run([ctx.binary, "audit", "provider", name, "-c", config, "--json",
                        "--cert-warn-days", "1", *args],
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


def provider(ctx, pki, name, algorithm, media, crypto_line, sips):
    """sipp over TCP behind a stunnel TLS server; returns (tls_port, tcp_port, sipp)."""
    tcp_port, tls_port = harness.free_ports(2)
    uas = ctx.sipp(name, "uas_provider_audit.xml", transport="t1", local_port=tcp_port,
                   timeout_s=120, extra=["-key", "algorithm", algorithm, "-key", "media", media,
                                         "-key", "crypto_line", crypto_line,
                                         "-key", "sips", sips])
    uas.start()
    uas.wait_listening()
    edge = tls_helpers.Stunnel(ctx.workdir, f"{name}-edge", ("127.0.0.1", tls_port),
                               ("127.0.0.1", tcp_port), cert=pki["server"])
    edge.start()
    ctx.relays.append(_Diag(edge))
    return tls_port, tcp_port, uas


def test(ctx):
    pki = tls_helpers.make_pki(ctx.workdir)
    weak_tls, weak_tcp, weak = provider(ctx, pki, "weak-provider", "MD5", "RTP/AVP", "a=sendrecv",
                                        "refuse")
    crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + "B" * 40
    strong_tls, _, strong = provider(ctx, pki, "strong-provider", "SHA-256", "RTP/SAVP", crypto,
                                     "accept")
    silent_port = harness.free_port()
    secret = os.path.join(ctx.workdir, "trunk.secret")
    with open(secret, "w") as f:
        f.write("trunk-password\n")
    os.chmod(secret, 0o600)

    def tls_provider(name, port):
        return {"name": name, "host": "127.0.0.1", "port": port, "transport": "tls",
                "tls": {"ca_file": pki["ca"], "server_name": "localhost"},
                "auth": {"username": "trunk-user", "password_file": secret}}

    config = os.path.join(ctx.workdir, "audit.yaml")
    with open(config, "w") as f:
        json.dump({"pbx": {"listen": ["udp://127.0.0.1:5070"],
                           "targets": [{"host": "127.0.0.1", "port": 5080, "transport": "udp"}]},
                   "trunk": {"listen": ["udp://127.0.0.1:5060"], "providers": [
                       tls_provider("weak", weak_tls), tls_provider("strong", strong_tls)]}}, f)

    # 1. The weak provider, first without an INVITE.
    expected = ["PRV-DIGEST-MD5-ONLY", "PRV-PLAINTEXT-ACCEPTED", "PRV-SHAKEN-SHARE",
                "PRV-SIPS-REFUSED", "PRV-SRTP-NOT-OFFERED", "PRV-TLS-OFFERED"]
    rc, report, ids = audit(ctx, config, "weak", "--plaintext-port", str(weak_tcp))
    check(rc == 11 and ids == expected, f"weak provider: exit {rc}, {ids}")
    evidence = {f["id"]: f["evidence"] for f in report["findings"]}
    check("over TLS" in evidence["PRV-DIGEST-MD5-ONLY"], evidence)
    check("416 Unsupported URI Scheme" in evidence["PRV-SIPS-REFUSED"], evidence)
    check("OPTIONS over TCP" in evidence["PRV-PLAINTEXT-ACCEPTED"], evidence)
    check(not weak.received("INVITE"), "an INVITE was sent without --invite")

    rc, report, ids = audit(ctx, config, "weak", "--plaintext-port", str(weak_tcp),
                            "--invite", NUMBER)
    check(rc == 11 and ids == sorted(expected + ["PRV-SRTP-REFUSED"]) and not report["errors"],
          f"weak provider with --invite: exit {rc}, {ids}, {report['errors']}")
    evidence = {f["id"]: f["evidence"] for f in report["findings"]}
    check("183 Session Progress (cancelled) answers an SRTP offer with RTP/AVP"
          in evidence["PRV-SRTP-REFUSED"], evidence)
    invites = weak.received("INVITE")
    check(len(invites) == 2,
          f"expected the INVITE and its authenticated repeat, got {len(invites)}")
    check(invites[0].header("Proxy-Authorization") is None and
          'username="trunk-user"' in (invites[1].header("Proxy-Authorization") or ""),
          f"credentials: {[m.header('Proxy-Authorization') for m in invites]}")
    check(NUMBER in invites[1].start_line, invites[1].start_line)
    check("RTP/SAVP" in invites[1].body and "a=crypto:" in invites[1].body, invites[1].body)
    check(len(weak.received("CANCEL")) == 1 and len(weak.received("ACK")) == 2,
          f"expected one CANCEL and two ACKs (407, 487), got {len(weak.received('CANCEL'))} and "
          f"{len(weak.received('ACK'))}")
    check(not weak.received("BYE"), "a BYE was sent: a call was set up")

    # 2. The strong provider: nothing to report.
    for args in ([], ["--invite", NUMBER]):
        rc, report, ids = audit(ctx, config, "strong", "--plaintext-port", str(silent_port),
                                *args)
        check(rc == 0 and ids == ["PRV-SHAKEN-SHARE", "PRV-TLS-OFFERED"]
              and not report["errors"],
              f"strong provider {args}: exit {rc}, {ids}, {report['errors']}")
    check(len(strong.received("INVITE")) == 2, "the strong provider's INVITE was not repeated")
    # The scenario's own checks (credentials, RTP/SAVP offer) and no message it did not
    # expect. (sipp counts a call as failed when the audit closes its connection right after
    # the last answer, FailedTcpClosed: that is not a protocol error.)
    for s in (weak, strong):
        r = s.stop()
        bad = {k: r.stats.get(k) for k in ("FailedRegexpDoesntMatch(C)",
                                           "FailedUnexpectedMessage(C)", "FailedCallRejected(C)")
               if r.stats.get(k, "0") not in ("0", "")}
        # 2 audits x (OPTIONS, sips: OPTIONS, REGISTER) + 1 INVITE dialog, plus for the weak one
        # 2 OPTIONS in the clear (the strong one's plaintext port is another).
        calls = 9 if s is weak else 7
        check(not bad and r.created == calls, f"{s.name}: {r.created} calls (expected {calls}), "
              f"{bad}")


if __name__ == "__main__":
    harness.run(test)
