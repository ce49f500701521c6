"""A PostgreSQL restart under a running node (docs/live-data.md, "After a lost database connection"): while the
database is down, open `event:` channels get their values again with live:false and /readyz reports
postgres_listen false; once it is back, the current count comes with live:true and chat messages stored
meanwhile are read after the last delivered id; a `postgres_changes` channel gets `Subscribed to PostgreSQL` again
(read again what you show) and the rows written after. The test runs its own PostgreSQL, so it may stop it."""

import asyncio
import os

import psycopg
import pytest
from conftest import JWT_SECRET, RallyNode, wait_ready
from helpers import Inbox, run
from live_helpers import LiveClient, named, off_loop, readyz, wait_until
from realtime.types import RealtimeSubscribeStates
from livedb import PrivateCluster, Rows, free_port, migrate

DOWN_DEADLINE_S = 15.0
BACK_DEADLINE_S = 30.0


@pytest.fixture(scope="module")
def cluster():
    if os.environ.get("RALLY_TEST_NO_SERVICES") == "1":
        pytest.skip("RALLY_TEST_NO_SERVICES=1: skipping a test that needs PostgreSQL")
    own = PrivateCluster()
    try:
        own.start()
        migrate(own.url)
        yield own
    finally:
        own.destroy()


@pytest.fixture(scope="module")
def restart_rally(cluster, tmp_path_factory):
    env = {"RALLY_DATABASE_URL": cluster.url, "RALLY_JWT_SECRET": JWT_SECRET}
    node = RallyNode.start(env, tmp_path_factory.mktemp("rally-restart"), mode="production")
    wait_ready(node)
    yield node
    code = node.terminate()
    assert code == 0, f"rally exited with {code} after SIGTERM; stderr: {node.stderr_tail()}"


def write(url: str, event: str, user: str, group: str, author: str, body: str) -> str:
    """Stores an RSVP (status going) and a chat message; returns the message's id."""
    with psycopg.connect(url, autocommit=True) as connection:
        rows = Rows(connection)
        rows.rsvp(user, event, "going")
        return rows.message(group, author, body)


def write_own_rsvp(url: str, user: str, event: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        Rows(connection).rsvp(user, event, "maybe")


def write_while_hidden(cluster: PrivateCluster, *args) -> str:
    """Starts the database on another port, where the node cannot reach it, writes, and stops it again: rows
    committed while the node's LISTEN connection is certainly down."""
    side_port = free_port()
    cluster.start(port=side_port)
    try:
        return write(cluster.url_on(side_port), *args)
    finally:
        cluster.stop()


def write_right_after_start(cluster: PrivateCluster, *args) -> str:
    """Starts the database where the node looks and writes at once (most likely before the node's LISTEN
    connection is back: its backoff is at least 100 ms)."""
    cluster.start()
    return write(cluster.url, *args)


def test_a_postgres_restart_goes_not_live_then_resyncs(cluster, restart_rally):
    with psycopg.connect(cluster.url, autocommit=True) as connection:
        rows = Rows(connection)
        viewer, author = rows.user(name="viewer"), rows.user(name="author")
        attendees = rows.users(5)
        event = rows.event("Open air", capacity=50)
        rows.rsvp(attendees[0], event, "going")
        group = rows.group(author, [author, viewer])

    async def listen_state(expected: bool):
        status, checks = await readyz(restart_rally)
        return (status, checks) if checks.get("postgres_listen") is expected else None

    def message_with(inbox, message_id: str, what: str, timeout: float = 10.0):
        return inbox.wait_for(lambda m: m["event"] == "message" and m["meta"]["id"] == message_id, what, timeout)

    async def body():
        client = LiveClient(restart_rally, viewer, "viewer")
        try:
            capacity = await client.join(f"event:{event}")
            chat = await client.join(f"group:{group}")
            rows_seen, row_system = Inbox("rows"), Inbox("system messages of the rows channel")
            rows_channel = client.client.channel("rows")
            rows_channel.on_postgres_changes("INSERT", rows_seen.put, table="event_attendance",
                                             filter=f"event_id=eq.{event}")
            rows_channel.on_system(row_system.put)
            row_states = Inbox("states of the rows channel")
            await rows_channel.subscribe(lambda state, error: row_states.put((state, str(error))))
            await row_states.wait_for(lambda s: s[0] == RealtimeSubscribeStates.SUBSCRIBED, "rows subscribed")
            await row_system.wait_for(what="Subscribed to PostgreSQL")
            await capacity.wait_for(named("capacity", going=1, live=True), "capacity after the join")
            before = await off_loop(write, cluster.url, event, attendees[1], group, author, "before")
            await message_with(chat, before, "the message before the restart")
            await capacity.wait_for(named("capacity", going=2, live=True), "capacity before the restart")
            status, checks = await readyz(restart_rally)
            assert status == 200 and checks["postgres_listen"] is True, (status, checks)

            await off_loop(cluster.stop)
            stale = await capacity.wait_for(named("capacity", live=False), "capacity with live:false while down",
                                            timeout=DOWN_DEADLINE_S)
            assert stale["payload"]["going"] == 2 and stale["payload"]["event_id"] == event
            status, checks = await wait_until(lambda: listen_state(False), "/readyz postgres_listen false",
                                              DOWN_DEADLINE_S)
            assert status == 503 and checks["status"] == "not_ready", (status, checks)

            hidden = await off_loop(write_while_hidden, cluster, event, attendees[2], group, author, "hidden")
            at_start = await off_loop(write_right_after_start, cluster, event, attendees[3], group, author,
                                      "at start")
            back = await capacity.wait_for(named("capacity", going=4, live=True), "live count after the restart",
                                           timeout=BACK_DEADLINE_S)
            assert back["payload"]["remaining"] == 46
            await message_with(chat, at_start, "the messages stored around the restart", BACK_DEADLINE_S)
            status, checks = await wait_until(lambda: listen_state(True), "/readyz postgres_listen true",
                                              BACK_DEADLINE_S)
            assert status == 200, (status, checks)

            await wait_until(lambda: asyncio.sleep(0, len(row_system.items) >= 2), "Subscribed to PostgreSQL again",
                             BACK_DEADLINE_S)
            assert [(m.status, m.message) for m in row_system.items] == [("ok", "Subscribed to PostgreSQL")] * 2
            assert [s[0] for s in row_states.items] == [RealtimeSubscribeStates.SUBSCRIBED]
            latest = await off_loop(write, cluster.url, event, attendees[4], group, author, "after")
            await off_loop(write_own_rsvp, cluster.url, viewer, event)
            await rows_seen.wait_for(lambda p: p["data"]["record"]["user_id"] == viewer, "the viewer's own RSVP")
            assert len(rows_seen.items) == 1, "the attendees' rows are private to a stranger"
            await capacity.wait_for(named("capacity", going=5, live=True), "a live update after the restart")
            await message_with(chat, latest, "a live message after the restart")
            messages = [m for m in chat.items if m["event"] == "message"]
            assert [m["meta"]["id"] for m in messages] == [before, hidden, at_start, latest], messages
            assert [m["payload"]["body"] for m in messages] == ["before", "hidden", "at start", "after"]
            live_flags = [c["live"] for c in (m["payload"] for m in capacity.items if m["event"] == "capacity")]
            assert live_flags.index(False) < len(live_flags) - 1 and live_flags[-1] is True, live_flags
        finally:
            await client.close()

    run(body(), timeout=120)
