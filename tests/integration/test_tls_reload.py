#!/usr/bin/env python3
"""Certificate rotation on SIGHUP without dropping calls.

The gateway's tls:// trunk listener presents tls/listener.pem (a test-CA certificate for
localhost). carrier-a calls in over TLS (sipp UAC over TCP -> stunnel client -> gateway) and
holds 4 calls for 4 s. Meanwhile tls/listener.pem and .key are replaced with a certificate for
other.example and the gateway gets SIGHUP.
Checks: the 4 calls complete (their BYEs travel on the TLS connection made before the reload);
the gateway logs the reload; a new handshake presents the new certificate; a reload whose key
does not match keeps the running certificate.
"""
import os
import shutil
import signal
import socket
import ssl
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import tls_helpers  # noqa: E402
from harness import check, log  # noqa: E402


def presented_subject(addr, ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    with socket.create_connection(addr, timeout=5) as raw:
        with ctx.wrap_socket(raw) as tls:
            subject = dict(x[0] for x in tls.getpeercert()["subject"])
            return subject.get("commonName")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("certificate reload (trunkguard only)")
        return
    pki = tls_helpers.make_pki(ctx.workdir)
    live = os.path.join(ctx.workdir, "tls")
    os.makedirs(live)
    cert, key = os.path.join(live, "listener.pem"), os.path.join(live, "listener.key")
    shutil.copy(pki["server"][0], cert)
    shutil.copy(pki["server"][1], key)

    topo = harness.Topology(pbx_transport="udp", trunk_transport="tls")
    prov_uac_port = harness.free_port(topo.prov1_host)
    providers = [{"name": "carrier-a", "host": topo.prov1_host, "port": harness.free_port(),
                  "transport": "tls", "priority": 10, "tls": {"ca_file": pki["ca"]},
                  "srtp": "optional"}]  # sipp speaks no SRTP (tls providers require it)
    extra = {"tls": {"certificate": "tls/listener.pem", "private_key": "tls/listener.key"}}
    sut = ctx.sut(topo, providers=providers, extra=extra).start()
    check(presented_subject(topo.trunk_side_addr(), pki["ca"]) == "localhost",
          "the listener does not present the configured certificate")

    ingress = tls_helpers.Stunnel(ctx.workdir, "carrier-a-client",
                                  (topo.prov1_host, prov_uac_port), (topo.host, topo.trunk_side),
                                  client=True, ca=pki["ca"], verify_host="localhost")
    ingress.start()

    pbx = ctx.sipp("pbx-uas", "uas_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   calls=4, timeout_s=60)
    prov = ctx.sipp("carrier-a-uac", "uac_basic.xml", transport="t1", local_ip=topo.prov1_host,
                    remote=(topo.prov1_host, prov_uac_port), service="2001", calls=4, rate=10,
                    duration_ms=4000, timeout_s=60)

    def rotate():
        time.sleep(1.5)  # the calls are up
        shutil.copy(pki["other"][0], cert)
        shutil.copy(pki["other"][1], key)
        log("certificate files replaced (other.example); SIGHUP")
        os.kill(sut.pid, signal.SIGHUP)

    rotator = threading.Thread(target=rotate)
    rotator.start()
    prov_r, (pbx_r,) = ctx.run_calls(prov, [pbx])
    rotator.join()
    log(prov_r.describe())
    log(pbx_r.describe())
    harness.expect_calls(prov_r, 4, what="calls over TLS across the certificate reload")
    harness.expect_calls(pbx_r, 4, what="PBX side of the calls across the reload")
    check(ingress.log_text().count("Certificate accepted at depth=0: CN=localhost") >= 1,
          "stunnel did not verify the first certificate")
    with open(sut.stderr_path, errors="replace") as f:
        check("tls certificates reloaded" in f.read(), "the gateway did not log the TLS reload")
    subject = presented_subject(topo.trunk_side_addr(), pki["ca"])
    check(subject == "other.example", f"a new handshake presents {subject!r}, expected the "
          "reloaded certificate (other.example)")

    # A key that does not match is refused; the running certificate stays.
    shutil.copy(pki["server"][1], key)
    os.kill(sut.pid, signal.SIGHUP)
    time.sleep(1.0)
    with open(sut.stderr_path, errors="replace") as f:
        text = f.read()
    check("is not the key of the certificate" in text and "reload refused" in text,
          "a mismatched key was not refused at reload")
    check(presented_subject(topo.trunk_side_addr(), pki["ca"]) == "other.example",
          "a refused reload changed the presented certificate")
    check(sut.alive(), "the gateway died")
    ingress.stop()


if __name__ == "__main__":
    harness.run(test)
