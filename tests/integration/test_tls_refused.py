#!/usr/bin/env python3
"""Providers whose certificates must be refused, and what the gateway does then.

Three providers over TLS, each a stunnel in front of something:
  carrier-a (priority 10, 127.0.0.1): a self-signed certificate, not in the configured CA file;
  carrier-c (priority 15, 127.0.0.3): a certificate from the test CA for other.example only;
  carrier-b (priority 20, 127.0.0.2): a good certificate for 127.0.0.2 from the test CA.
carrier-a and carrier-c sit in front of a TCP recorder that must receive nothing.

Checks: 5 calls from the PBX succeed through carrier-b (failover after the refusals); the
gateway logs a line naming each refused provider with OpenSSL's verify reason ("self-signed
certificate", "IP address mismatch"); nothing reached the refused providers' backends, in TLS
or in plaintext; no plaintext SIP went to their TLS ports either (stunnel saw only failed
handshakes).
"""
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import tls_helpers  # noqa: E402
from harness import check, log  # noqa: E402


class _Closer:
    """Stops a stunnel or recorder with the test and prints its log on failure."""

    def __init__(self, thing, describe=lambda: ""):
        self.thing = thing
        self._describe = describe

    def describe(self):
        return self._describe()

    def close(self):
        (getattr(self.thing, "stop", None) or self.thing.close)()


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("TLS certificate checks (trunkguard only)")
        return
    pki = tls_helpers.make_pki(ctx.workdir)
    topo = harness.Topology(pbx_transport="udp", trunk_transport="tls")
    prov3_host = "127.0.0.3"
    a_tls, a_back = harness.free_port(topo.prov1_host), harness.free_port(topo.prov1_host)
    c_tls, c_back = harness.free_port(prov3_host), harness.free_port(prov3_host)
    b_tls = harness.free_port(topo.prov2_host)

    recorders = []
    for host, port in ((topo.prov1_host, a_back), (prov3_host, c_back)):
        rec = tls_helpers.TcpRecorder(host, port)
        recorders.append(rec)
        ctx.relays.append(_Closer(rec))
    edges = {
        "carrier-a": tls_helpers.Stunnel(ctx.workdir, "carrier-a", (topo.prov1_host, a_tls),
                                         (topo.prov1_host, a_back), cert=pki["self"]),
        "carrier-c": tls_helpers.Stunnel(ctx.workdir, "carrier-c", (prov3_host, c_tls),
                                         (prov3_host, c_back), cert=pki["other"]),
        "carrier-b": tls_helpers.Stunnel(ctx.workdir, "carrier-b", (topo.prov2_host, b_tls),
                                         (topo.prov2_host, topo.prov2_port),
                                         cert=pki["server"]),
    }
    for st in edges.values():
        st.start(probe=False)
        ctx.relays.append(_Closer(st, st.diagnostics))

    ca = {"ca_file": pki["ca"]}
    # sipp speaks no SRTP: without srtp: optional, a tls provider's calls need it.
    providers = [
        {"name": "carrier-a", "host": topo.prov1_host, "port": a_tls, "transport": "tls",
         "priority": 10, "tls": ca, "srtp": "optional"},
        {"name": "carrier-c", "host": prov3_host, "port": c_tls, "transport": "tls",
         "priority": 15, "tls": ca, "srtp": "optional"},
        {"name": "carrier-b", "host": topo.prov2_host, "port": b_tls, "transport": "tls",
         "priority": 20, "tls": ca, "srtp": "optional"},
    ]
    extra = {"tls": {"certificate": pki["server"][0], "private_key": pki["server"][1]}}
    sut = ctx.sut(topo, providers=providers, extra=extra).start()

    uas = ctx.sipp("carrier-b", "uas_basic.xml", transport="t1", local_ip=topo.prov2_host,
                   local_port=topo.prov2_port, contact=f"{topo.prov2_host}:{b_tls}", calls=5,
                   timeout_s=60)
    uac = ctx.sipp("pbx", "uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=5, rate=2,
                   duration_ms=300, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, 5, what="calls fail over past the refused providers")
    harness.expect_calls(uas_r, 5, what="carrier-b (valid certificate)")

    time.sleep(0.3)
    with open(sut.stderr_path, errors="replace") as f:
        gateway_log = f.read()
    for name, reason in (("carrier-a", "certificate verify failed: self-signed certificate"),
                         ("carrier-c", "certificate verify failed: IP address mismatch")):
        line = next((l for l in gateway_log.splitlines()
                     if f"provider '{name}'" in l and reason in l), None)
        check(line is not None, f"no log line names provider '{name}' with '{reason}'")
        log(f"refusal logged: {line[:220]}")
    for rec, name in zip(recorders, ("carrier-a", "carrier-c")):
        check(rec.connections == 0 and rec.data == b"",
              f"{name}'s backend was reached ({rec.connections} connections, "
              f"{len(rec.data)} bytes) although its certificate must be refused")
    for name in ("carrier-a", "carrier-c"):
        text = edges[name].log_text()
        check("SSL_accept" in text or "alert" in text.lower(),
              f"stunnel {name} saw no failed handshake:\n{text[-1500:]}")
        check("INVITE" not in text, f"{name}'s TLS port received SIP in plaintext")


if __name__ == "__main__":
    harness.run(test)
