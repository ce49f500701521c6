"""Several real `rally` processes on one real Redis (its own `redis-server` per test module, so a test may
restart it): the fixtures and helpers of the cluster tests (README "Running several nodes")."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import RallyNode, wait_ready

REDIS_DEADLINE_S = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A `redis-server` on a loopback port, started and stopped by the test (restartable on the same port)."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server not found (apt-get install redis-server)")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.directory / "redis.log", "ab")
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=log, stderr=log)
        deadline = time.monotonic() + REDIS_DEADLINE_S
        while time.monotonic() < deadline:
            if self.cli("PING").strip() == "PONG":
                return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not answer on {self.port} within {REDIS_DEADLINE_S} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def cli(self, *arguments: str) -> str:
        result = subprocess.run(["redis-cli", "-p", str(self.port), *arguments], capture_output=True, text=True,
                                timeout=REDIS_DEADLINE_S)
        return result.stdout


def start_nodes(redis: RedisServer, count: int, log_dir: Path, first_id: int = 1,
                extra: dict[str, str] | None = None) -> list[RallyNode]:
    """`count` nodes on `redis`, with node ids from `first_id` on (ids must be unique on one bus)."""
    nodes = []
    for index in range(count):
        env = {"RALLY_REDIS_URL": redis.url, "RALLY_NODE_ID": f"{first_id + index:x}", "RALLY_THREADS": "1",
               **(extra or {})}
        directory = log_dir / f"node{index + 1}"
        directory.mkdir(parents=True, exist_ok=True)
        nodes.append(RallyNode.start(env, directory))
    for node in nodes:
        wait_ready(node)
    return nodes
