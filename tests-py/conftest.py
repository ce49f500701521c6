"""Fixtures for driving a live Rally node with the official Supabase Python client (`realtime`).

Each test module gets its own node (`rally` fixture); a module changes the node's environment by overriding the
module-scoped `rally_env` fixture. Tokens are HS256 JWTs signed here with the node's secret (`make_token`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

WORKTREE = Path(__file__).resolve().parent.parent
JWT_SECRET = "rally-pytest-secret-0123456789abcdef"
STARTUP_DEADLINE_S = 60.0
STOP_DEADLINE_S = 15.0
LISTENING_LINE = re.compile(r"^rally: listening on http://127\.0\.0\.1:(\d+)/?\s*$")


# MARK: tokens


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_hs256(claims: dict, secret: str = JWT_SECRET) -> str:
    """A compact HS256 JWS of `claims`."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{body}".encode("ascii")
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{body}.{_b64url(signature)}"


def make_token(
    *,
    role: str = "authenticated",
    sub: str | None = None,
    expires_in: float = 3600.0,
    exp: int | None = None,
    secret: str = JWT_SECRET,
    drop: tuple[str, ...] = (),
) -> str:
    """A JWT with claims {sub, role, exp}; `drop` leaves claims out (to forge incomplete tokens)."""
    claims = {
        "sub": sub or str(uuid.uuid4()),
        "role": role,
        "exp": exp if exp is not None else int(time.time() + expires_in),
    }
    for name in drop:
        claims.pop(name, None)
    return sign_hs256(claims, secret)


# MARK: the node


class RallyNode:
    """One `rally serve` process on a free loopback port."""

    def __init__(self, process: subprocess.Popen, port: int, log_path: Path, lines: queue.Queue) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path
        self._lines = lines

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def realtime_url(self) -> str:
        """The URL handed to `AsyncRealtimeClient` (it appends /websocket and the query)."""
        return f"{self.http_url}/realtime/v1"

    def ws_url(self, token: str | None, vsn: str = "1.0.0") -> str:
        """A raw WebSocket URL, as realtime-py builds it."""
        query = f"vsn={vsn}" if token is None else f"apikey={token}&vsn={vsn}"
        return f"ws://127.0.0.1:{self.port}/realtime/v1/websocket?{query}"

    @classmethod
    def start(cls, extra_env: dict[str, str], log_dir: Path, mode: str = "embedded") -> "RallyNode":
        binary = os.environ.get("RALLY_BIN", str(WORKTREE / ".build" / "debug" / "rally"))
        if not Path(binary).is_file():
            pytest.fail(f"rally binary not found at {binary} (build it: swift build --product rally, or set RALLY_BIN)")
        env = {**os.environ, "RALLY_JOIN_ERROR_DELAY_MS": "0", "RALLY_CONNECT_ERROR_DELAY_MS": "0", **extra_env}
        log_path = log_dir / "rally-stderr.log"
        command = [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--mode", mode,
                   "--jwt-secret", JWT_SECRET]
        with open(log_path, "wb") as stderr:
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump_lines, args=(process.stdout, lines), daemon=True).start()
        port = _wait_for_port(process, lines, log_path)
        return cls(process, port, log_path, lines)

    def terminate(self) -> int:
        """SIGTERM, then wait for the drain to finish; fails if the process outlives STOP_DEADLINE_S."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"rally did not exit within {STOP_DEADLINE_S} s of SIGTERM; stdout: {self.stdout_lines()!r}; "
                        f"stderr: {self.stderr_tail()}")

    def stdout_lines(self) -> list[str]:
        """What the node printed after its banner (e.g. the drain messages), so far."""
        lines = []
        while not self._lines.empty():
            line = self._lines.get_nowait()
            if line is not None:
                lines.append(line)
        return lines

    def stderr_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return "<no log>"


def _pump_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _wait_for_port(process: subprocess.Popen, lines: queue.Queue, log_path: Path) -> int:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    seen: list[str] = []
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if match := LISTENING_LINE.match(line):
            return int(match.group(1))
    process.kill()
    process.wait()
    stderr = log_path.read_text(errors="replace")[-4000:]
    pytest.fail(f"rally printed no 'rally: listening on http://127.0.0.1:<port>/' line within "
                f"{STARTUP_DEADLINE_S} s (exit code {process.returncode}); stdout: {seen!r}; stderr: {stderr}")


@pytest.fixture(scope="module")
def rally_env() -> dict[str, str]:
    """Extra environment for this module's node; modules override it."""
    return {}


@pytest.fixture(scope="module")
def rally(rally_env, tmp_path_factory):
    node = RallyNode.start(rally_env, tmp_path_factory.mktemp("rally"))
    yield node
    code = node.terminate()
    assert code == 0, f"rally exited with {code} after SIGTERM; stderr: {node.stderr_tail()}"


# MARK: a node on a real PostgreSQL (live data, docs/live-data.md)


def wait_ready(node: RallyNode) -> None:
    """Polls GET /readyz until 200: the node's LISTEN connection is up only a moment after its banner, and until
    then joins of live topics are refused (DatabaseUnavailable, docs/live-data.md)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + STARTUP_DEADLINE_S
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{node.http_url}/readyz", timeout=5):
                return
        except urllib.error.HTTPError as error:
            last = (error.code, error.read())
        time.sleep(0.05)
    pytest.fail(f"/readyz not 200 within {STARTUP_DEADLINE_S} s of the banner; last: {last!r}; "
                f"stderr: {node.stderr_tail()}")


@pytest.fixture(scope="module")
def live_db():
    """A fresh database on RALLY_TEST_DATABASE_URL's server with Rally's schema (`rally migrate`), dropped after."""
    from livedb import LiveDatabase, test_server_url

    database = LiveDatabase.create(test_server_url())
    yield database
    database.drop()


@pytest.fixture(scope="module")
def live_env() -> dict[str, str]:
    """Extra environment for this module's database-backed node; modules override it."""
    return {}


@pytest.fixture(scope="module")
def live_rally(live_db, live_env, tmp_path_factory):
    """A production-mode node reading and LISTENing on `live_db`."""
    env = {"RALLY_DATABASE_URL": live_db.url, "RALLY_JWT_SECRET": JWT_SECRET, **live_env}
    node = RallyNode.start(env, tmp_path_factory.mktemp("rally-live"), mode="production")
    wait_ready(node)
    yield node
    code = node.terminate()
    assert code == 0, f"rally exited with {code} after SIGTERM; stderr: {node.stderr_tail()}"


@pytest.fixture(scope="module")
def rows(live_db):
    """Writes rows into `live_db`, each statement its own transaction."""
    from livedb import Rows

    with live_db.connect() as connection:
        yield Rows(connection)
