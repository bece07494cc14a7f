#!/usr/bin/python3
"""Two SMTP servers on loopback for tests/integration/test_alerts_mail.py (Debian's aiosmtpd).

Usage: smtp_receiver.py CERT KEY TLS_PORT PLAIN_PORT USER PASSWORD OUT

- TLS_PORT offers STARTTLS with CERT/KEY, requires it before anything else and before AUTH;
- PLAIN_PORT offers no STARTTLS at all and accepts AUTH in the clear;
both accept only USER/PASSWORD (PLAIN or LOGIN) when the client authenticates. Every message is
appended to OUT as one JSON line: which server, whether the session was in TLS, who
authenticated, the envelope and the content. Prints "ready" when both listen; runs until killed.
Runs with /usr/bin/python3 (aiosmtpd is a Debian package, python3-aiosmtpd).
"""
import json
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

CERT, KEY, TLS_PORT, PLAIN_PORT, USER, PASSWORD, OUT = sys.argv[1:8]
lock = threading.Lock()


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and
          auth_data.password.decode() == PASSWORD)
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)


class Recorder:
    def __init__(self, name):
        self.name = name

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        row = {"server": self.name, "tls": session.ssl is not None,
               "user": session.auth_data if session.authenticated else None,
               "from": envelope.mail_from, "to": envelope.rcpt_tos,
               "content": envelope.content.decode("ascii", "replace")}
        with lock, open(OUT, "a") as f:
            f.write(json.dumps(row) + "\n")
        return "250 OK"


def main():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT, KEY)
    tls = Controller(Recorder("tls"), hostname="127.0.0.1", port=int(TLS_PORT),
                     tls_context=context, require_starttls=True, auth_require_tls=True,
                     authenticator=authenticator)
    plain = Controller(Recorder("plain"), hostname="127.0.0.1", port=int(PLAIN_PORT),
                       auth_require_tls=False, authenticator=authenticator)
    tls.start()
    plain.start()
    print("ready", flush=True)
    try:
        threading.Event().wait()
    finally:
        tls.stop()
        plain.stop()


if __name__ == "__main__":
    main()
