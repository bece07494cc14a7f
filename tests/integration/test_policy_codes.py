#!/usr/bin/env python3
"""Call policy (issue 7), who may call where: PBX (sipp) -> trunkguard -> carrier-a (sipp).

Policy: numbers read as dialled in the US; the pbx zone denies by default; +44 needs a call
code ("*7" + 4 digits, alice's is 4821; three wrong codes lock the caller out); +1 is allowed;
outbound caller IDs must be our own numbers (+1212555*), otherwise the call is refused.

1. International without a code: 403 with a Reason header; nothing reaches the provider.
2. The same number with alice's code: the call goes through and the provider's Request-URI
   carries the number without the code.
3. A wrong code three times, then the right code from the same caller: all four refused (the
   fourth because the caller is locked out).
4. A spoofed caller ID (+44...) to a domestic number: refused.
5. An emergency call (911) from that spoofed caller ID: passes every rule.
6. CDRs: the rejected calls with disposition rejected, 403 and the rule; the coded call with
   account alice, the E.164 number, its class and rule; no CDR holds the code.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log
from policy_helpers import answered, refused

OWN = "+12125550123"      # one of our DIDs: a legitimate caller ID
OTHER = "+12125550124"    # another of ours: the one that guesses codes
SPOOFED = "+442079460000"  # not ours
UK = "011447700900123"
CODE = "4821"

POLICY = {
    "enabled": True,
    "numbering": {"pbx": {"country": "US"}},
    "default_action": {"pbx": "deny"},
    "own_numbers": ["+1212555*"],
    "caller_id": {"action": "reject"},
    "call_codes": {"prefix": "*7", "length": 4, "codes": {"alice": CODE}, "max_failures": 3,
                   "failure_window_s": 600, "lockout_s": 600},
    "rules": [
        {"name": "uk-needs-code", "prefixes": ["+44"], "action": "require_code"},
        {"name": "domestic", "prefixes": ["+1"], "action": "allow"},
    ],
}


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo, extra={"policy": POLICY}).start()

    # 1. No code.
    refused(ctx, topo, "uk-no-code", OWN, UK)

    # 2. Alice's code: through, code stripped.
    invites = answered(ctx, topo, "uk-with-code", OWN, "*7" + CODE + UK)
    ruri = invites[0].uri
    check(ruri == f"sip:{UK}@{topo.prov1_host}:{topo.prov1_port}",
          f"provider Request-URI {ruri!r}: expected the number without the call code")
    check(CODE not in invites[0].raw, f"the call code crossed to the provider:\n{invites[0].raw}")
    check(UK in (invites[0].header("To") or ""), f"To {invites[0].header('To')!r}")

    # 3. Three wrong codes lock the caller out; then even the right code is refused.
    refused(ctx, topo, "wrong-codes", OTHER, "*79999" + UK, calls=3)
    refused(ctx, topo, "locked-out", OTHER, "*7" + CODE + UK)

    # 4. Spoofed caller ID.
    refused(ctx, topo, "spoofed-caller-id", SPOOFED, "12125550100")

    # 5. Emergency, from that spoofed caller ID, with the pbx zone denying by default.
    invites = answered(ctx, topo, "emergency", SPOOFED, "911")
    check(invites[0].uri == f"sip:911@{topo.prov1_host}:{topo.prov1_port}",
          f"emergency Request-URI at the provider {invites[0].uri!r}")

    # 6. CDRs.
    rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 8 and all(
        r.get("disposition") != "in-progress" for r in rs), timeout=15, what="8 final CDRs")
    check(len(rows) == 8, f"expected 8 CDRs (6 refused, 2 answered), got {len(rows)}")
    for r in rows:
        check(CODE not in (r.get("to_uri") or "") + (r.get("dialled_e164") or ""),
              f"CDR {r.get('call_uuid')} holds the call code: {r}")
        check("policy_rule" in r and "account" in r and "cost" in r,
              f"`cdr list --json` lacks the policy columns: {sorted(r)}")
    rejected = [r for r in rows if r.get("disposition") == "rejected"]
    check(len(rejected) == 6, f"expected 6 rejected CDRs, got "
          f"{[(r.get('disposition'), r.get('policy_rule')) for r in rows]}")
    rules = sorted(r.get("policy_rule") for r in rejected)
    check(rules == sorted(["uk-needs-code", "call_code", "call_code", "call_code",
                           "call_code.locked", "caller_id"]),
          f"rejected CDRs' rules: {rules}")
    for r in rejected:
        check(r.get("sip_code") == 403, f"rejected CDR sip_code {r.get('sip_code')!r}")
    answered_rows = [r for r in rows if r.get("disposition") == "answered"]
    coded = [r for r in answered_rows if r.get("policy_rule") == "uk-needs-code"]
    check(len(coded) == 1, f"no answered CDR for the coded call: {answered_rows}")
    c = coded[0]
    check(c.get("account") == "alice", f"coded call account {c.get('account')!r}, expected alice")
    check(c.get("dialled_e164") == "+447700900123", f"dialled_e164 {c.get('dialled_e164')!r}")
    check(c.get("destination_class") not in (None, ""), "destination_class empty")
    emergency = [r for r in answered_rows if r.get("policy_rule") == "emergency"]
    check(len(emergency) == 1 and emergency[0].get("destination_class") == "emergency",
          f"emergency CDR: {emergency}")


if __name__ == "__main__":
    harness.run(test)
