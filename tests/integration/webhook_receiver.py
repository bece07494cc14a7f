"""A webhook receiver for the alert tests: an HTTP server on a loopback port of its own that
answers every POST 200 and keeps its JSON body; started and stopped by the test (`with`)."""
import http.server
import json
import threading


class WebhookReceiver:
    def __init__(self):
        receiver = self
        self._bodies = []
        self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                with receiver._lock:
                    receiver._bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def bodies(self):
        """The JSON bodies received so far, oldest first."""
        with self._lock:
            return list(self._bodies)
