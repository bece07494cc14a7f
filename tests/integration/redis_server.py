"""A throwaway redis-server for tests and benchmarks: started on a loopback port of its own with
a temporary directory and no persistence, stopped by its owner."""
import os
import shutil
import subprocess
import tempfile
import time

import harness
from harness import check


class Redis:
    def __init__(self, workdir):
        check(shutil.which("redis-server") is not None,
              "redis-server is not installed; run scripts/install-deps.sh")
        self.dir = tempfile.mkdtemp(prefix="redis-", dir=workdir)
        self.port = harness.free_port()
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        self.proc = harness.spawn(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no"],
            "redis", os.path.join(self.dir, "out.log"), os.path.join(self.dir, "err.log"))
        deadline = time.time() + 10
        while time.time() < deadline:
            r = subprocess.run(["redis-cli", "-p", str(self.port), "PING"], capture_output=True,
                               text=True)
            if r.stdout.strip() == "PONG":
                return self
            time.sleep(0.05)
        raise harness.TestFailure("redis-server did not answer PING within 10 s")

    def scripts_run(self):
        """How many scripts (EVALSHA and EVAL, failed ones included) Redis has been sent, from
        INFO commandstats; the commands a script runs inside are not counted. None when Redis
        does not answer."""
        r = subprocess.run(["redis-cli", "-p", str(self.port), "INFO", "commandstats"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        total = 0
        for line in r.stdout.splitlines():
            if line.startswith(("cmdstat_evalsha:", "cmdstat_eval:")):
                fields = dict(f.split("=", 1) for f in line.split(":", 1)[1].split(","))
                total += int(fields.get("calls", 0))
        return total

    def kill(self):
        if self.proc is not None:
            harness.kill_process(self.proc)
            self.proc = None
