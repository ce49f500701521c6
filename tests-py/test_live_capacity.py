"""`event:<id>` on a real PostgreSQL (docs/live-data.md): capacity on join and on every RSVP, event changes,
and a burst of 10,000 RSVPs coalesced to a few updates that end on the current count."""

import time

import pytest
from live_helpers import LiveClient, named, off_loop, payloads
from helpers import run

UPDATES_PER_SECOND = 5
BURST = 10_000
BATCH = 100  # rows per transaction: 100 commits


@pytest.fixture(scope="module")
def live_env():
    return {"RALLY_CAPACITY_UPDATES_PER_SECOND": str(UPDATES_PER_SECOND)}


def test_capacity_on_join_then_each_rsvp_then_event_changes(live_rally, rows):
    viewer = rows.user()
    going, interested, maybe, newcomer = rows.users(4)
    event = rows.event("Jazz in the park", capacity=100)
    rows.rsvp(going, event, "going")
    rows.rsvp(interested, event, "interested")
    rows.rsvp(maybe, event, "maybe")

    async def body():
        client = LiveClient(live_rally, viewer, "viewer")
        try:
            inbox = await client.join(f"event:{event}")
            first = await inbox.wait_for(named("capacity"), "capacity after the join")
            assert first["payload"] == {"event_id": event, "going": 1, "interested": 1, "maybe": 1, "capacity": 100,
                                        "remaining": 99, "full": False, "live": True}
            before = inbox.items[:inbox.items.index(first)]
            assert all(message["event"] == "event" for message in before), before
            details = await inbox.wait_for(named("event"), "event details after the join")
            assert details["payload"]["title"] == "Jazz in the park"
            assert details["payload"]["cancelled"] is False and details["payload"]["live"] is True

            await off_loop(rows.rsvp, newcomer, event, "going")
            update = await inbox.wait_for(named("capacity", going=2), "capacity after an RSVP")
            assert update["payload"]["remaining"] == 98 and update["payload"]["live"] is True

            await off_loop(rows.connection.execute, "UPDATE events SET title = 'Jazz moved indoors' WHERE id = %s",
                           (event,))
            renamed = await inbox.wait_for(named("event", title="Jazz moved indoors"), "event after a rename")
            assert renamed["payload"]["cancelled"] is False
            await off_loop(rows.connection.execute, "UPDATE events SET is_active = false WHERE id = %s", (event,))
            cancelled = await inbox.wait_for(named("event", cancelled=True), "event after the cancellation")
            assert cancelled["payload"]["event_id"] == event
        finally:
            await client.close()

    run(body())


def insert_burst(connection, event: str, users: list[str]) -> int:
    """Inserts one `going` RSVP per user, BATCH rows per transaction; returns the number of commits."""
    commits = 0
    for start in range(0, len(users), BATCH):
        with connection.transaction():
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO event_attendance (user_id, event_id, status, visibility) "
                                   "VALUES (%s, %s, 'going', 'public')",
                                   [(user, event) for user in users[start:start + BATCH]])
        commits += 1
    return commits


def test_a_burst_of_rsvps_is_coalesced_and_ends_on_the_current_count(live_rally, rows):
    viewer = rows.user()
    seeded = rows.users(2)
    event = rows.event("Stadium show", capacity=20_000)
    for user in seeded:
        rows.rsvp(user, event, "going")
    burst_users = rows.users(BURST)
    final_going = BURST + len(seeded)

    async def body():
        client = LiveClient(live_rally, viewer, "viewer")
        try:
            inbox = await client.join(f"event:{event}")
            await inbox.wait_for(named("capacity", going=len(seeded)), "capacity after the join")
            joined_updates = len(payloads(inbox, "capacity"))
            started = time.monotonic()
            commits = await off_loop(insert_burst, rows.connection, event, burst_users)
            assert commits == BURST // BATCH
            last = await inbox.wait_for(named("capacity", going=final_going), "the final count", timeout=60)
            elapsed = time.monotonic() - started
            updates = payloads(inbox, "capacity")[joined_updates:]
            assert last["payload"] == {"event_id": event, "going": final_going, "interested": 0, "maybe": 0,
                                       "capacity": 20_000, "remaining": 20_000 - final_going, "full": False,
                                       "live": True}
            # At most UPDATES_PER_SECOND a second, plus one at once and one for a window boundary.
            assert len(updates) <= UPDATES_PER_SECOND * elapsed + 2, f"{len(updates)} updates in {elapsed:.1f} s"
            assert len(updates) < BURST // 50, len(updates)
            counts = [update["going"] for update in updates]
            assert counts == sorted(counts) and len(set(counts)) == len(counts), counts
            assert updates[-1] == last["payload"], "an update came after the final count"
        finally:
            await client.close()

    run(body(), timeout=120)
