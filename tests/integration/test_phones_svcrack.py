#!/usr/bin/env python3
"""The real attack tools from Debian's sipvicious against remote-phone accounts on the public
zone (public.auth.mode gateway, lockout after 5 failures).

1. Control: svcrack from 127.0.0.69 with the real password second in its word list finds it
   (so the tool works against this gateway, and a finding would show).
2. svcrack from 127.0.0.70 with a word list whose real password comes after the lockout
   threshold never finds it; the account is locked (`trunkguard account list --json`) and the
   source banned (`trunkguard ban list --json`).
3. svwar from 127.0.0.71 over extensions 201-210 (201 and 202 exist; its first probe is 201,
   compared with its probe of a random extension) finds none.
The scanner filter is off: this is about what authentication gives away, not about
spotting the tools by their User-Agent or their sweep.
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402

FAILURES = 5


def wordlist(ctx, name, words):
    path = os.path.join(ctx.workdir, name)
    with open(path, "w") as f:
        f.write("\n".join(words) + "\n")
    return path


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    topo = gh.public_topology()
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    sut = ctx.sut(topo, extra=gh.phones_extra(
        topo,
        accounts={"algorithms": ["MD5"],
                  "lockout": {"failures": FAILURES, "per_source": False,
                              "source_failures": FAILURES + 3, "window_s": 600}},
        guard={"scanner": {"enabled": False},
               "rate_limit": {"enabled": False}}))
    gh.add_account(ctx, sut, "201")
    gh.add_account(ctx, sut, "202", "Wx4$hTq8!nBv3Z")
    sut.start()
    port = str(topo.public_side)

    # 1. Control: the password early in the list is found.
    control = wordlist(ctx, "control.txt", ["123456", gh.PHONE_PASSWORD, "password"])
    out = gh.run_tool(ctx, "svcrack-control", ["svcrack", "-b", "127.0.0.69", "-p", port,
                                               "-u", "201", "-d", control, topo.host],
                      timeout=60)
    check(gh.PHONE_PASSWORD in out, f"control: svcrack did not find the password:\n{out[-800:]}")
    registers = len([m for m in pbx.messages() if m.method == "REGISTER"])
    log(f"control run found the password; the PBX saw {registers} REGISTER(s)")

    # 2. The attack: the real password comes after the lockout threshold.
    words = [f"guess{i:02d}!Pw" for i in range(FAILURES + 1)] + [gh.PHONE_PASSWORD] + \
            [f"later{i:02d}!Pw" for i in range(4)]
    attack = wordlist(ctx, "attack.txt", words)
    started = time.time()
    out = gh.run_tool(ctx, "svcrack-attack", ["svcrack", "-b", "127.0.0.70", "-p", port,
                                              "-u", "201", "-d", attack, "-t", "0.3",
                                              "--maximumtime", "5", topo.host],
                      timeout=90)
    log(f"svcrack attack ran {time.time() - started:.1f}s")
    check(gh.PHONE_PASSWORD not in out, f"svcrack found the password:\n{out[-800:]}")
    check(len([m for m in pbx.messages() if m.method == "REGISTER"]) == registers,
          "an attacker's REGISTER reached the PBX")

    deadline = time.time() + 10
    while True:
        row = gh.account_list(ctx, sut).get("201", {})
        if row.get("locked"):
            break
        check(time.time() < deadline, f"account 201 not locked after the attack: {row}")
        time.sleep(0.3)
    log(f"account 201 locked until {row.get('locked_until')}")
    gh.wait_banned(ctx, sut, "127.0.0.70")
    rules = {e.get("rule") for e in gh.events(ctx, sut)}
    check("auth.lockout" in rules and "auth.failure" in rules,
          "the lockout and failures must be security events; rules: "
          f"{sorted(r for r in rules if r)}")

    # 3. svwar finds no extension.
    out = gh.run_tool(ctx, "svwar", ["svwar", "-b", "127.0.0.71", "-p", port, "-e201-210",
                                     "-t", "0.3", "--force", topo.host], timeout=120)
    exts = gh.svwar_extensions(out)
    check(not exts, f"svwar reported extensions {exts}:\n{out[-800:]}")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
