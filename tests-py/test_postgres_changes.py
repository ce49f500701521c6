"""`postgres_changes` with realtime-py's `on_postgres_changes` on a real PostgreSQL (docs/live-data.md): rows of
`event_attendance` reach a friend, a stranger and someone the actor blocks exactly as the privacy rules allow —
DELETE and the old row of an UPDATE included — only when the filter matches, and a table Rally does not serve is
refused with a reason."""

import pytest
from helpers import Inbox, client_for, run
from conftest import make_token
from realtime.types import RealtimeSubscribeStates


@pytest.fixture
def people(rows):
    actor, friend, stranger, blocked, marker = (rows.user(name=name) for name in
                                                ("actor", "friend", "stranger", "blocked", "marker"))
    rows.friendship(actor, friend)
    rows.friendship(actor, blocked, "blocked")
    return actor, friend, stranger, blocked, marker, rows.event("py changes")


async def watch(node, user: str, event: str, name: str):
    """A client of `user` on its own channel, listening to every change of the event's attendance."""
    client = client_for(node, make_token(sub=user))
    inbox = Inbox(f"changes received by {name}")
    channel = client.channel(f"changes-{name}")
    channel.on_postgres_changes("*", inbox.put, table="event_attendance", filter=f"event_id=eq.{event}")
    system = Inbox(f"system messages of {name}")
    channel.on_system(system.put)
    states = Inbox(f"subscribe states of {name}")
    await channel.subscribe(lambda state, error: states.put((state, error)))
    state, error = await states.wait_for(what=f"{name} subscribed")
    assert state == RealtimeSubscribeStates.SUBSCRIBED, f"{name}: {state} {error}"
    confirmation = await system.wait_for(what=f"{name}'s Subscribed to PostgreSQL")
    assert (confirmation.extension, confirmation.status, confirmation.message) == \
        ("postgres_changes", "ok", "Subscribed to PostgreSQL")
    return client, inbox


def summary(payload: dict) -> tuple:
    data = payload["data"]
    row = data.get("record") or data.get("old_record")
    old = data.get("old_record")
    return data["type"], row.get("user_id"), None if old is None else sorted(old)


def test_rows_reach_exactly_who_may_see_them(live_rally, rows, people):
    actor, friend, stranger, blocked, marker, event = people

    async def body():
        watchers = {name: await watch(live_rally, user, event, name)
                    for name, user in (("friend", friend), ("stranger", stranger), ("blocked", blocked))}
        try:
            rows.rsvp(actor, event, visibility="friends")
            rows.connection.execute("UPDATE event_attendance SET visibility = 'public' WHERE user_id = %s", (actor,))
            rows.connection.execute("DELETE FROM event_attendance WHERE user_id = %s", (actor,))
            rows.rsvp(marker, rows.event("another event"))  # everyone may see it, but the filter is on `event`
            rows.rsvp(marker, event)
            for _, inbox in watchers.values():
                await inbox.wait_for(lambda p: p["data"].get("record", {}).get("user_id") == marker, "the marker")
            got = {name: [summary(p) for p in inbox.items] for name, (_, inbox) in watchers.items()}
            whole = sorted(["created_at", "event_id", "group_id", "id", "notes", "status", "updated_at", "user_id",
                            "visibility"])
            assert got["friend"] == [("INSERT", actor, None), ("UPDATE", actor, whole), ("DELETE", actor, whole),
                                     ("INSERT", marker, None)]
            assert got["stranger"] == [("UPDATE", actor, ["id"]), ("DELETE", actor, whole), ("INSERT", marker, None)]
            assert got["blocked"] == [("INSERT", marker, None)]
            insert = watchers["friend"][1].items[0]["data"]
            assert insert["schema"] == "public" and insert["table"] == "event_attendance"
            assert insert["errors"] is None and insert["commit_timestamp"].endswith("Z")
            assert {"name": "event_id", "type": "uuid"} in insert["columns"]
        finally:
            for client, _ in watchers.values():
                await client.close()

    run(body())


def test_a_table_rally_does_not_serve_is_refused_with_a_reason(live_rally, people):
    actor = people[0]

    async def body():
        client = client_for(live_rally, make_token(sub=actor))
        try:
            channel = client.channel("changes-refused")
            channel.on_postgres_changes("*", lambda _: None, table="notifications")
            states = Inbox("subscribe states")
            await channel.subscribe(lambda state, error: states.put((state, error)))
            state, error = await states.wait_for(what="the refusal")
            assert state == RealtimeSubscribeStates.CHANNEL_ERROR
            assert "Unable to subscribe to changes with given parameters: table notifications is not served" \
                in str(error)
        finally:
            await client.close()

    run(body())
