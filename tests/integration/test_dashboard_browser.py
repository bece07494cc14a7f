#!/usr/bin/env python3
"""The web dashboard in a real browser (docs/dashboard.md).

The gateway runs with the admin API on a loopback port and a public listener; an admin is
enrolled; sipp holds one live PBX call; svmap (sipvicious) from 127.0.0.50 scans the public zone
and is banned. Then dashboard/test/browser.mjs drives Debian's chromium through playwright-core
(npm, pinned; installed into the build tree by the build): a wrong code is refused, the admin
logs in with the TOTP code computed in the test, the overview counts the live call, the call is
listed and ended from the page (sipp sees the gateway's BYE), the scanner's event is listed and
its source banned from it. Screenshots of each page go to <build>/test-artifacts/dashboard/
(the ones in docs/images/dashboard/ come from this test).
"""
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import guard_helpers as gh  # noqa: E402
import harness  # noqa: E402
from harness import check, log  # noqa: E402
from test_admin_api import PASSWORD, add_admin, set_password, wrong_code  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SCANNER = "127.0.0.50"


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("the dashboard is a trunkguard feature")
        return
    build_dir = os.path.dirname(os.path.abspath(ctx.binary))
    modules = os.path.join(build_dir, "dashboard", "node_modules")
    node = shutil.which("node")
    check(node is not None, "node is missing: run scripts/install-deps.sh (Debian nodejs)")
    check(os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: run scripts/install-deps.sh "
          "(Debian chromium)")
    failed = os.path.join(build_dir, "dashboard", "source-build-failed.txt")
    if not os.path.isdir(os.path.join(modules, "playwright-core")) and os.path.exists(failed):
        # npm ci failed in this build (no registry): cmake/build_dashboard.cmake warned.
        with open(failed, encoding="utf-8") as f:
            ctx.skip("the build could not install the dashboard's npm packages: "
                     + f.readline().strip())
        return
    check(os.path.isdir(os.path.join(modules, "playwright-core")),
          f"no playwright-core in {modules}: the build installs it when node and npm are present")
    shots = os.path.join(build_dir, "test-artifacts", "dashboard")
    shutil.rmtree(shots, ignore_errors=True)

    topo = gh.public_topology()
    port = harness.free_port()
    gw = ctx.sut(topo, extra=gh.guard_extra(topo, more={
        "admin": {"listen": f"127.0.0.1:{port}"}})).start()
    secret = add_admin(gw, "alice")
    set_password(gw, "alice", secret, gw.workdir)  # the API's login: password + TOTP code

    # A PBX call that lasts until someone ends it: the gateway's BYE reaches both sipps.
    uas = ctx.sipp("carrier-a", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=1, timeout_s=120)
    uac = ctx.sipp("pbx", "uac_recv_bye.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=1, rate=1,
                   timeout_s=120)
    uas.start()
    uas.wait_listening()
    uac.start()

    out = gh.run_tool(ctx, "svmap", ["svmap", "-b", SCANNER, "-p", str(topo.public_side),
                                     "-t", "0.5", topo.host])
    gh.wait_banned(ctx, gw, SCANNER)
    log(f"svmap from {SCANNER} was banned ({len(out)} bytes of output)")
    # The page bans it again from its event: lift the automatic ban first, so that the ban
    # the page adds is the one the bans page lists.
    gh.trunkguard_cli(ctx, "ban", "remove", SCANNER, "--db", gw.db_path, "--local-root")

    env = dict(os.environ, TG_URL=f"http://127.0.0.1:{port}/", TG_ADMIN="alice",
               TG_PASSWORD=PASSWORD, TG_TOTP_SECRET=secret,
               TG_WRONG_CODE=wrong_code(secret), TG_SHOTS=shots,
               TG_SCANNER=SCANNER, TG_MODULES=modules, TG_CHROMIUM=CHROMIUM)
    script = os.path.join(ctx.source_dir, "dashboard", "test", "browser.mjs")
    started = time.time()
    r = subprocess.run([node, script], env=env, capture_output=True, text=True, timeout=180)
    for line in (r.stdout + r.stderr).splitlines():
        log(line)
    check(r.returncode == 0, f"the browser test failed (screenshots in {shots})")
    log(f"browser steps passed in {time.time() - started:.1f}s; screenshots in {shots}")

    # The call ended from the page really ended: both sipps saw the gateway's BYE.
    harness.expect_calls(uac.wait(30), 1, what="the PBX call ended from the dashboard")
    uas.wait(30)
    r = subprocess.run([gw.binary, "admin", "log", "--db", gw.db_path],
                       capture_output=True, text=True, timeout=30)
    check("api end call" in r.stdout, f"the end call is not in the admin audit log:\n{r.stdout}")
    gw.stop()


if __name__ == "__main__":
    harness.run(test)
