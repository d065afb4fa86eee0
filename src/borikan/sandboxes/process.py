"""Running a sandbox as its own process (tests, the demo): start it, wait until it answers, stop it.

Each sandbox module (bank_gateway, civil_registry, sms_gateway) is a stdlib HTTP server with a `/healthz` route
and a `main()`; these helpers are the part they share.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

SRC_DIR = str(Path(__file__).resolve().parents[2])


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def spawn_module(
    module: str, args: list[str], *, port: int | None = None, timeout: float = 15
) -> tuple[subprocess.Popen, str]:
    """Run `python -m module --port N *args`; return the process and its base URL once /healthz answers. Raises
    RuntimeError if it exits or stays silent for `timeout` seconds. Stop it with `stop()`."""
    port = port or free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC_DIR, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", module, "--port", str(port), *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    name = module.rsplit(".", 1)[-1]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            raise RuntimeError(f"sandbox {name} exited with {process.returncode}: {detail}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:  # noqa: S310 -- our own URL
                if response.status == 200:
                    return process, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"sandbox {name} did not answer {url}/healthz within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    if process.stderr:
        process.stderr.close()


def serve(server: ThreadingHTTPServer) -> None:
    """Serve until interrupted, then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
