#!/usr/bin/env python3
"""Alerts by mail (docs/alerts.md "Mail"), against Debian's aiosmtpd on loopback.

1. tests/integration/smtp_receiver.py runs two SMTP servers: one that requires STARTTLS (with a
   certificate made here, from a CA the gateway's ca_file trusts) and AUTH, one that offers no
   STARTTLS at all.
2. The gateway has three mail targets: the STARTTLS server with a user and password_file; the
   plain server without allow_plaintext (refused: no mail may arrive, the log says why); the
   plain server with allow_plaintext: true (sent).
3. A flood of 40 scanner probes from one source gives, per target that accepts, one mail at once
   (count 1) and one summary mail with the count of the repeats (39): not 40 mails.
4. The STARTTLS server saw the mail inside TLS, from the configured user.
5. The SMTP password appears nowhere in the gateway's log (debug level).
"""
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import guard_helpers as gh  # noqa: E402
import harness  # noqa: E402
import tls_helpers  # noqa: E402
from harness import check, free_port, log

SOURCE = "127.0.0.78"
USER = "gw-alerts"
PASSWORD = "smtp-Pa55-7c1d9e"


def read_mails(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def gateway_log(gw):
    text = ""
    for path in (gw.stdout_path, gw.stderr_path):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("alerts are a trunkguard feature")
        return
    pki = tls_helpers.make_pki(ctx.workdir)
    cert, key = pki["server"]
    tls_port, plain_port = free_port(), free_port()
    out = os.path.join(ctx.workdir, "mails.jsonl")
    receiver = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "smtp_receiver.py"), cert,
         key, str(tls_port), str(plain_port), USER, PASSWORD, out],
        stdout=subprocess.PIPE, stderr=open(os.path.join(ctx.workdir, "smtp.log"), "w"),
        text=True)
    try:
        ready = receiver.stdout.readline().strip()
        check(ready == "ready", f"the SMTP receiver did not start ({ready!r}); see smtp.log "
              "(python3-aiosmtpd installed by scripts/install-deps.sh?)")
        run(ctx, tls_port, plain_port, pki["ca"], out)
    finally:
        receiver.kill()
        receiver.wait()


def run(ctx, tls_port, plain_port, ca, out):
    topo = gh.public_topology()
    password_file = os.path.join(ctx.workdir, "smtp.password")
    with open(password_file, "w") as f:
        f.write(PASSWORD + "\n")
    os.chmod(password_file, 0o600)
    mail = {"from": "gw@example.net", "ca_file": ca}
    alerts = {"events": ["scanner.*"], "dedup_s": 3, "retries": 2, "retry_base_ms": 300,
              "mail": [
                  dict(mail, url=f"smtp://127.0.0.1:{tls_port}", to=["ops@example.net"],
                       user=USER, password_file=password_file),
                  dict(mail, url=f"smtp://127.0.0.1:{plain_port}", to=["refused@example.net"],
                       user=USER, password_file=password_file),
                  dict(mail, url=f"smtp://127.0.0.1:{plain_port}", to=["optin@example.net"],
                       allow_plaintext=True)]}
    gw = ctx.sut(topo, log_level="debug",
                 extra=gh.guard_extra(topo, guard={"scanner": {"enforce": False},
                                                   "rate_limit": {"enabled": False}},
                                      more={"alerts": alerts})).start()
    addr = (topo.host, topo.public_side)
    for n in range(40):
        gh.scanner_options(addr, SOURCE, n)
        time.sleep(0.01)

    deadline = time.time() + 20
    while time.time() < deadline:
        mails = read_mails(out)
        by = {who: [m for m in mails if m["to"] == [who]]
              for who in ("ops@example.net", "optin@example.net", "refused@example.net")}
        if (len(by["ops@example.net"]) >= 2 and len(by["optin@example.net"]) >= 2 and
                "giving up" in gateway_log(gw)):
            break
        time.sleep(0.2)
    time.sleep(0.5)  # anything more that would arrive late
    mails = read_mails(out)
    gw.stop()
    text = gateway_log(gw)

    log(f"mails: {[(m['server'], m['to'], m['tls'], m['user']) for m in mails]}")
    ops = [m for m in mails if m["to"] == ["ops@example.net"]]
    optin = [m for m in mails if m["to"] == ["optin@example.net"]]
    refused = [m for m in mails if m["to"] == ["refused@example.net"]]
    check(len(ops) == 2, f"40 probes gave {len(ops)} mails over STARTTLS, not one plus a summary")
    check(all(m["server"] == "tls" and m["tls"] and m["user"] == USER for m in ops),
          f"the STARTTLS server's mails were not in TLS from {USER}: {ops}")
    first, summary = sorted(ops, key=lambda m: "summary: yes" in m["content"])
    for m in ops:
        check(m["from"] == "gw@example.net", f"envelope sender: {m['from']}")
        check("rule: scanner.user_agent\r\n" in m["content"] and
              f"source: {SOURCE}\r\n" in m["content"], f"the event is not in the mail: {m}")
    check("count: 1\r\n" in first["content"] and
          f"Subject: [trunkguard] scanner.user_agent from {SOURCE}\r\n" in first["content"],
          f"the first mail: {first['content']}")
    check("count: 39\r\n" in summary["content"] and "(39 events)" in summary["content"],
          f"the summary mail has not the count of the repeats: {summary['content']}")
    check(not refused, f"a server without STARTTLS got mail without allow_plaintext: {refused}")
    check(len(optin) == 2 and all(m["server"] == "plain" and not m["tls"] for m in optin),
          f"allow_plaintext: the plain server got {optin}")
    check(f"smtp://127.0.0.1:{plain_port} failed 3 times, giving up" in text and
          "STARTTLS" in text, "the log does not say why the plain server was refused")
    check(PASSWORD not in text, "the SMTP password is in the gateway's log")
    log("no password in the log; the server without STARTTLS got no mail")


if __name__ == "__main__":
    harness.run(test)
