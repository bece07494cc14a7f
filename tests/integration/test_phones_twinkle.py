#!/usr/bin/env python3
"""twinkle 1.10 (Debian `twinkle-console`) registers and calls through the public zone over UDP
(issue 21, the interop matrix).

twinkle runs headless in its command-line mode (`twinkle-console`, or `twinkle -c`), HOME a
temporary directory holding its profile (`~/.twinkle/phone.cfg`) and system settings
(`twinkle.sys`, audio devices not validated: there is no sound card, twinkle only warns),
commands on stdin: `call 2002`,
`bye`, `quit`. It registers (the PBX sees one authenticated REGISTER), calls 2002 (the PBX
answers; twinkle says so) and hangs up; the CDR must be answered and ended with leg A over
the transport asked.
MD5 alone (`algorithms: [MD5]`): the SHA-256 learning is test_phones_baresip.py's subject.
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402

def twinkle_home(ctx, topo, transport):
    home = os.path.join(ctx.workdir, f"twinkle-{transport}")
    os.makedirs(os.path.join(home, ".twinkle"), exist_ok=True)
    domain = f"{topo.host}:{topo.public_side}"
    with open(os.path.join(home, ".twinkle", "phone.cfg"), "w") as f:
        f.write("\n".join([
            "user_name=201", f"user_domain={domain}", "auth_name=201",
            f"auth_pass={gh.PHONE_PASSWORD}", f"registrar={domain}",
            "register_at_startup=yes", "registration_time=600",
            f"sip_transport={transport}", "codecs=g711a,g711u"]) + "\n")
    with open(os.path.join(home, ".twinkle", "twinkle.sys"), "w") as f:
        f.write("validate_audio_dev=no\nplay_ringtone=no\nplay_ringback=no\n")
    # No sound card here: twinkle 1.10 crashes (SIGSEGV) when an answered call cannot open one,
    # so ALSA's null plugin (alsa-lib, no device) is its default PCM.
    with open(os.path.join(home, ".asoundrc"), "w") as f:
        f.write("pcm.!default { type null }\nctl.!default { type hw card 0 }\n")
    return home


def twinkle_command(home, sip_port, rtp_port):
    """The shell command that starts twinkle in command-line mode, or None when it is missing.
    Debian's twinkle-console is always in that mode and takes only profile files: its ports go
    in twinkle.sys. The GUI package's `twinkle` takes -c and the ports as options."""
    if shutil.which("twinkle-console"):
        with open(os.path.join(home, ".twinkle", "twinkle.sys"), "a") as f:
            f.write(f"sip_port={sip_port}\nsip_udp_port={sip_port}\nrtp_port={rtp_port}\n")
        return "twinkle-console phone.cfg"
    if shutil.which("twinkle"):
        return f"twinkle -c -f phone --sip-port {sip_port} --rtp-port {rtp_port}"
    return None


def run_twinkle(ctx, name, home, sip_port, rtp_port, talk_s=3):
    """twinkle with its commands fed on stdin by a shell: register, call, bye, quit."""
    command = twinkle_command(home, sip_port, rtp_port)
    check(command is not None, "twinkle is not installed (Debian: apt-get install twinkle-console)")
    script = (f"sleep 2; echo 'call 2002'; sleep {talk_s}; echo bye; sleep 1; echo quit; sleep 2")
    cmd = ["sh", "-c", f"({script}) | {command}"]
    out = os.path.join(ctx.workdir, f"{name}.log")
    env = dict(os.environ, HOME=home)
    return harness.spawn(cmd, name, out, out, cwd=home, env=env), out


def call_through(ctx, transport):
    topo = gh.public_topology()
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
    extra = gh.phones_extra(topo)
    if transport == "tcp":
        extra["public"]["listen"].append(f"tcp://{topo.host}:{topo.public_side}")
    sut = ctx.sut(topo, extra=extra)
    gh.add_account(ctx, sut, "201")
    sut.start()
    home = twinkle_home(ctx, topo, transport)
    proc, out = run_twinkle(ctx, f"twinkle-{transport}", home, harness.free_port(),
                            harness.free_port())
    pbx.wait_for(lambda m: not m.is_response and m.method == "REGISTER", timeout=10,
                 what="twinkle's REGISTER at the PBX")
    pbx.wait_for(lambda m: not m.is_response and m.method == "INVITE", timeout=10,
                 what="twinkle's INVITE at the PBX")
    pbx.wait_for(lambda m: not m.is_response and m.method == "BYE", timeout=10,
                 what="twinkle's BYE at the PBX")
    rows = sut.wait_for_cdrs(lambda rs: any(r.get("end_time") for r in rs), timeout=10,
                             what="the twinkle call's CDR with an end")
    harness.stop_process(proc, 10)
    with open(out, errors="replace") as f:
        text = f.read()
    check("registration succeeded" in text and "far end answered call" in text,
          f"twinkle must say it registered and was answered, said:\n{text[-1500:]}")
    row = rows[-1]
    log(f"CDR: {row.get('disposition')} {row.get('sip_code')} A over {row.get('a_transport')}")
    check(row.get("disposition") == "answered", f"the call must be answered: {row}")
    check(row.get("a_transport") == transport,
          f"leg A must be {transport}: {row.get('a_transport')!r}")
    sut.stop()


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("remote phones are a trunkguard feature")
        return
    call_through(ctx, "udp")


if __name__ == "__main__":
    harness.run(test)
