#!/usr/bin/python3
"""A loopback HTTPS server that serves x5u certificate chains for the identity tests.

usage: x5u_server.py DIR CERT KEY
Listens on 127.0.0.1 on a port the kernel picks and prints that port as its first line. Exits
when its standard input closes (the test that started it ends), so it never outlives a test.

  GET /<file>[?max-age=N]  the file from DIR, with Cache-Control: max-age=N (default 300)
  GET /redirect/<n>/<file> 302 to /redirect/<n-1>/<file>, /redirect/0/<file> to /<file>
  GET /slow/<file>         the file after 5 s
  GET /big                 200 KiB of PEM-looking text
  GET /count               how many requests it answered, /count itself excluded
"""
import http.server
import os
import ssl
import sys
import threading
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    count = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if path == "/count":
            with Handler.lock:
                n = Handler.count
            self.send(200, str(n).encode())
            return
        with Handler.lock:
            Handler.count += 1
        query = urllib.parse.parse_qs(url.query)
        parts = path.strip("/").split("/")
        if parts[0] == "redirect" and len(parts) == 3:
            n = int(parts[1])
            to = "/" + parts[2] if n == 0 else "/redirect/%d/%s" % (n - 1, parts[2])
            self.send(302, headers=[("Location", to)])
            return
        if parts[0] == "slow" and len(parts) == 2:
            time.sleep(5)
            parts = parts[1:]
        if parts == ["big"]:
            self.send(200, b"-----BEGIN CERTIFICATE-----\n" + b"A" * 200 * 1024)
            return
        name = os.path.join(self.server.root, os.path.basename("/".join(parts)))
        if not os.path.isfile(name):
            self.send(404)
            return
        with open(name, "rb") as f:
            body = f.read()
        age = query.get("max-age", ["300"])[0]
        self.send(200, body, [("Content-Type", "application/pem-certificate-chain"),
                              ("Cache-Control", "max-age=" + age)])


def main():
    root, cert, key = sys.argv[1:4]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.root = root
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # until the test closes our input


if __name__ == "__main__":
    main()
