#!/usr/bin/env python3
"""A real softphone, baresip 1.0 from Debian (libre's SIP stack), registers and calls through the
public zone with the gateway's default digest algorithms [SHA-256, MD5] (issue 21).

baresip 1.0 gives up on any SHA-256 challenge ("Function not
implemented"). The gateway learns that per (account, User-Agent):
1. First start: baresip's REGISTER gets SHA-256 first, baresip fails, nothing reaches the PBX.
2. Second start (a user trying again): MD5 alone is offered (libre fails on a SHA-256 challenge
   anywhere in the list), baresip registers (the PBX sees one
   authenticated REGISTER), dials 2002 (the PBX answers) and hangs up when it quits; the CDR
   is answered and ended. The gateway logged the change once.
baresip runs headless: no audio device (a sine source, no player), commands through -e, quit
through -t.
"""
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402
import tls_helpers  # noqa: E402

PHONE_IP = "127.0.0.40"
LEARNED = "never answered a SHA-256-first challenge"


def baresip_dir(ctx, topo, port, transport="udp", registrar_port=None, account_params="",
                config_lines=()):
    """baresip's config and its one account (201) registering to the public zone over
    `transport` (at `registrar_port`, the public UDP port unless given); `config_lines` are
    appended to its config (a CA file, more modules)."""
    path = os.path.join(ctx.workdir, "baresip")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config"), "w") as f:
        f.write("\n".join([
            "poll_method epoll",
            f"sip_listen {PHONE_IP}:{port}",
            "audio_player",
            "audio_source ausine,440",
            # ausine makes only 48 kHz stereo: without these, baresip 1.0 ends the call as
            # soon as it is answered ("session closed: Operation not supported")
            "ausrc_srate 48000",
            "ausrc_channels 2",
            "audio_alert",
            "module_path /usr/lib/baresip/modules",
            "module g711.so",
            "module ausine.so",
            "module_app account.so",
            "module_app menu.so",
            *config_lines,
        ]) + "\n")
    uri = f"sip:201@{topo.host}:{registrar_port or topo.public_side}"
    if transport != "udp":
        uri += f";transport={transport}"
    with open(os.path.join(path, "accounts"), "w") as f:
        f.write(f"<{uri}>;auth_pass={gh.PHONE_PASSWORD};regint=600{account_params}\n")
    return path


def add_tls_listener(ctx, topo, extra):
    """A TLS listener on the public zone with a fresh test PKI; returns (pki, port)."""
    pki = tls_helpers.make_pki(ctx.workdir)
    port = harness.free_port()
    extra["public"]["listen"].append(f"tls://{topo.host}:{port}")
    extra["tls"] = {"certificate": pki["server"][0], "private_key": pki["server"][1]}
    return pki, port


def run_baresip(ctx, name, config_dir, quit_after_s, commands=()):
    cmd = ["baresip", "-f", config_dir, "-t", str(quit_after_s)]
    for c in commands:
        cmd += ["-e", c]
    out = os.path.join(ctx.workdir, f"{name}.log")
    return harness.spawn(cmd, name, out, out), out


def registered_call(ctx, sut, pbx, name, config_dir, transport=None):
    """baresip registers and dials 2002; returns the call's CDR once answered and ended, with
    leg A over `transport` when given."""
    proc, out = run_baresip(ctx, name, config_dir, 6, ["/dial 2002"])
    pbx.wait_for(lambda m: not m.is_response and m.method == "REGISTER", timeout=10,
                 what="baresip's REGISTER at the PBX")
    pbx.wait_for(lambda m: not m.is_response and m.method == "INVITE", timeout=10,
                 what="baresip's INVITE at the PBX")
    rows = sut.wait_for_cdrs(lambda rs: any(r.get("end_time") for r in rs), timeout=25,
                             what="the baresip call's CDR with an end")
    harness.stop_process(proc, 10)
    row = rows[-1]
    log(f"CDR: {row.get('disposition')} {row.get('sip_code')} {row.get('end_reason')} "
        f"A over {row.get('a_transport')}")
    check(row.get("disposition") == "answered", f"the call must be answered: {row}")
    if transport:
        check(row.get("a_transport") == transport,
              f"leg A must be {transport}: {row.get('a_transport')!r}")
    return row


def wait_output(path, needles, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as f:
            text = f.read()
        if any(n in text for n in needles):
            return text
        time.sleep(0.2)
    with open(path, errors="replace") as f:
        return f.read()


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    check(shutil.which("baresip") is not None,
          "baresip is not installed (Debian: apt-get install baresip-core)")
    topo = gh.public_topology()
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    # The default algorithms: no `algorithms` key.
    sut = ctx.sut(topo, extra=gh.phones_extra(topo, accounts={"learn_algorithms": True}))
    gh.add_account(ctx, sut, "201")
    sut.start()
    config_dir = baresip_dir(ctx, topo, harness.free_port(PHONE_IP))

    # 1. SHA-256 first: baresip 1.0 cannot answer it.
    proc, out = run_baresip(ctx, "baresip-1", config_dir, 30)
    text = wait_output(out, ["Function not implemented", "reg: ", "401"], 10)
    harness.stop_process(proc, 5)
    log(f"first start: {[l for l in text.splitlines() if '201@' in l or 'reg' in l][-3:]}")
    check(not [m for m in pbx.messages() if m.method == "REGISTER"],
          "the first REGISTER must not get through (baresip cannot answer SHA-256)")

    # 2. MD5 alone from now on: it registers and calls.
    registered_call(ctx, sut, pbx, "baresip-2", config_dir)
    with open(sut.stdout_path, errors="replace") as f:
        gw_log = f.read()
    with open(sut.stderr_path, errors="replace") as f:
        gw_log += f.read()
    check(gw_log.count(LEARNED) == 1,
          f"the gateway must log the learned order once, saw {gw_log.count(LEARNED)}")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
