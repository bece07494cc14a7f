#!/usr/bin/env python3
"""Safe defaults (issue 12, items 7 and 8): PBX (sipp) -> trunkguard -> carrier-a (sipp), with
NO `policy:` section in the config, as a fresh install has it.

1. A premium number (+1 900): 403 "Premium Destination Not Allowed" with a Reason header, by
   the built-in rule default:deny-premium; nothing reaches the provider.
2. An international number (011 44...): 403 "International Calls Not Allowed" by
   default:deny-international.
3. An emergency number (911): goes through to the provider.
4. CDRs: the refused calls with disposition rejected, 403 and the default rule; the emergency
   call answered with rule emergency.
5. `explain` names the default rule that decides; `check-config` warns that the defaults apply
   (with what to add), that no own numbers are set, and that the policy is off when it is.
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log
from policy_helpers import answered, refused

CALLER = "+12125550123"
PREMIUM = "19005551234"
UK = "011447700900123"


def cli(ctx, *args):
    r = subprocess.run([ctx.binary, *args], capture_output=True, text=True, timeout=30)
    log(f"$ trunkguard {' '.join(args)} -> {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo, extra={"policy": None}).start()
    with open(sut.config_path, encoding="utf-8") as f:
        check("\npolicy:" not in f.read(), "the config under test has a policy section")

    # 1. Premium.
    finals = refused(ctx, topo, "premium", CALLER, PREMIUM)
    check('text="Premium Destination Not Allowed"' in (finals[0].header("Reason") or ""),
          f"premium: Reason {finals[0].header('Reason')!r}")

    # 2. International, no allow rule.
    finals = refused(ctx, topo, "international", CALLER, UK)
    check('text="International Calls Not Allowed"' in (finals[0].header("Reason") or ""),
          f"international: Reason {finals[0].header('Reason')!r}")

    # 3. Emergency.
    invites = answered(ctx, topo, "emergency", CALLER, "911")
    check(invites[0].uri == f"sip:911@{topo.prov1_host}:{topo.prov1_port}",
          f"emergency Request-URI at the provider {invites[0].uri!r}")

    # 4. CDRs.
    rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 3 and all(
        r.get("disposition") != "in-progress" for r in rs), timeout=15, what="3 final CDRs")
    check(len(rows) == 3, f"expected 3 CDRs, got {len(rows)}: {rows}")
    rejected = sorted((r.get("policy_rule"), r.get("sip_code"), r.get("destination_class"))
                      for r in rows if r.get("disposition") == "rejected")
    check(rejected == [("default:deny-international", 403, "international"),
                       ("default:deny-premium", 403, "premium")],
          f"rejected CDRs (rule, code, class): {rejected}")
    emergency = [r for r in rows if r.get("disposition") == "answered"]
    check(len(emergency) == 1 and emergency[0].get("policy_rule") == "emergency",
          f"emergency CDR: {emergency}")

    # 5. explain and check-config.
    r = cli(ctx, "explain", "-c", sut.config_path, "--zone", "pbx", "--account", "201",
            "--to", UK, "--from", CALLER)
    check(r.returncode == 1 and "rule default:deny-international" in r.stdout and
          "decision REJECT 403 International Calls Not Allowed (rule default:deny-international)"
          in r.stdout, "explain does not name the default rule that refused")
    r = cli(ctx, "check-config", sut.config_path)
    check(r.returncode == 0, f"check-config rc {r.returncode}")
    for text in ("policy: not given: the built-in defaults apply",
                 "policy.rules: [{ name: intl, classes: [international], action: allow }]",
                 "CALLER-ID NOT CHECKED: no own numbers are configured"):
        check(text in r.stdout, f"check-config does not warn {text!r}")
    off = os.path.join(ctx.workdir, "policy-off.yaml")
    with open(off, "w") as f:
        f.write(harness.to_yaml(harness.gateway_config(
            topo, os.path.join(ctx.workdir, "off.db"),
            extra={"policy": {"enabled": False}})) + "\n")
    r = cli(ctx, "check-config", off)
    check(r.returncode == 0 and "policy.enabled: false: the toll-fraud policy is OFF" in r.stdout,
          "check-config does not warn that the policy is off")


if __name__ == "__main__":
    harness.run(test)
