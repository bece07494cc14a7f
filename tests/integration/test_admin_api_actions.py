#!/usr/bin/env python3
"""Admin API actions on the running gateway (docs/api.md), with bearer tokens.

1. An admin logs in (password + TOTP) and makes two tokens over the API: a viewer and an admin.
2. The viewer token reads /bans but cannot ban (403, audited as refused).
3. A loopback source is answered on the public zone; the admin token bans it (POST /bans) and
   it gets silence at once; GET /bans shows the ban with its expiry; DELETE lifts it and the
   source is answered again.
4. The CLI's `admin token list` shows both tokens (never their secrets); revoking the viewer
   makes it 401.
5. Bad input: malformed JSON 400, a body over 64 KiB 413, unknown route 404, a forged token
   401; POST /reload returns the reload result.
6. The admin audit log names the token for each action.
"""
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import guard_helpers  # noqa: E402
import harness  # noqa: E402
from harness import check, log
from test_admin_api import PASSWORD, Api, add_admin, set_password, totp

ATTACKER = "127.0.0.66"


def bearer(api, token, method, path, body=None, raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(api.base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("the admin API is a trunkguard feature")
        return
    topo = guard_helpers.public_topology()
    port = harness.free_port()
    gw = ctx.sut(topo, extra=guard_helpers.guard_extra(
        topo, more={"admin": {"listen": f"127.0.0.1:{port}"}})).start()
    public = (topo.host, topo.public_side)
    secret = add_admin(gw, "alice")
    set_password(gw, "alice", secret, gw.workdir)
    api = Api(port)

    status, headers, body = api.call("POST", "/api/v1/login",
                                     {"user": "alice", "password": PASSWORD, "code": totp(secret)})
    check(status == 200, f"login: {status} {body}")
    api.cookie = headers["Set-Cookie"].split(";")[0]
    csrf = json.loads(body)["csrf_token"]
    tokens = {}
    for name, role in (("grafana", "viewer"), ("ops", "admin")):
        status, _, body = api.call("POST", "/api/v1/tokens", {"name": name, "role": role},
                                   csrf=csrf)
        check(status == 200, f"token {name}: {status} {body}")
        tokens[role] = json.loads(body)["token"]
    viewer, admin = tokens["viewer"], tokens["admin"]

    status, body = bearer(api, viewer, "GET", "/api/v1/bans")
    check(status == 200 and json.loads(body) == {"bans": []}, f"viewer reads bans: {status} {body}")
    status, body = bearer(api, viewer, "POST", "/api/v1/bans", {"source": ATTACKER})
    check(status == 403, f"a viewer token banned: {status} {body}")

    check(guard_helpers.options_answered(public, ATTACKER),
          f"{ATTACKER} is not answered before the ban")
    before = int(time.time())
    status, body = bearer(api, admin, "POST", "/api/v1/bans",
                          {"source": ATTACKER, "reason": "api test", "duration_s": 600})
    check(status == 200, f"ban: {status} {body}")
    check(not guard_helpers.options_answered(public, ATTACKER),
          f"{ATTACKER} is still answered right after the ban")
    status, body = bearer(api, viewer, "GET", "/api/v1/bans")
    bans = json.loads(body)["bans"]
    check(len(bans) == 1 and bans[0]["source"] == ATTACKER and bans[0]["reason"] == "api test",
          f"the ban list: {bans}")
    check(before <= bans[0]["created"] <= int(time.time()) and
          bans[0]["expires"] == bans[0]["created"] + 600, f"ban times: {bans[0]}")
    log(f"banned {ATTACKER} through the API; it gets silence: {bans[0]}")

    status, body = bearer(api, admin, "DELETE", f"/api/v1/bans/{ATTACKER}")
    check(status == 200, f"unban: {status} {body}")
    check(guard_helpers.options_answered(public, ATTACKER),
          f"{ATTACKER} is not answered after the ban was lifted")

    r = guard_helpers.trunkguard_cli(ctx, "admin", "token", "list", "--db", gw.db_path)
    check("grafana" in r.stdout and "ops" in r.stdout and viewer not in r.stdout,
          f"`admin token list`:\n{r.stdout}")

    status, body = bearer(api, admin, "POST", "/api/v1/bans", raw=b'{"source": ')
    check(status == 400, f"malformed JSON: {status} {body}")
    status, body = bearer(api, admin, "POST", "/api/v1/bans", raw=b"{" + b" " * 70000 + b"}")
    check(status == 413, f"a body over 64 KiB: {status} {body}")
    status, body = bearer(api, admin, "GET", "/api/v1/nothing")
    check(status == 404, f"unknown route: {status} {body}")
    status, body = bearer(api, admin[:-1] + ("0" if admin[-1] != "0" else "1"), "GET",
                          "/api/v1/bans")
    check(status == 401, f"a forged token: {status} {body}")
    status, body = bearer(api, admin, "POST", "/api/v1/reload")
    check(status == 200 and json.loads(body)["applied"], f"reload: {status} {body}")

    status, _, body = api.call("DELETE", "/api/v1/tokens/grafana", csrf=csrf)
    check(status == 200, f"revoke: {status} {body}")
    status, body = bearer(api, viewer, "GET", "/api/v1/bans")
    check(status == 401, f"a revoked token still reads: {status} {body}")

    r = subprocess.run([gw.binary, "admin", "log", "--db", gw.db_path, "-n", "100"],
                       capture_output=True, text=True, timeout=30)
    for needle in ("token:ops", f"api ban add {ATTACKER}", f"api ban remove {ATTACKER}",
                   "refused: read-only token", "api token add grafana", "api reload"):
        check(needle in r.stdout, f"{needle!r} not in the admin audit log:\n{r.stdout}")
    gw.stop()


if __name__ == "__main__":
    harness.run(test)
