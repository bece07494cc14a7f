#!/usr/bin/env python3
"""Calls with the provider over TLS, both ways (stunnel terminates TLS in front of sipp, which
has no TLS in Debian).

1. PBX (sipp UAC, UDP) -> gateway -> carrier-a over TLS: stunnel (server cert for 127.0.0.1
   signed by the test CA, which the gateway's provider tls.ca_file names) -> sipp UAS over
   TCP. 10 calls; then 5 where the provider hangs up (its BYE comes back over the TLS
   connection the gateway opened); then 2 dialled as sips: URIs (RFC 5630), which reach the
   TLS provider with sips: Request-URIs (the unit tests show that a plaintext provider is
   never offered one).
2. carrier-a (sipp UAC over TCP) -> stunnel in client mode -> the gateway's tls:// trunk
   listener -> PBX (sipp UAS, UDP). 5 calls.
Checks: all calls succeed; the gateway opened few connections to the provider (reuse); the
startup lines show the provider as verified tls; the config check refuses a plaintext
provider without allow_plaintext.
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import tls_helpers  # noqa: E402
from harness import check, log  # noqa: E402


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("TLS provider edge (trunkguard only)")
        return
    pki = tls_helpers.make_pki(ctx.workdir)
    topo = harness.Topology(pbx_transport="udp", trunk_transport="tls")
    prov_tls_port = harness.free_port(topo.prov1_host)   # stunnel: TLS for the provider
    prov_uac_port = harness.free_port(topo.prov1_host)   # stunnel client: sipp UAC -> TLS
    providers = [{"name": "carrier-a", "host": topo.prov1_host, "port": prov_tls_port,
                  "transport": "tls", "priority": 10, "tls": {"ca_file": pki["ca"]},
                  # sipp speaks no SRTP: without this, a tls provider's calls need it.
                  "srtp": "optional"},
                 # A plaintext provider next to the TLS one: the config a sips: call must
                 # not be downgraded through (carrier-a comes first and always answers).
                 {"name": "carrier-b", "host": topo.prov2_host, "port": topo.prov2_port,
                  "transport": "udp", "priority": 20, "allow_plaintext": True}]
    extra = {"tls": {"certificate": pki["server"][0], "private_key": pki["server"][1],
                     "handshake_timeout_ms": 3000}}
    sut = ctx.sut(topo, providers=providers, extra=extra, log_level="debug").start()
    with open(sut.stdout_path, errors="replace") as f:
        startup = f.read()
    check("carrier-a" in startup and "tls (verified as 127.0.0.1" in startup,
          f"the startup lines do not show carrier-a as verified tls:\n{startup}")

    edge = tls_helpers.Stunnel(ctx.workdir, "carrier-a-edge", (topo.prov1_host, prov_tls_port),
                               (topo.prov1_host, topo.prov1_port), cert=pki["server"])
    edge.start()
    ctx.relays.append(_Diag(edge))
    uas = ctx.sipp("carrier-a", "uas_basic.xml", transport="t1", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, contact=f"{topo.prov1_host}:{prov_tls_port}",
                   calls=10, timeout_s=60)
    uac = ctx.sipp("pbx", "uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=10, rate=10,
                   duration_ms=500, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, 10, what="PBX over UDP -> provider over TLS")
    harness.expect_calls(uas_r, 10, what="provider behind stunnel")

    uas2 = ctx.sipp("carrier-a-bye", "uas_bye.xml", transport="t1", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port,
                    contact=f"{topo.prov1_host}:{prov_tls_port}", calls=5, duration_ms=500,
                    timeout_s=60)
    uac2 = ctx.sipp("pbx-recv-bye", "uac_recv_bye.xml", local_ip=topo.pbx_host,
                    local_port=topo.pbx_port, remote=topo.pbx_side_addr(),
                    service=topo.dialled, calls=5, rate=10, duration_ms=300, timeout_s=60)
    uac2_r, (uas2_r,) = ctx.run_calls(uac2, [uas2])
    log(uac2_r.describe())
    log(uas2_r.describe())
    harness.expect_calls(uac2_r, 5, what="provider's BYE over TLS to the PBX")
    harness.expect_calls(uas2_r, 5, what="provider hangs up over TLS")
    # One probe by the test, then one connection per sipp UAS run (stunnel closes the TLS
    # side when its sipp exits).
    accepted = edge.log_text().count("accepted connection from")
    log(f"stunnel accepted {accepted} TCP connection(s) (1 probe + gateway) for 15 calls")
    check(accepted <= 3, f"the gateway opened {accepted - 1} TLS connections to the "
          "provider for 15 calls in two sipp runs; expected it to reuse them")

    # sips: from the PBX: TLS on the provider's side, SIPS URIs there.
    uas3 = ctx.sipp("carrier-a-sips", "uas_basic.xml", transport="t1", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port, contact=f"{topo.prov1_host}:{prov_tls_port}",
                    calls=2, timeout_s=60)
    uac3 = ctx.sipp("pbx-sips", "uac_basic.xml", local_ip=topo.pbx_host,
                    local_port=topo.pbx_port, remote=topo.pbx_side_addr(),
                    service=topo.dialled, calls=2, rate=10, duration_ms=300, timeout_s=60,
                    ruri_scheme="sips")
    uac3_r, (uas3_r,) = ctx.run_calls(uac3, [uas3])
    harness.expect_calls(uac3_r, 2, what="sips: calls from the PBX")
    harness.expect_calls(uas3_r, 2, what="sips: calls at the TLS provider")
    uris = {m.uri for m in uas3.received("INVITE")}
    check(uris and all(u.startswith("sips:") for u in uris),
          f"the TLS provider should get sips: Request-URIs, got {uris}")
    with open(sut.stderr_path, errors="replace") as f:
        check("provider 'carrier-a' tls connection" in f.read(),
              "no log line names the provider's TLS connection")

    # 2. The provider calls in over TLS.
    ingress = tls_helpers.Stunnel(ctx.workdir, "carrier-a-client",
                                  (topo.prov1_host, prov_uac_port),
                                  (topo.host, topo.trunk_side), client=True, ca=pki["ca"],
                                  verify_host="localhost")
    ingress.start()
    ctx.relays.append(_Diag(ingress))
    pbx = ctx.sipp("pbx-uas", "uas_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, calls=5, timeout_s=60)
    prov = ctx.sipp("carrier-a-uac", "uac_basic.xml", transport="t1",
                    local_ip=topo.prov1_host, remote=(topo.prov1_host, prov_uac_port),
                    service="2001", calls=5, rate=10, duration_ms=300, timeout_s=60)
    prov_r, (pbx_r,) = ctx.run_calls(prov, [pbx])
    log(prov_r.describe())
    log(pbx_r.describe())
    harness.expect_calls(prov_r, 5, what="provider over TLS -> PBX over UDP")
    harness.expect_calls(pbx_r, 5, what="PBX answering over UDP")
    check("Certificate accepted at depth=0: CN=localhost" in ingress.log_text(),
          "stunnel's client log does not show a verified TLS connection to the gateway")

    rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 20 and all(
        r.get("disposition") == "answered" and r.get("end_time") for r in rs), timeout=15,
        what="20 answered, ended CDRs")
    check(sum(r.get("direction") == "inbound" for r in rows) == 5, "expected 5 inbound CDRs")
    # The provider's leg is recorded as encrypted: B for outbound calls, A for inbound ones.
    for r in rows:
        leg = r.get("b_transport") if r.get("direction") == "outbound" else r.get("a_transport")
        check(leg == "tls", f"a {r.get('direction')} CDR records the provider leg as {leg!r}, "
              "expected tls")

    # Encryption by default: a plaintext provider without the opt-in is refused.
    bad = os.path.join(ctx.workdir, "plaintext.yaml")
    with open(bad, "w") as f:
        f.write(harness.to_yaml(harness.gateway_config(
            topo, os.path.join(ctx.workdir, "x.db"), extra=extra,
            providers=[{"name": "carrier-p", "host": "192.0.2.9", "transport": "udp"}])) + "\n")
    r = subprocess.run([ctx.binary, "check-config", bad], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 1 and "provider 'carrier-p' uses plaintext transport udp; set "
          "transport: tls" in r.stderr, f"check-config accepted a plaintext provider: "
          f"rc {r.returncode}\n{r.stdout}{r.stderr}")


class _Diag:
    """Lets ctx print a stunnel's log on failure and stop it at the end (ctx.relays)."""

    def __init__(self, st):
        self.st = st

    def describe(self):
        return self.st.diagnostics()

    def close(self):
        self.st.stop()


if __name__ == "__main__":
    harness.run(test)
