"""A real PostgreSQL behind a Rally node, for the live-data tests (docs/live-data.md).

`LiveDatabase` is a fresh database `rally_py_<random>` on the server of RALLY_TEST_DATABASE_URL (started by
`scripts/services.sh`), migrated with `rally migrate`; `Rows` writes the rows the live feeds watch, each
statement its own transaction (psycopg 3, autocommit). `PrivateCluster` is a PostgreSQL of a test's own
(initdb into a temporary folder), for a test that stops and restarts the server under a running node.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from conftest import WORKTREE

COMMAND_DEADLINE_S = 60.0
PG_BIN = Path(os.environ.get("RALLY_PG_BIN", "/usr/lib/postgresql/15/bin"))


def rally_binary() -> str:
    binary = os.environ.get("RALLY_BIN", str(WORKTREE / ".build" / "debug" / "rally"))
    if not Path(binary).is_file():
        pytest.fail(f"rally binary not found at {binary} (build it: swift build --product rally, or set RALLY_BIN)")
    return binary


def test_server_url() -> str:
    """RALLY_TEST_DATABASE_URL; unset, the test fails saying how to start PostgreSQL (skips only when
    RALLY_TEST_NO_SERVICES=1), as the Swift tests do."""
    url = os.environ.get("RALLY_TEST_DATABASE_URL", "")
    if url:
        return url
    if os.environ.get("RALLY_TEST_NO_SERVICES") == "1":
        pytest.skip("RALLY_TEST_NO_SERVICES=1: skipping a test that needs PostgreSQL")
    pytest.fail('RALLY_TEST_DATABASE_URL is not set: this test needs a real PostgreSQL. Run '
                '`eval "$(scripts/services.sh start)"` first (or set RALLY_TEST_NO_SERVICES=1 to skip it).')


test_server_url.__test__ = False  # a helper, not a test


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def migrate(url: str) -> None:
    """Applies Rally's schema and triggers with `rally migrate`."""
    result = subprocess.run([rally_binary(), "migrate"], env={**os.environ, "RALLY_DATABASE_URL": url},
                            capture_output=True, text=True, timeout=COMMAND_DEADLINE_S)
    assert result.returncode == 0, f"rally migrate failed ({result.returncode}): {result.stdout}{result.stderr}"


class LiveDatabase:
    """A fresh, migrated database; `drop()` removes it."""

    def __init__(self, server_url: str, name: str) -> None:
        self.server_url = server_url
        self.name = name
        self.url = with_database(server_url, name)

    @classmethod
    def create(cls, server_url: str) -> "LiveDatabase":
        database = cls(server_url, f"rally_py_{uuid.uuid4().hex[:12]}")
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database.name}"')
        migrate(database.url)
        return database

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True)

    def drop(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Rows:
    """Writes the rows the live feeds read; every call commits (autocommit) unless inside `connection.transaction()`."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection

    def _one(self, sql: str, params: tuple = ()) -> str:
        row = self.connection.execute(sql, params).fetchone()
        return str(row[0])

    def user(self, privacy: str = "public", name: str = "user") -> str:
        return self._one("INSERT INTO users (email, full_name, privacy_level) VALUES (%s, %s, %s) RETURNING id",
                         (f"{name}-{uuid.uuid4().hex}@rally.test", name, privacy))

    def users(self, count: int) -> list[str]:
        tag = uuid.uuid4().hex
        rows = self.connection.execute(
            "INSERT INTO users (email) SELECT 'bulk-' || g || '-' || %s || '@rally.test' "
            "FROM generate_series(1, %s) AS g RETURNING id", (tag, count)).fetchall()
        return [str(row[0]) for row in rows]

    def friendship(self, a: str, b: str, status: str = "accepted") -> None:
        self.connection.execute("INSERT INTO friendships (user_id, friend_id, status, initiated_by) "
                                "VALUES (%s, %s, %s, %s)", (a, b, status, a))

    def group(self, creator: str, members: list[str], privacy: str = "private") -> str:
        group_id = self._one("INSERT INTO groups (name, created_by, privacy_level) VALUES (%s, %s, %s) RETURNING id",
                             ("py group", creator, privacy))
        for member in members:
            self.connection.execute("INSERT INTO group_members (group_id, user_id) VALUES (%s, %s)",
                                    (group_id, member))
        return group_id

    def event(self, title: str = "py event", capacity: int | None = None, visibility: str | None = None,
              creator: str | None = None) -> str:
        return self._one(
            "INSERT INTO events (title, date_time, location_name, category, source, capacity, visibility, "
            "created_by_user_id) VALUES (%s, NOW() + INTERVAL '7 days', 'Somewhere', 'music', 'pytest', %s, %s, %s) "
            "RETURNING id", (title, capacity, visibility, creator))

    def rsvp(self, user: str, event: str, status: str = "going", visibility: str = "public") -> None:
        self.connection.execute(
            "INSERT INTO event_attendance (user_id, event_id, status, visibility) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (user_id, event_id) DO UPDATE SET status = EXCLUDED.status, "
            "visibility = EXCLUDED.visibility, updated_at = NOW()", (user, event, status, visibility))

    def plan(self, organizer: str, title: str = "py plan", status: str = "planning") -> str:
        return self._one("INSERT INTO plans (organizer_id, title, status) VALUES (%s, %s, %s) RETURNING id",
                         (organizer, title, status))

    def notification(self, user: str, title: str, type_: str = "friend_request", message: str = "hello",
                     data: dict | None = None) -> str:
        return self._one("INSERT INTO notifications (user_id, type, title, message, data) "
                         "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                         (user, type_, title, message, json.dumps(data or {})))

    def message(self, group: str, user: str, body: str) -> str:
        return self._one("INSERT INTO group_messages (group_id, user_id, body) VALUES (%s, %s, %s) RETURNING id",
                         (group, user, body))


# MARK: a PostgreSQL of the test's own


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_pg_owner(command: list[str]) -> list[str]:
    """As root (CI), PostgreSQL runs as the `postgres` system user: initdb refuses root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivateCluster:
    """initdb into a temporary folder; start, stop and restart on a fixed loopback port (trust auth)."""

    USER = "rally"

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="rally-py-pg-"))
        self.data = self.home / "data"
        self.log = self.home / "postgres.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", str(self.data), "-U", self.USER, "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")

    @property
    def url(self) -> str:
        return f"postgres://{self.USER}@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def _run(self, *command) -> str:
        result = subprocess.run(_as_pg_owner([str(part) for part in command]), cwd="/", capture_output=True,
                                text=True, timeout=COMMAND_DEADLINE_S)
        assert result.returncode == 0, (f"{command} failed ({result.returncode}): {result.stdout}{result.stderr}; "
                                        f"log: {self.log_tail()}")
        return result.stdout

    def start(self, port: int | None = None) -> None:
        """Starts the server; on `port` instead of `self.port` when given (where no client of `url` finds it)."""
        options = ["-o", f"-p {port}"] if port else []
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30", *options, "start")

    def url_on(self, port: int) -> str:
        return f"postgres://{self.USER}@127.0.0.1:{port}/postgres?sslmode=disable"

    def stop(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30", "stop")

    def is_running(self) -> bool:
        result = subprocess.run(_as_pg_owner([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"]), cwd="/",
                                capture_output=True, timeout=COMMAND_DEADLINE_S)
        return result.returncode == 0

    def destroy(self) -> None:
        if self.data.exists() and self.is_running():
            self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def log_tail(self, size: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-size:]
        except OSError:
            return "<no log>"
