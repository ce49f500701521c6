"""`user:<id>` notifications and `plan:<id>` status on a real PostgreSQL (docs/live-data.md),
including a notification readable before its NOTIFY is handled: it reaches a joiner once."""

import time

import pytest
from helpers import run
from live_helpers import LiveClient, named, off_loop


def test_unread_notifications_on_join_then_each_new_one(live_rally, rows):
    bob = rows.user(name="bob")
    earlier = rows.notification(bob, "Carol", type_="friend_request", message="wants to be friends",
                                data={"from": "carol"})

    async def body():
        client = LiveClient(live_rally, bob, "bob")
        try:
            inbox = await client.join(f"user:{bob}")
            backlog = await inbox.wait_for(named("notifications"), "unread notifications after the join")
            assert backlog["payload"]["count"] == 1
            [unread] = backlog["payload"]["unread"]
            assert unread["id"] == earlier and unread["type"] == "friend_request"
            assert unread["title"] == "Carol" and unread["message"] == "wants to be friends"
            assert unread["data"] == {"from": "carol"} and unread["is_read"] is False

            fresh = await off_loop(rows.notification, bob, "Jazz lovers", "group_invite", "join us")
            live = await inbox.wait_for(named("notification"), "the new notification")
            assert live["payload"]["id"] == fresh
            assert live["payload"]["type"] == "group_invite" and live["payload"]["title"] == "Jazz lovers"
            assert live["payload"]["message"] == "join us" and live["payload"]["is_read"] is False
        finally:
            await client.close()

    run(body())


def test_plan_status_on_join_then_on_change(live_rally, rows):
    organizer = rows.user(name="organizer")
    plan = rows.plan(organizer, "Friday dinner", "planning")

    async def body():
        client = LiveClient(live_rally, organizer, "organizer")
        try:
            inbox = await client.join(f"plan:{plan}")
            first = await inbox.wait_for(named("plan"), "plan status after the join")
            assert first["payload"]["plan_id"] == plan and first["payload"]["status"] == "planning"
            assert first["payload"]["title"] == "Friday dinner" and first["payload"]["organizer_id"] == organizer
            assert first["payload"]["live"] is True
            await off_loop(rows.connection.execute, "UPDATE plans SET status = 'confirmed' WHERE id = %s", (plan,))
            confirmed = await inbox.wait_for(named("plan", status="confirmed"), "plan status after the change")
            assert confirmed["payload"]["plan_id"] == plan and confirmed["payload"]["live"] is True
        finally:
            await client.close()

    run(body())


FLOOD = 50_000


class DeliveredTwice(AssertionError):
    """A notification reached the subscriber more than once."""


def store_behind_a_flood(connection, user: str, bystander: str) -> str:
    """One transaction: FLOOD notifications for a user nobody watches, then one for `user`, whose NOTIFY the node
    therefore handles well after the row is readable."""
    with connection.transaction():
        connection.execute("INSERT INTO notifications (user_id, type, title, message) "
                           "SELECT %s, 'flood', 'flood ' || g, 'x' FROM generate_series(1, %s) AS g",
                           (bystander, FLOOD))
        return str(connection.execute("INSERT INTO notifications (user_id, type, title, message) "
                                      "VALUES (%s, 'group_invite', 'behind the flood', 'hi') RETURNING id",
                                      (user,)).fetchone()[0])


def test_a_notification_readable_before_its_notify_is_handled_arrives_once(live_rally, rows):
    bob, bystander = rows.user(name="bob"), rows.user(name="bystander")

    async def body():
        client = LiveClient(live_rally, bob, "bob")
        try:
            stored = await off_loop(store_behind_a_flood, rows.connection, bob, bystander)
            inbox = await client.join(f"user:{bob}")
            joined = time.monotonic()
            backlog = await inbox.wait_for(named("notifications"), "unread notifications after the join")
            assert [n["id"] for n in backlog["payload"]["unread"]] == [stored]
            later = await off_loop(rows.notification, bob, "after the flood")
            await inbox.wait_for(named("notification", id=later), "a later notification", timeout=60)
            arrived = time.monotonic()
            assert arrived - joined > 0.2, "the flood was handled before the join: the test proves nothing"
            live_ids = [n["id"] for n in (m["payload"] for m in inbox.items if m["event"] == "notification")]
            if live_ids != [later]:
                raise DeliveredTwice(f"unread on join: [{stored}]; then live: {live_ids}")
        finally:
            await client.close()

    run(body(), timeout=120)
