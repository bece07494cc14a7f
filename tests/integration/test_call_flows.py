#!/usr/bin/env python3
"""The call-flow suite (issue 21): sipp UAC/UAS pairs run through the gateway in both
directions, PBX -> provider (outbound) and provider -> PBX (inbound).

Each flow is one call. The scenarios (scenarios/flow_*.xml and the basic ones) check the
message sequence each side sees; this script adds the checks a scenario cannot express (what
must not arrive, headers that must be gone) and the CDR of the call. Every flow runs in both
directions even when one fails; the result matrix is printed as a Markdown table at the end
(docs/interop.md, "Call flows through the gateway"), and any failed cell fails the test.

    python3 tests/integration/test_call_flows.py --binary build/trunkguard
    python3 tests/integration/test_call_flows.py --sut kamailio   # the same flows via Kamailio
    TG_FLOWS=cancel,large-invite python3 tests/integration/test_call_flows.py --binary ...
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402

NO_ANSWER_S = 2  # b2bua.no_answer_timeout_s for the no-answer flow (the others answer at once)


def flow(name, uac, uas, cdr=None, uac_keys=(), uas_keys=(), uas_gets_call=True,
         checks=None, b2bua_only=False, duration_ms=None):
    """cdr: (disposition, sip_code) the gateway must record for the call, None for no call.
    uas_gets_call: False when the far end must not see the call at all (the gateway answers)."""
    return dict(name=name, uac=uac, uas=uas, cdr=cdr, uac_keys=list(uac_keys),
                uas_keys=list(uas_keys), uas_gets_call=uas_gets_call, checks=checks,
                b2bua_only=b2bua_only, duration_ms=duration_ms)


def keys(**kv):
    out = []
    for k, v in kv.items():
        out += ["-key", k, str(v)]
    return out


# --- checks a scenario cannot express ---------------------------------------------------------

def check_cancel_no487(ctx, uac, uas):
    check(uas.received("CANCEL"), "the callee did not receive the CANCEL")
    check(uac.received(status=487), "the caller did not get its 487")


def check_early_media(ctx, uac, uas):
    early = uac.received(status=183)
    check(early and "m=audio" in early[0].body, "the caller's 183 has no SDP (early media lost)")


def check_100rel_relayed_unreliably(ctx, uac, uas):
    check(uas.received("PRACK"), "the callee's reliable 180 was not PRACKed")
    for m in uac.received(status=180):
        req = (m.header("Require") or "").lower()
        if ctx.b2bua:
            # The gateway PRACKs on B and relays the 180 unreliably: no 100rel, no RSeq.
            check("100rel" not in req and m.header("RSeq") is None,
                  f"180 to the caller still says Require: {req!r} / RSeq {m.header('RSeq')!r}")


def check_require_100rel(ctx, uac, uas):
    if ctx.b2bua:
        check(not uas.received("INVITE"), "the gateway relayed an INVITE it must answer 420")


def check_large(ctx, uac, uas):
    sent = uac.sent("INVITE")
    check(sent and len(sent[0].raw) > 1300, "the large INVITE is not large: "
          f"{len(sent[0].raw) if sent else 0} bytes")
    got = uas.received("INVITE")
    check(got, "the callee did not receive the large INVITE")
    log(f"    large INVITE: {len(sent[0].raw)} bytes sent by the caller, "
        f"{len(got[0].raw)} bytes received by the callee")


def check_no_answer(ctx, uac, uas):
    check(uac.received(status=480), "the caller did not get 480 after the no-answer timeout")
    check(uas.received("CANCEL"), "the callee was not cancelled after the no-answer timeout")


def check_glare(ctx, uac, uas):
    # Each side's re-INVITE crossed the other's: each got exactly one 491 and then its retry
    # went through (the scenarios require the 200s); the gateway kept no stale "pending" state.
    for side, name, first, retry in ((uac, "caller", 2, 3), (uas, "callee", 101, 102)):
        got = {m.cseq[0] for m in side.received(status=491)}
        check(got == {first}, f"the {name} got 491 for CSeq {sorted(got)}, expected {first}")
        sent = sorted({m.cseq[0] for m in side.sent("INVITE")})
        check(first in sent and retry in sent,
              f"the {name} sent re-INVITEs {sent}, expected {first} and its retry {retry}")
        answered = {m.cseq[0] for m in side.received(status=200) if m.cseq[1] == "INVITE"}
        check(retry in answered, f"the {name}'s retry (CSeq {retry}) was not answered 200")


def check_options(ctx, uac, uas):
    relayed = bool(uas.received("OPTIONS"))
    log(f"    in-dialog OPTIONS {'relayed to' if relayed else 'answered without'} the far end")


FLOWS = [
    flow("basic, caller hangs up", "uac_basic.xml", "uas_basic.xml", ("answered", 200)),
    flow("basic, callee hangs up", "uac_recv_bye.xml", "uas_bye.xml", ("answered", 200)),
    flow("CANCEL while ringing", "uac_cancel.xml", "uas_ring_cancel.xml", ("cancelled", 487),
         duration_ms=300),
    flow("CANCEL answered 200, no 487", "uac_cancel.xml", "flow_uas_cancel_no487.xml",
         ("cancelled", 487), uas_gets_call=None, checks=check_cancel_no487, duration_ms=300),
    flow("486 Busy Here", "policy_uac_reject.xml", "flow_uas_486.xml", ("busy", 486),
         uac_keys=keys(caller="2001"), checks=lambda ctx, uac, uas: check(
             uac.received(status=486), "the caller did not get the 486")),
    flow("603 Decline", "policy_uac_reject.xml", "flow_uas_603.xml", ("declined", 603),
         uac_keys=keys(caller="2001"), checks=lambda ctx, uac, uas: check(
             uac.received(status=603), "the caller did not get the 603")),
    flow("early media (183 with SDP)", "uac_basic.xml", "flow_uas_early_media.xml",
         ("answered", 200), checks=check_early_media),
    flow("hold/resume by the caller", "flow_uac_hold_resume.xml", "flow_uas_answer_reinvites.xml",
         ("answered", 200)),
    flow("hold/resume by the callee", "flow_uac_answers_reinvites.xml",
         "flow_uas_hold_resume.xml", ("answered", 200)),
    # Through a proxy the callee's crossing re-INVITE reaches the caller itself, which answers
    # it 491 in a real phone but not in this scenario: gateway only.
    flow("glare (491, both retry)", "flow_uac_glare.xml", "flow_uas_glare.xml",
         ("answered", 200), checks=check_glare,
         b2bua_only="n/a (through a proxy the caller's scenario meets the crossing INVITE)"),
    flow("UPDATE (confirmed) + session refresh", "flow_uac_update.xml", "flow_uas_in_dialog.xml",
         ("answered", 200)),
    flow("UPDATE (early dialog)", "flow_uac_update_early.xml", "flow_uas_update_early.xml",
         ("answered", 200)),
    flow("INFO (DTMF)", "flow_uac_info.xml", "flow_uas_in_dialog.xml", ("answered", 200)),
    flow("in-dialog OPTIONS", "flow_uac_options.xml", "flow_uas_in_dialog.xml",
         ("answered", 200), checks=check_options),
    flow("100rel from the callee", "flow_uac_100rel.xml", "flow_uas_100rel.xml", ("answered", 200),
         checks=check_100rel_relayed_unreliably),
    # Through a proxy the callee answers 420 itself (it is the same reject scenario).
    flow("caller requires 100rel", "flow_uac_require_100rel.xml", "flow_uas_420.xml", None,
         uas_gets_call=None,
         checks=check_require_100rel),
    flow("late offer (SDP in 200/ACK)", "flow_uac_late_offer.xml", "flow_uas_late_offer.xml",
         ("answered", 200)),
    flow("large INVITE (> 1300 bytes)", "flow_uac_large.xml", "uas_basic.xml",
         ("answered", 200), checks=check_large),
    flow("no answer (timeout)", "uac_expect_error.xml", "uas_ring_cancel.xml", ("no-answer", 480),
         checks=check_no_answer, b2bua_only=True),
    flow("BYE for an unknown dialog", "flow_uac_bye_unknown.xml", None, None),
]


def slug(text):
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40]


def run_flow(ctx, sut, topo, f, direction):
    """One call of flow f; returns None when it passed, else the reason."""
    if direction == "outbound":
        caller = (topo.pbx_host, topo.pbx_port, topo.pbx_side_addr(), topo.dialled)
        callee = (topo.prov1_host, topo.prov1_port)
    else:
        caller = (topo.prov1_host, topo.prov1_port, topo.trunk_side_addr(), "2001")
        callee = (topo.pbx_host, topo.pbx_port)
    tag = f"{slug(f['name'])}-{direction}"
    uas = None
    if f["uas"]:
        uas = ctx.sipp(f"{tag}-uas", f["uas"], local_ip=callee[0], local_port=callee[1],
                       calls=1 if f["uas_gets_call"] else None, timeout_s=20,
                       extra=f["uas_keys"])
    uac = ctx.sipp(f"{tag}-uac", f["uac"], local_ip=caller[0], local_port=caller[1],
                   remote=caller[2], service=caller[3], calls=1, timeout_s=20,
                   duration_ms=f["duration_ms"], extra=f["uac_keys"])
    try:
        uac_r, uas_rs = ctx.run_calls(uac, [uas] if uas else [], uas_timeout=15)
        log(f"    {uac_r.describe()}")
        harness.expect_calls(uac_r, 1, what="caller")
        for r in uas_rs:
            log(f"    {r.describe()}")
            if f["uas_gets_call"]:
                harness.expect_calls(r, 1, what="callee")
        if f["checks"]:
            f["checks"](ctx, uac, uas)
        if ctx.b2bua:
            a_ids = {m.call_id for m in uac.sent()}
            if f["cdr"] is None:
                rows = [r for r in sut.cdr_list() if r.get("a_call_id") in a_ids]
                check(all(r.get("disposition") != "in-progress" for r in rows),
                      f"a CDR of this flow stays in progress: {rows}")
            else:
                # Written in batches: wait a little, but far less than 64*T1 (32 s here). The
                # end is the final record: a call answered long enough ago (glare takes a few
                # seconds) already shows "answered" while its end is still in the next batch.
                def ended(r):
                    return (r.get("a_call_id") in a_ids and r.get("disposition") != "in-progress"
                            and r.get("end_time"))
                rows = sut.wait_for_cdrs(lambda rs: any(ended(r) for r in rs), timeout=6,
                                         what=f"the final CDR (with an end time) of {f['name']}")
                row = next(r for r in rows if ended(r))
                want_disp, want_code = f["cdr"]
                check(row.get("disposition") == want_disp and row.get("sip_code") == want_code,
                      f"CDR {row.get('disposition')!r} {row.get('sip_code')!r}, expected "
                      f"{want_disp!r} {want_code!r}")
                check(row.get("direction") == direction, f"CDR direction {row.get('direction')}")
                check(row.get("end_time"), "CDR without an end time")
        return None
    except harness.TestFailure as e:
        for s in (uac, uas):
            if s is not None and s.proc is not None and s.proc.poll() is None:
                harness.kill_process(s.proc)
        return str(e).splitlines()[0][:160]


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo, extra={"b2bua": {"no_answer_timeout_s": NO_ANSWER_S}}).start()
    wanted = {s.strip() for s in os.environ.get("TG_FLOWS", "").split(",") if s.strip()}
    results = []
    for f in FLOWS:
        if wanted and slug(f["name"]) not in wanted and not any(w in slug(f["name"])
                                                                for w in wanted):
            continue
        for direction in ("outbound", "inbound"):
            if f["b2bua_only"] and not ctx.b2bua:
                why = f["b2bua_only"]
                results.append((f["name"], direction, why if isinstance(why, str) else
                                "n/a (proxy has no no-answer timer)"))
                continue
            log(f"--- {f['name']} ({direction})")
            started = time.time()
            why = run_flow(ctx, sut, topo, f, direction)
            log(f"    {'PASS' if why is None else 'FAIL: ' + why} ({time.time() - started:.1f}s)")
            results.append((f["name"], direction, "pass" if why is None else "FAIL: " + why))
    check(sut.alive(), f"{sut.kind} died during the flows")

    log(f"\nflow | PBX -> provider | provider -> PBX   (SUT {ctx.sut_kind})")
    by_flow = {}
    for name, direction, outcome in results:
        by_flow.setdefault(name, {})[direction] = outcome
    for name, cells in by_flow.items():
        log(f"| {name} | {cells.get('outbound', '-')} | {cells.get('inbound', '-')} |")
    failed = [(n, d, o) for n, d, o in results if o.startswith("FAIL")]
    passed = sum(1 for _, _, o in results if o == "pass")
    ran = sum(1 for _, _, o in results if not o.startswith("n/a"))
    log(f"{passed} of {ran} flow runs passed ({len(results) - ran} not applicable)")
    check(not failed, f"{len(failed)} flow runs failed: " +
          "; ".join(f"{n} ({d}): {o}" for n, d, o in failed))


if __name__ == "__main__":
    harness.run(test)
