"""A real SafeRound server process on loopback for the UI tests, and a proxy that can make it slow."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.pg import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class ServerProcess:
    """`saferound init-db`, `seed-demo`, then `serve` in a temp data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SAFEROUND_DATA_DIR": str(data_dir),
            "SAFEROUND_SECRET_KEY": "ui-test-secret-key-at-least-32-bytes-long",
            "SAFEROUND_ARGON2_TIME_COST": "1",
            "SAFEROUND_ARGON2_MEMORY_KIB": "1024",
        }
        self.env.pop("SAFEROUND_DATABASE_URL", None)
        self.process: subprocess.Popen | None = None

    def start(self) -> ServerProcess:
        for command in (["init-db"], ["seed-demo"]):
            done = subprocess.run(
                [str(BIN / "saferound"), *command], env=self.env, cwd=REPO, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, f"saferound {command[0]} failed:\n{done.stdout}\n{done.stderr}"
        self.log = open(self.data_dir / "server.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(BIN / "saferound"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=REPO,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, (self.data_dir / "server.log").read_text()
            time.sleep(0.1)
        raise AssertionError("the server did not start in 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def client(self, username: str, password: str = "saferound-demo") -> httpx.Client:
        token = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=10
        ).json()["access_token"]
        return httpx.Client(base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10)


class SlowProxy:
    """Forwards HTTP to the server; `delay` seconds are added to every request, and while `gate` is clear
    requests wait for it (a server that does not answer)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.delay = 0.0
        self.requests = 0
        self.held = 0  # requests waiting at the gate now
        self.gate = threading.Event()  # cleared: every request waits until it is set again
        self.gate.set()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.requests += 1
                if not proxy.gate.is_set():
                    proxy.held += 1
                    proxy.gate.wait(120)
                    proxy.held -= 1
                if proxy.delay:
                    time.sleep(proxy.delay)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")
                }
                answer = httpx.request(
                    self.command, proxy.upstream + self.path, content=body, headers=headers, timeout=60
                )
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _forward

            def log_message(self, *_args) -> None:  # noqa: ANN002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket.settimeout(1.0)  # an accept that finds nothing must not block shutdown()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
