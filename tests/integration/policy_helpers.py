"""Calls the policy tests place from the PBX side: one that must be refused before it reaches
the provider, one that must go through to carrier-a."""
import re

import harness
from harness import check, log


def reason_of(msg):
    return msg.header("Reason") or ""


def _scenario(base, caller, account):
    """The scenario and its -key arguments: with `account`, the PBX asserts that extension in
    X-Account (pbx.targets[].identity_header)."""
    if account is None:
        return f"{base}.xml", ["-key", "caller", caller]
    return f"{base}_account.xml", ["-key", "caller", caller, "-key", "account", account]


def refused(ctx, topo, name, caller, dialled, calls=1, code=403, account=None):
    """Places `calls` calls that must each be refused with `code` and a Reason header, and
    never reach the provider. Returns the final responses."""
    scenario, keys = _scenario("policy_uac_reject", caller, account)
    uac = ctx.sipp(name, scenario, local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=dialled,
                   calls=calls, rate=10, timeout_s=10, extra=keys)
    uac.start()
    r = uac.wait()
    log(r.describe())
    harness.expect_calls(r, calls, what=f"{name}: refused calls")
    finals = [m for m in uac.received() if m.status and m.status >= 200]
    check(len(finals) >= calls, f"{name}: expected {calls} final responses, got "
          f"{[m.summary() for m in finals]}")
    for m in finals:
        check(m.status == code, f"{name}: expected {code}, got {m.summary()}")
        check(re.fullmatch(rf'SIP;\s*cause={code};\s*text="[^"]+"', reason_of(m)),
              f"{name}: Reason header {reason_of(m)!r}, expected SIP;cause={code};text=\"...\"")
    return finals


def answered(ctx, topo, name, caller, dialled, account=None):
    """One call that must go through to carrier-a; returns the INVITEs carrier-a received."""
    provider = ctx.sipp(f"{name}-provider", "uas_basic.xml", local_ip=topo.prov1_host,
                        local_port=topo.prov1_port, calls=1, timeout_s=20)
    scenario, keys = _scenario("policy_uac_call", caller, account)
    uac = ctx.sipp(name, scenario, local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=dialled,
                   calls=1, duration_ms=300, timeout_s=20, extra=keys)
    uac_r, (prov_r,) = ctx.run_calls(uac, [provider])
    log(uac_r.describe())
    log(prov_r.describe())
    harness.expect_calls(uac_r, 1, what=f"{name}: PBX side")
    harness.expect_calls(prov_r, 1, what=f"{name}: provider side")
    invites = harness.distinct_requests(provider.received("INVITE"))
    check(len(invites) == 1, f"{name}: the provider received {len(invites)} INVITEs")
    return invites
