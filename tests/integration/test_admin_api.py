#!/usr/bin/env python3
"""The admin API and /metrics on a loopback port (docs/api.md).

1. With `admin:` configured, the gateway listens on 127.0.0.1 (plain HTTP on loopback).
2. Without a session, /api/v1/status is 401; `admin passwd` sets the admin's API password; a
   wrong TOTP code and a wrong password are refused (401); the password and the admin's current
   code, computed here from the secret `admin add` printed, log in: the cookie is HttpOnly,
   Secure and SameSite=Strict.
3. With the session: status, and a live sipp call in /api/v1/calls.
4. A POST without the CSRF token is refused (403); logout with it ends the session.
5. /metrics passes `promtool check metrics` (Debian `prometheus`, installed by
   scripts/install-deps.sh; missing, the test fails), counts the call and shows the peers.
6. The admin audit log (`trunkguard admin log`) holds the refused and accepted logins.
"""
import base64
import hashlib
import hmac
import json
import shutil
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log


def totp(secret_b32, at=None):
    """RFC 6238 with SHA-1, 6 digits, 30 s steps: what `admin add` enrols."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1000000:06d}"


class Api:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.cookie = None

    def call(self, method, path, body=None, csrf=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        if csrf:
            req.add_header("X-CSRF-Token", csrf)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()


def add_admin(gw, name):
    r = subprocess.run([gw.binary, "admin", "add", name, "--db", gw.db_path, "--ascii"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"`admin add {name}` failed: {r.stderr.strip()}")
    uri = next((line for line in r.stdout.splitlines() if line.startswith("otpauth://")), None)
    check(uri is not None, f"no otpauth:// URI in `admin add`'s output:\n{r.stdout}")
    return urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]


PASSWORD = "Kq7#vR2!mZp9xL4w"


def set_password(gw, name, secret, workdir):
    """`admin passwd` vouched for by the code of the previous time step, so that the current
    one is still unused for the login that follows."""
    path = f"{workdir}/{name}.password"
    with open(path, "w") as f:
        f.write(PASSWORD + "\n")
    r = subprocess.run([gw.binary, "admin", "passwd", name, "--db", gw.db_path, "--password-file",
                        path, "--totp-user", name, "--totp-code", totp(secret, time.time() - 30)],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"`admin passwd {name}` failed: {r.stderr.strip()}")


def wrong_code(secret):
    now = time.time()
    valid = {totp(secret, now + d) for d in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("the admin API is a trunkguard feature")
        return
    promtool = shutil.which("promtool")
    check(promtool is not None, "promtool is missing: run scripts/install-deps.sh (Debian "
          "package prometheus)")

    topo = harness.Topology()
    port = harness.free_port()
    gw = ctx.sut(topo, extra={"admin": {"listen": f"127.0.0.1:{port}"}}).start()
    secret = add_admin(gw, "alice")
    set_password(gw, "alice", secret, gw.workdir)
    api = Api(port)

    status, _, body = api.call("GET", "/api/v1/status")
    check(status == 401, f"status without a session: {status} {body}")

    status, headers, body = api.call("POST", "/api/v1/login", {
        "user": "alice", "password": PASSWORD, "code": wrong_code(secret)})
    check(status == 401, f"a wrong code logged in: {status} {body}")
    check("Set-Cookie" not in headers, "a refused login set a cookie")
    status, headers, body = api.call("POST", "/api/v1/login", {
        "user": "alice", "password": PASSWORD + "x", "code": totp(secret)})
    check(status == 401, f"a wrong password logged in: {status} {body}")

    status, headers, body = api.call("POST", "/api/v1/login",
                                     {"user": "alice", "password": PASSWORD, "code": totp(secret)})
    check(status == 200, f"login with the current code: {status} {body}")
    cookie = headers.get("Set-Cookie", "")
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict"):
        check(attribute in cookie, f"the session cookie lacks {attribute}: {cookie!r}")
    api.cookie = cookie.split(";")[0]
    csrf = json.loads(body)["csrf_token"]
    log(f"logged in as alice; cookie attributes: {cookie.split(';', 1)[1].strip()!r}")

    status, _, body = api.call("GET", "/api/v1/status")
    check(status == 200, f"status with a session: {status} {body}")
    s = json.loads(body)
    check(s["version"].startswith("trunkguard "), f"version: {s['version']!r}")
    check(s["workers"] == 1, f"workers: {s['workers']}")

    uas = ctx.sipp("carrier-a", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=1, timeout_s=60)
    uac = ctx.sipp("pbx", "uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=1, rate=1,
                   duration_ms=4000, timeout_s=60)
    uas.start()
    uas.wait_listening()
    uac.start()
    deadline = time.time() + 10
    calls = []
    while time.time() < deadline and not calls:
        status, _, body = api.call("GET", "/api/v1/calls")
        check(status == 200, f"calls: {status} {body}")
        calls = json.loads(body)["calls"]
        if not calls:
            time.sleep(0.2)
    check(len(calls) == 1, f"the live call is not listed: {calls}")
    call = calls[0]
    check(call["direction"] == "outbound" and call["provider"] == "carrier-a",
          f"the listed call: {call}")
    log(f"live call listed: {call}")

    status, _, body = api.call("POST", f"/api/v1/calls/{call['uuid']}/end")
    check(status == 403, f"ending a call without the CSRF token: {status} {body}")

    metrics_during = api.call("GET", "/metrics")
    harness.expect_calls(uac.wait(), 1, what="the PBX call")
    uas.wait(30)
    check(metrics_during[0] == 200, f"/metrics: {metrics_during[0]}")
    check("trunkguard_active_calls 1\n" in metrics_during[2], "the scrape during the call does "
          "not count it as active")

    status, headers, text = api.call("GET", "/metrics")
    check(status == 200, f"/metrics: {status}")
    check(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
          f"/metrics Content-Type: {headers.get('Content-Type')}")
    for needle in ("trunkguard_b2bua_calls_started_total 1\n", "trunkguard_active_calls 0\n",
                   'trunkguard_peer_address_up{peer="carrier-a"'):
        check(needle in text, f"{needle!r} not in the scrape")
    promcheck = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                               text=True, timeout=30)
    check(promcheck.returncode == 0, f"promtool check metrics failed:\n{promcheck.stdout}"
          f"{promcheck.stderr}")
    log(f"promtool check metrics: ok ({text.count(chr(10))} lines)")

    status, _, body = api.call("POST", "/api/v1/logout", csrf=csrf)
    check(status == 200, f"logout: {status} {body}")
    status, _, body = api.call("GET", "/api/v1/status")
    check(status == 401, f"status after logout: {status} {body}")

    r = subprocess.run([gw.binary, "admin", "log", "--db", gw.db_path],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"`admin log` failed: {r.stderr.strip()}")
    for needle in ("api login", "refused: wrong, expired or reused code", "refused: wrong password",
                   "api logout",
                   "refused: missing or wrong CSRF token"):
        check(needle in r.stdout, f"{needle!r} not in the admin audit log:\n{r.stdout}")
    gw.stop()


if __name__ == "__main__":
    harness.run(test)
